"""What supporters feel during a surge: real server processes on loopback under wrk.

    python -m bench.surge [--pairs 3] [--seconds 5] [--only officials|confirm] [--json FILE]

Starts, each in its own process group, on 127.0.0.1 and a free port:
- ours: ``advocacy serve`` (gunicorn, gthread, ADVOCACY_SERVE_WORKERS x ADVOCACY_SERVE_THREADS,
  2 x 8 by default) on a fresh SQLite file with the demo campaign, a private redis-server
  as the rate limiter's storage when one is installed (else the limiter's memory), and
  Represent at an address that answers nothing (the one lookup is made before, in-process,
  with the recorded body, and read from the cache by every request after);
- the baselines of bench/baselines.py under the same gunicorn settings: a bare Flask JSON app
  and a two-statement SQLite write app.

Then, for each pair, each figure's baseline run and our run follow each other (wrk -t2, the
given seconds each), and the table reports the median and the spread (lowest to highest) of
each side and of the per-pair ratios. After each confirmation run, rows logged are compared
with the responses acknowledged (a 303) and no 5xx is allowed. RSS of each worker is read from
/proc once the runs are done. Needs wrk (the Debian package) and Linux.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlencode

from . import DEMO_SLUG, POSTCODE, ROOT, represent_body

VENV_BIN = Path(sys.executable).parent
WORKERS, THREADS = 2, 8
UNREACHABLE = "http://127.0.0.1:9"  # discard port: nothing answers, so no lookup leaves
BODIES_PER_RUN = 40_000

REPORT_LUA = """
done = function(summary, latency, requests)
  io.write(string.format(
    "RESULT %d %d %d %d %d %d %d %d %d\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    summary.errors.status, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.timeout))
end
"""

GET_LUA = """
wrk.headers["Cookie"] = %(cookie)s
"""

# Each wrk thread sends its own share of the bodies (one file line each), in order.
POST_FILE_LUA = """
local next_id = 0
setup = function(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end
init = function(args)
  bodies = {}
  local n = 0
  for line in io.lines(%(bodies)s) do
    if n %% %(threads)d == id then table.insert(bodies, line) end
    n = n + 1
  end
  counter = 0
end
request = function()
  counter = counter + 1
  local body = bodies[(counter - 1) %% #bodies + 1]
  return wrk.format("POST", %(path)s, {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = %(cookie)s,
  }, body)
end
"""

POST_COUNTER_LUA = """
local next_id = 0
setup = function(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end
init = function(args)
  counter = 0
end
request = function()
  counter = counter + 1
  return wrk.format("POST", "/", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }, "token=" .. %(nonce)s .. "-" .. id .. "-" .. counter)
end
"""


def lua_string(text: str) -> str:
    return json.dumps(text)  # a JSON string of ASCII text is a valid Lua string literal


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Run:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int  # non-2xx/3xx responses, connect, read, write errors and timeouts

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


def wrk(url: str, seconds: float, connections: int, script: str, directory: Path) -> Run:
    path = directory / f"wrk-{secrets.token_hex(4)}.lua"
    path.write_text(script + REPORT_LUA, encoding="utf-8")
    command = ["wrk", "-t2", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s"]
    output = subprocess.run(  # noqa: S603 - our own command line
        [*command, "-s", str(path), url], capture_output=True, text=True, check=True
    ).stdout
    match = re.search(r"^RESULT ((?:\d+ ?){9})$", output, re.MULTILINE)
    if match is None:
        raise RuntimeError(f"wrk printed no result:\n{output}")
    requests, duration, p50, p99, *errors = (int(n) for n in match.group(1).split())
    return Run(requests, duration / 1e6, p50 / 1e3, p99 / 1e3, sum(errors))


class Server:
    """A server process (its own process group) on a loopback port."""

    def __init__(self, name: str, command: list[str], env: dict, port: int, log: Path) -> None:
        self.name = name
        self.port = port
        self.log = log
        with log.open("wb") as out:
            self.process = subprocess.Popen(  # noqa: S603 - our own command line
                command,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,  # the access log: one line per request
                stderr=out,
                start_new_session=True,
            )

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def wait_ready(self, path: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.log.read_text()[-3000:]}")
            try:
                urllib.request.urlopen(self.url(path), timeout=2).close()  # noqa: S310 - loopback
                return
            except urllib.error.HTTPError:
                return  # it answers
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not answer within {timeout} s")

    def workers(self) -> list[int]:
        children = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == self.process.pid:
                    children.append(int(entry.name))
        return children

    def worker_rss_mb(self) -> list[float]:
        sizes = []
        for pid in self.workers():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
            if match:
                sizes.append(int(match.group(1)) / 1024)
        return sizes

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


@dataclass
class Prepared:
    env: dict
    cookie: str
    officials_path: str
    sent_path: str
    form: dict  # the confirmation form's fields
    proof: dict  # what a proof vouches for (see SupporterPath.compose)
    secret: str
    database: Path


def prepare(directory: Path, redis_url: str, database_url: str = "") -> Prepared:
    """A database with the demo campaign and one cached lookup, and a browser session that
    looked up POSTCODE and opened the MP's letter, made through the app in this process."""
    import responses

    secret = secrets.token_urlsafe(48)
    database = directory / "advocacy.db"
    env = {
        **os.environ,
        "ADVOCACY_ENV": "production",
        "ADVOCACY_SECRET_KEY": secret,
        "ADVOCACY_DATABASE_URL": database_url or f"sqlite:///{database}",  # bench.multihost: PG
        "ADVOCACY_REPRESENT_URL": UNREACHABLE,
        "ADVOCACY_MIN_FILL_SECONDS": "0",
        # Every request comes from 127.0.0.1: the per-address limits would refuse the run.
        "ADVOCACY_LOOKUP_RATE_LIMIT": "10000000 per minute",
        "ADVOCACY_SEND_RATE_LIMIT": "10000000 per minute",
        "ADVOCACY_REDIS_URL": redis_url,
        "ADVOCACY_SERVE_WORKERS": str(WORKERS),
        "ADVOCACY_SERVE_THREADS": str(THREADS),
    }
    saved = dict(os.environ)
    os.environ.update({k: v for k, v in env.items() if k.startswith("ADVOCACY_")})
    try:
        from advocacy import create_app

        app = create_app()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    runner = app.test_cli_runner()
    for command in (["init-db"], ["seed-demo"]):
        result = runner.invoke(args=command)
        if result.exit_code != 0:
            raise RuntimeError(f"{command} failed: {result.output}")
    client = app.test_client()
    base = "https://localhost"  # the session cookie is Secure in production
    page = client.get(f"{base}/c/{DEMO_SLUG}/").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    with responses.RequestsMock(assert_all_requests_are_fired=True) as upstream:
        upstream.get(f"{UNREACHABLE}/postcodes/{POSTCODE.replace(' ', '')}/", json=represent_body())
        found = client.post(
            f"{base}/c/{DEMO_SLUG}/lookup",
            data={"csrf_token": csrf, "postcode": POSTCODE},
            headers={"Referer": f"{base}/c/{DEMO_SLUG}/"},  # CSRF over HTTPS checks it
        )
        assert found.status_code == 303, found.status_code
    officials = client.get(f"{base}/c/{DEMO_SLUG}/officials").get_data(as_text=True)
    assert "Alexandra Placeholder" in officials, officials[:2000]
    key = re.search(rf'href="/c/{DEMO_SLUG}/write/([^"?]+)"', officials).group(1)
    letter = client.get(f"{base}/c/{DEMO_SLUG}/write/{key}").get_data(as_text=True)

    def hidden(name: str) -> str:
        match = re.search(rf'name="{name}" type="hidden" value="([^"]*)"', letter)
        if match is None:
            match = re.search(rf'type="hidden" name="{name}" value="([^"]*)"', letter)
        return match.group(1) if match else ""

    form = {
        "csrf_token": hidden("csrf_token"),
        "postcode": hidden("postcode"),
        "template_id": hidden("template_id"),
        "website": "",
    }
    proof = {
        "o": key,
        "p": form["postcode"],
        "v": int(form["template_id"]) if form["template_id"] else None,
        "s": hidden("started"),
        "u": False,
    }
    cookie_name = app.config.get("SESSION_COOKIE_NAME", "session")
    cookie = client.get_cookie(cookie_name, domain="localhost")
    app.extensions["advocacy_db"].engine.dispose()
    return Prepared(
        env,
        f"{cookie_name}={cookie.value}",
        f"/c/{DEMO_SLUG}/officials",
        f"/c/{DEMO_SLUG}/sent/{key}",
        form,
        proof,
        secret,
        database,
    )


def confirmation_bodies(prepared: Prepared, path: Path, count: int) -> None:
    """One confirmation per line, each with its own letter-form token and the proof the send
    page would carry for it (signed as SupporterPath.compose signs it; a browser would have
    fetched one send page per letter, which is not what this figure measures)."""
    from itsdangerous import URLSafeSerializer

    signer = URLSafeSerializer(prepared.secret, salt="letter-proof")
    with path.open("w", encoding="ascii") as out:
        for _ in range(count):
            token = secrets.token_urlsafe(24)
            proof = signer.dumps({**prepared.proof, "t": token, "d": secrets.token_hex(16)})
            out.write(urlencode({**prepared.form, "token": token, "proof": proof}) + "\n")


def count_rows(database: Path, table: str) -> int:
    with sqlite3.connect(database) as db:
        return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608 - fixed


def start_redis(directory: Path) -> tuple[subprocess.Popen | None, str]:
    server = shutil.which("redis-server")
    if server is None:
        return None, ""
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - our own command line
        [
            server,
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(directory),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    for _ in range(50):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process, f"redis://127.0.0.1:{port}/0"
        except OSError:
            time.sleep(0.1)
    process.kill()
    return None, ""


def baseline_settings(port: int) -> str:
    """Our gunicorn settings (advocacy.serving) for a baseline on ``port``, as JSON."""
    from advocacy import serving

    settings = serving.gunicorn_settings({}, f"127.0.0.1:{port}", WORKERS, THREADS)
    del settings["logger_class"]  # ours keeps client addresses out; nothing else differs
    return json.dumps(settings)


def spread(values: list[float]) -> dict:
    return {"median": statistics.median(values), "low": min(values), "high": max(values)}


FIGURES = ("officials", "confirm")


def run(pairs: int, seconds: float, only: tuple[str, ...] = FIGURES) -> dict:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install wrk; make bench does it)")
    figures: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="advocacy-surge-") as tmp:
        directory = Path(tmp)
        redis, redis_url = start_redis(directory)
        servers: list[Server] = []
        try:
            prepared = prepare(directory, redis_url)
            write_db = directory / "write.db"
            from .baselines import create_write_db

            create_write_db(write_db)
            ours = Server(
                "ours",
                [str(VENV_BIN / "advocacy"), "serve", "--bind", f"127.0.0.1:{free_port()}"],
                prepared.env,
                0,
                directory / "ours.log",
            )
            ours.port = int(ours.process.args[-1].rsplit(":", 1)[1])
            servers.append(ours)
            baseline_command = [sys.executable, "-m", "bench.baselines"]
            bare_port, write_port = free_port(), free_port()
            baseline_env = {**os.environ, "PYTHONPATH": str(ROOT)}
            bare = Server(
                "bare",
                [*baseline_command, "bare", "--settings", baseline_settings(bare_port)],
                baseline_env,
                bare_port,
                directory / "bare.log",
            )
            servers.append(bare)
            write = Server(
                "write",
                [
                    *baseline_command,
                    "write",
                    "--settings",
                    baseline_settings(write_port),
                    "--db",
                    str(write_db),
                ],
                baseline_env,
                write_port,
                directory / "write.log",
            )
            servers.append(write)
            ours.wait_ready("/")
            bare.wait_ready("/")
            write.wait_ready("/nothing")

            get_ours = GET_LUA % {"cookie": lua_string(prepared.cookie)}
            # Warm-up: every worker imports, connects and fills its caches.
            wrk(ours.url(prepared.officials_path), 2, 16, get_ours, directory)
            wrk(bare.url(), 1, 16, "", directory)
            check = wrk(ours.url(prepared.officials_path), 1, 4, get_ours, directory)
            if check.errors:
                raise RuntimeError(f"the officials page answers errors: {ours.log.read_text()}")

            results: dict[str, dict[str, list]] = {}

            def record(name: str, side: str, result: Run) -> None:
                results.setdefault(name, {"ours": [], "baseline": []})[side].append(result)

            confirmations = {"acknowledged": 0, "rows": 0, "errors": 0}
            for pair in range(pairs):
                for clients in (50, 200) if "officials" in only else ():
                    name = f"officials-{clients}"
                    record(name, "baseline", wrk(bare.url(), seconds, clients, "", directory))
                    record(
                        name,
                        "ours",
                        wrk(
                            ours.url(prepared.officials_path), seconds, clients, get_ours, directory
                        ),
                    )
                if "confirm" not in only:
                    continue
                nonce = lua_string(f"p{pair}-{secrets.token_hex(4)}")
                record(
                    "confirm-50",
                    "baseline",
                    wrk(write.url(), seconds, 50, POST_COUNTER_LUA % {"nonce": nonce}, directory),
                )
                bodies = directory / f"bodies-{pair}.txt"
                confirmation_bodies(prepared, bodies, BODIES_PER_RUN)
                script = POST_FILE_LUA % {
                    "bodies": lua_string(str(bodies)),
                    "threads": 2,
                    "path": lua_string(prepared.sent_path),
                    "cookie": lua_string(prepared.cookie),
                }
                before = count_rows(prepared.database, "contact_actions")
                confirmed = wrk(ours.url(prepared.sent_path), seconds, 50, script, directory)
                time.sleep(0.5)  # requests still in flight when wrk stopped finish
                after = count_rows(prepared.database, "contact_actions")
                record("confirm-50", "ours", confirmed)
                confirmations["acknowledged"] += confirmed.requests - confirmed.errors
                confirmations["rows"] += after - before
                confirmations["errors"] += confirmed.errors
            rss = {"ours": ours.worker_rss_mb(), "bare": bare.worker_rss_mb()}
            server_errors = ours.log.read_text().count("Traceback")
        finally:
            for server in servers:
                server.stop()
            if redis is not None:
                redis.terminate()
                redis.wait(10)
        for name, sides in results.items():
            ours_runs, base_runs = sides["ours"], sides["baseline"]
            figures[name] = {
                "ours_rate": spread([r.rate for r in ours_runs]),
                "baseline_rate": spread([r.rate for r in base_runs]),
                "ratio": spread(
                    [o.rate / b.rate for o, b in zip(ours_runs, base_runs, strict=True)]
                ),
                "ours_p99_ms": spread([r.p99_ms for r in ours_runs]),
                "baseline_p99_ms": spread([r.p99_ms for r in base_runs]),
                "ours_errors": sum(r.errors for r in ours_runs),
                "baseline_errors": sum(r.errors for r in base_runs),
                "runs": [asdict(r) for r in ours_runs],
            }
    return {
        "pairs": pairs,
        "seconds": seconds,
        "only": only,
        "workers": WORKERS,
        "threads": THREADS,
        "limiter": "redis" if redis_url else "memory",
        "figures": figures,
        "confirmations": confirmations,
        "rss_mb": rss,
        "server_tracebacks": server_errors,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.surge", description=__doc__)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument(
        "--only", choices=FIGURES, help="run only this figure's pairs (officials or confirm)"
    )
    parser.add_argument("--json", type=Path, help="write the results here too")
    args = parser.parse_args(argv)
    result = run(args.pairs, args.seconds, (args.only,) if args.only else FIGURES)
    text = json.dumps(result, indent=2)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
