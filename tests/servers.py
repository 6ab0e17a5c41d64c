"""Server processes for tests, started and stopped in one way (tests/test_serving.py,
test_durability.py, test_server_fuzz.py, test_coalescing.py).

- :func:`start_advocacy`: ``advocacy <command>`` (``serve`` is gunicorn, ``run`` werkzeug),
  configured by ADVOCACY_* variables only, its output and errors in files;
- :func:`start_test_app`: ``python -m tests.serve_app`` (werkzeug, threaded, on a fresh SQLite
  file), which prints ``PORT <n>`` and stops when its stdin closes;
- :func:`serve`: ``advocacy serve`` on a free loopback port, returned once it answers.

Every process gets a process group of its own, and is stopped by its own id: gently first
(stdin closed, or SIGTERM, which gunicorn takes as a graceful stop), then SIGKILL to its group.
"""

from __future__ import annotations

import json
import os
import re
import select
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
ADVOCACY = [sys.executable, "-c", "from advocacy.cli import main; main()"]


@dataclass
class ServerProcess:
    """A server started by a test: its process, where it listens once known, and its log
    files (``stdout`` is None when the test reads it through a pipe)."""

    popen: subprocess.Popen
    stdout: Path | None
    stderr: Path
    url: str = ""
    database: Path | None = None  # its SQLite file, where the test knows it

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1]) if self.url else 0

    @property
    def log(self) -> Path:
        return self.stderr

    def output(self) -> str:
        return self.stdout.read_text(errors="replace") if self.stdout else ""

    def errors(self) -> str:
        return self.stderr.read_text(errors="replace")

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.errors().splitlines()[-lines:])

    def wait_for(self, pattern: str, seconds: float = 30.0) -> re.Match[str]:
        """The first match of ``pattern`` in its error stream (where servers say where they
        listen), waiting for it at most ``seconds``."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and self.popen.poll() is None:
            match = re.search(pattern, self.errors())
            if match:
                return match
            time.sleep(0.1)
        raise AssertionError(f"the server did not log {pattern!r}:\n{self.errors()[-3000:]}")

    def stop(self, kill: bool = False, timeout: float = 15.0) -> None:
        """End the process: at once (SIGKILL, no clean shutdown at all) with ``kill``, else
        by closing its stdin when it is a pipe (tests.serve_app), else by SIGTERM; SIGKILL to
        its process group if it lingers past ``timeout`` seconds."""
        if self.popen.poll() is None:
            if kill:
                os.killpg(self.popen.pid, signal.SIGKILL)
            elif self.popen.stdin is not None:
                self.popen.stdin.close()
            else:
                self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)  # the group of this process only
                self.popen.wait(timeout=10)
        for stream in (self.popen.stdin, self.popen.stdout):
            if stream is not None and not stream.closed:
                stream.close()


def advocacy_env(config: Mapping[str, Any]) -> dict[str, str]:
    """This environment without any ADVOCACY_* variable, plus ``config`` as ADVOCACY_*."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADVOCACY_")}
    env.update({f"ADVOCACY_{name}": str(value) for name, value in config.items()})
    return env


def start_process(
    command: list[str],
    directory: Path,
    name: str,
    env: Mapping[str, str] | None = None,
    pipes: bool = False,
) -> ServerProcess:
    """Start ``command`` in ``directory``: output and errors in ``<name>.out`` and
    ``<name>.err`` there, or (``pipes``) stdin and stdout as pipes for the test."""
    stdout, stderr = directory / f"{name}.out", directory / f"{name}.err"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        popen = subprocess.Popen(  # noqa: S603 - our own interpreter and package
            command,
            cwd=directory if not pipes else ROOT,
            env=dict(env) if env is not None else None,
            stdin=subprocess.PIPE if pipes else subprocess.DEVNULL,
            stdout=subprocess.PIPE if pipes else out,
            stderr=err,
            start_new_session=True,  # its own process group, for the SIGKILL fallback
        )
    return ServerProcess(popen, None if pipes else stdout, stderr)


def start_advocacy(
    arguments: list[str], config: Mapping[str, Any], directory: Path, name: str
) -> ServerProcess:
    """``advocacy <arguments>`` configured by ``config`` (as ADVOCACY_* variables) alone."""
    return start_process([*ADVOCACY, *arguments], directory, name, advocacy_env(config))


def wait_until_serving(url: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/static/style.css", timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} did not answer within {seconds} s")


def serve(
    config: Mapping[str, Any],
    directory: Path,
    name: str,
    workers: int = 2,
    threads: int = 8,
) -> ServerProcess:
    """``advocacy serve`` (gunicorn) on a free loopback port, once it answers."""
    server = start_advocacy(
        [
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
        ],
        config,
        directory,
        name,
    )
    try:
        port = server.wait_for(r"Listening at: http://127\.0\.0\.1:(\d+)", 60).group(1)
        server.url = f"http://127.0.0.1:{port}"
        wait_until_serving(server.url)
    except AssertionError:
        server.stop(kill=True)
        raise
    return server


def start_test_app(
    directory: Path,
    settings: Mapping[str, Any],
    lifetime: float,
    organizer: tuple[str, str] | None = None,
    seconds: float = 60.0,
) -> ServerProcess:
    """``python -m tests.serve_app`` on a fresh SQLite file in ``directory`` (with an
    organizer, email and password, if given), once it printed its port."""
    command = [
        sys.executable,
        "-m",
        "tests.serve_app",
        str(directory),
        "--config",
        json.dumps(dict(settings)),
        "--lifetime",
        str(lifetime),
    ]
    if organizer:
        command += ["--organizer", organizer[0]]
    server = start_process(command, directory, "server", pipes=True)
    server.database = directory / "advocacy.db"
    process = server.popen
    if organizer:
        process.stdin.write(organizer[1].encode() + b"\n")
        process.stdin.flush()
    deadline = time.monotonic() + seconds
    line = b""
    while time.monotonic() < deadline and process.poll() is None:
        ready, _, _ = select.select([process.stdout], [], [], 0.2)
        if ready:
            line = process.stdout.readline()
            break
    if not line.startswith(b"PORT "):
        server.stop(kill=True)
        raise AssertionError(f"the server did not start:\n{server.log_tail()}")
    server.url = f"http://127.0.0.1:{int(line.split()[1])}"
    return server
