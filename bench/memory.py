"""Memory of each ``advocacy serve`` worker, beside bare Flask under the same gunicorn.

    python -m bench.memory [--load SECONDS] [--json FILE]

Starts ours and the bare Flask baseline as bench/surge.py does (gunicorn gthread 2 x 8, the
demo campaign on a fresh SQLite file, a private redis-server as the limiter's storage when
one is installed), then reads each worker's memory three times: after boot (one request),
after each supporter page has been asked for a few times (home, campaign, officials, letter,
send confirmations, privacy, embed, the API's campaign and its OpenAPI document, the
organizers' login), and after ``--load`` seconds of wrk on the officials page and on the
confirmation (as bench.surge's runs; 0 skips it).

For each worker: RSS (VmRSS of /proc/<pid>/status, what bench.surge reports), PSS (its
pages, each shared page divided among the processes that map it) and USS (its private pages
only), the last two from /proc/<pid>/smaps_rollup. Needs Linux; wrk for ``--load``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from . import DEMO_SLUG, ROOT
from .surge import (
    GET_LUA,
    POST_FILE_LUA,
    THREADS,
    VENV_BIN,
    WORKERS,
    Server,
    baseline_settings,
    confirmation_bodies,
    free_port,
    lua_string,
    prepare,
    start_redis,
    wrk,
)

VISITS = 5  # each page, per visit round


def worker_memory(pid: int) -> dict[str, float] | None:
    """RSS, PSS and USS of one process, in MB (None if it is gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return None

    def kib(text: str, name: str) -> int:
        match = re.search(rf"^{name}:\s+(\d+) kB", text, re.MULTILINE)
        return int(match.group(1)) if match else 0

    private = kib(rollup, "Private_Clean") + kib(rollup, "Private_Dirty")
    return {
        "rss": kib(status, "VmRSS") / 1024,
        "pss": kib(rollup, "Pss") / 1024,
        "uss": private / 1024,
    }


def snapshot(server: Server) -> list[dict[str, float]]:
    return [m for pid in sorted(server.workers()) if (m := worker_memory(pid)) is not None]


def visit(server: Server, paths: list[str], cookie: str, rounds: int) -> None:
    """GET each path ``rounds`` times with the supporter's cookie (errors are answers too)."""
    for _ in range(rounds):
        for path in paths:
            request = urllib.request.Request(  # noqa: S310 - loopback
                server.url(path), headers={"Cookie": cookie}
            )
            with contextlib.suppress(urllib.error.HTTPError):  # an error page is an answer
                urllib.request.urlopen(request, timeout=30).close()  # noqa: S310 - loopback


def confirm(server: Server, prepared, bodies: Path, count: int) -> None:
    """POST ``count`` confirmations (the "I have sent it" form) as a browser would."""
    for line in bodies.read_text(encoding="ascii").splitlines()[:count]:
        request = urllib.request.Request(  # noqa: S310 - loopback
            server.url(prepared.sent_path),
            data=line.encode("ascii"),
            headers={
                "Cookie": prepared.cookie,
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        with contextlib.suppress(urllib.error.HTTPError):
            urllib.request.urlopen(request, timeout=30).close()  # noqa: S310 - loopback


def run(load: float) -> dict:
    result: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="advocacy-memory-") as tmp:
        directory = Path(tmp)
        redis, redis_url = start_redis(directory)
        servers: list[Server] = []
        try:
            prepared = prepare(directory, redis_url)
            port = free_port()
            ours = Server(
                "ours",
                [str(VENV_BIN / "advocacy"), "serve", "--bind", f"127.0.0.1:{port}"],
                prepared.env,
                port,
                directory / "ours.log",
            )
            servers.append(ours)
            bare_port = free_port()
            bare = Server(
                "bare",
                [
                    sys.executable,
                    "-m",
                    "bench.baselines",
                    "bare",
                    "--settings",
                    baseline_settings(bare_port),
                ],
                {**os.environ, "PYTHONPATH": str(ROOT)},
                bare_port,
                directory / "bare.log",
            )
            servers.append(bare)
            # One request per worker at most: gunicorn hands the first to whichever accepts.
            ours.wait_ready("/")
            bare.wait_ready("/")
            result["boot"] = {"ours": snapshot(ours), "bare": snapshot(bare)}

            slug = DEMO_SLUG
            key = prepared.sent_path.rsplit("/", 1)[1]
            pages = [
                "/",
                f"/c/{slug}/",
                prepared.officials_path,
                f"/c/{slug}/write/{key}",
                f"/c/{slug}/privacy",
                f"/embed/{slug}",
                f"/api/v1/campaigns/{slug}",
                "/api/v1/openapi.json",
                "/admin/login",
            ]
            # Twice as many visits as workers x threads, so that every worker sees each page.
            visit(ours, pages, prepared.cookie, VISITS * WORKERS)
            visit(bare, ["/"], "", VISITS * WORKERS)
            bodies = directory / "bodies.txt"
            confirmation_bodies(prepared, bodies, 40_000)
            confirm(ours, prepared, bodies, VISITS * WORKERS * 4)
            result["pages"] = {"ours": snapshot(ours), "bare": snapshot(bare)}

            if load > 0:
                if shutil.which("wrk") is None:
                    raise SystemExit("wrk is not installed (apt-get install wrk)")
                get_ours = GET_LUA % {"cookie": lua_string(prepared.cookie)}
                for clients in (50, 200):
                    wrk(ours.url(prepared.officials_path), load, clients, get_ours, directory)
                    wrk(bare.url(), load, clients, "", directory)
                script = POST_FILE_LUA % {
                    "bodies": lua_string(str(bodies)),
                    "threads": 2,
                    "path": lua_string(prepared.sent_path),
                    "cookie": lua_string(prepared.cookie),
                }
                wrk(ours.url(prepared.sent_path), load, 50, script, directory)
                result["load"] = {"ours": snapshot(ours), "bare": snapshot(bare)}
        finally:
            for server in servers:
                server.stop()
            if redis is not None:
                redis.terminate()
                redis.wait(10)
    return {"workers": WORKERS, "threads": THREADS, "load_seconds": load, "mb": result}


def table(result: dict) -> str:
    lines = ["when   server  worker   RSS MB   PSS MB   USS MB"]
    for when, sides in result["mb"].items():
        for side, workers in sides.items():
            for number, m in enumerate(workers, 1):
                lines.append(
                    f"{when:6} {side:7} {number:6} {m['rss']:8.1f} {m['pss']:8.1f} {m['uss']:8.1f}"
                )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.memory", description=__doc__)
    parser.add_argument("--load", type=float, default=5.0, help="seconds of each wrk run (0: none)")
    parser.add_argument("--json", type=Path, help="write the results here too")
    args = parser.parse_args(argv)
    result = run(args.load)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
