"""Upstream calls during a surge: how many times the provider is asked for each postal code.

    python -m bench.upstream [--lookups 10000] [--codes 500] [--clients 100] [--workers 4]
                             [--delay 0.2] [--leases redis,database] [--json FILE]

Starts ``advocacy serve`` (gunicorn, ``--workers`` gthread workers, its default threads) on
127.0.0.1 and a fresh SQLite file with the demo campaign, Represent pointed at a stub served
by this process on loopback (it counts the calls for each code and answers each after
``--delay`` seconds with the recorded body of tests/fixtures/represent/), and the upstream
budget and the per-address lookup limit raised out of the way (for this benchmark only).

Then ``--clients`` browsers (a bounded pool of threads, each with its own session: it loads
the campaign page once, then posts the lookup form) look up ``--codes`` valid Canadian postal
codes ``--lookups / --codes`` times each, in two orders:

- random: every lookup shuffled;
- back to back: each code's lookups one after the other, so that they are in flight together.

Between orders the lookup cache is emptied. The goal is one call per code: exactly
``--codes``. It runs once per lease backend named (``redis``: a private redis-server as
ADVOCACY_REDIS_URL, when one is installed; ``database``: no Redis, the ``lookup_leases``
table); by default Redis when redis-server is installed, else the table. It stops by itself
(about two minutes per backend on the 2-core machine of docs/performance.md).
"""

from __future__ import annotations

import argparse
import http.client
import json
import logging
import os
import queue
import random
import re
import shutil
import sqlite3
import subprocess
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from . import DEMO_SLUG, REPRESENT_FIXTURE
from .surge import VENV_BIN, Server, free_port, start_redis

CA_FIRST = "ABCEGHJKLMNPRSTVXY"
CA_OTHER = "ABCEGHJKLMNPRSTVWXYZ"
ORDERS = ("random", "back to back")


def postal_codes(count: int, seed: int = 13) -> list[str]:
    """``count`` different, valid Canadian postal codes (the format Represent accepts)."""
    rng = random.Random(seed)
    codes: set[str] = set()
    while len(codes) < count:
        d = rng.randrange
        codes.add(
            f"{rng.choice(CA_FIRST)}{d(10)}{rng.choice(CA_OTHER)} "
            f"{d(10)}{rng.choice(CA_OTHER)}{d(10)}"
        )
    return sorted(codes)


class CountingRepresent:
    """``/postcodes/<CODE>/`` on loopback: the recorded body after ``delay`` seconds."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.calls: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.body = REPRESENT_FIXTURE.read_bytes()
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per call
        self.server = make_server("127.0.0.1", 0, self.answer, threaded=True)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @Request.application
    def answer(self, request: Request) -> Response:
        with self.lock:
            self.calls[request.path] += 1
        time.sleep(self.delay)
        return Response(self.body, mimetype="application/json")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Browser:
    """One supporter's browser: a keep-alive connection, a session cookie and its CSRF token
    (the campaign page is loaded once; the lookup form is then posted again and again)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        response = self.request("GET", f"/c/{DEMO_SLUG}/")
        page = response.read().decode()
        cookie = response.getheader("Set-Cookie") or ""
        self.cookie = cookie.split(";", 1)[0]
        match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
        if response.status != 200 or match is None or not self.cookie:
            raise RuntimeError(f"the campaign page answered {response.status}")
        self.token = match.group(1)

    def request(self, method: str, path: str, body: str | None = None, headers=None):
        for attempt in range(2):
            try:
                self.connection.request(method, path, body=body, headers=headers or {})
                return self.connection.getresponse()
            except (http.client.HTTPException, OSError):
                self.connection.close()  # the server closed a kept-alive connection
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def look_up(self, code: str) -> int:
        body = urlencode({"csrf_token": self.token, "postcode": code})
        response = self.request(
            "POST",
            f"/c/{DEMO_SLUG}/lookup",
            body,
            {"Content-Type": "application/x-www-form-urlencoded", "Cookie": self.cookie},
        )
        response.read()
        return response.status


def surge(port: int, lookups: list[str], clients: int) -> tuple[float, Counter[int]]:
    """Every lookup, by ``clients`` browsers taking the next one from a shared queue."""
    todo: queue.SimpleQueue[str] = queue.SimpleQueue()
    for code in lookups:
        todo.put(code)
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    browsers = [Browser(port) for _ in range(clients)]
    start = threading.Barrier(clients + 1)

    def run(browser: Browser) -> None:
        start.wait()
        mine: Counter[int] = Counter()
        while True:
            try:
                code = todo.get_nowait()
            except queue.Empty:
                break
            try:
                mine[browser.look_up(code)] += 1
            except (http.client.HTTPException, OSError):
                mine[0] += 1  # no answer at all
        with lock:
            statuses.update(mine)

    threads = [threading.Thread(target=run, args=(b,), daemon=True) for b in browsers]
    for thread in threads:
        thread.start()
    start.wait()
    started = time.monotonic()
    for thread in threads:
        thread.join(timeout=600)
    seconds = time.monotonic() - started
    for browser in browsers:
        browser.connection.close()
    return seconds, statuses


def run_backend(
    leases: str, directory: Path, args: argparse.Namespace, codes: list[str]
) -> dict | None:
    """Both orders against one server whose leases are in Redis or in the database."""
    redis, redis_url = (None, "")
    if leases == "redis":
        redis, redis_url = start_redis(directory)
        if redis is None:
            return None  # no redis-server installed
    database = directory / f"{leases}.db"
    stub = CountingRepresent(args.delay)
    lots = "100000000 per minute"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("ADVOCACY_")},
        "ADVOCACY_ENV": "production",
        "ADVOCACY_SECRET_KEY": "bench-" + "x" * 40,
        "ADVOCACY_DATABASE_URL": f"sqlite:///{database}",
        "ADVOCACY_REPRESENT_URL": stub.url,
        "ADVOCACY_REDIS_URL": redis_url,
        # For this benchmark only: every browser is 127.0.0.1, and 500 codes a minute is more
        # than Represent's own 60 a minute.
        "ADVOCACY_LOOKUP_RATE_LIMIT": lots,
        "ADVOCACY_UPSTREAM_BUDGET_PER_MINUTE": "1000000",
        "ADVOCACY_LOOKUP_DEADLINE": "20",
    }
    for command in (["init-db"], ["seed-demo"]):
        subprocess.run(  # noqa: S603 - our own command line
            [str(VENV_BIN / "advocacy"), *command], env=env, check=True, capture_output=True
        )
    port = free_port()
    server = Server(
        f"advocacy serve ({leases} leases)",
        [
            str(VENV_BIN / "advocacy"),
            "serve",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.workers),
        ],
        env,
        port,
        directory / f"{leases}.log",
    )
    orders: dict[str, dict] = {}
    try:
        server.wait_ready("/static/style.css")
        each = max(1, args.lookups // len(codes))
        for order in ORDERS:
            lookups = [code for code in codes for _ in range(each)]
            if order == "random":
                random.Random(7).shuffle(lookups)
            with sqlite3.connect(database) as db:  # nothing cached: every code is new
                db.execute("DELETE FROM lookup_cache")
            stub.calls.clear()
            seconds, statuses = surge(port, lookups, args.clients)
            calls = sum(stub.calls.values())
            orders[order] = {
                "calls": calls,
                "codes_called": len(stub.calls),
                "most_calls_for_a_code": max(stub.calls.values(), default=0),
                "lookups": len(lookups),
                "seconds": seconds,
                "statuses": {str(k): v for k, v in sorted(statuses.items())},
            }
            print(
                f"{leases:8} {order:12} {calls:5} calls for {len(codes)} codes, "
                f"{len(lookups)} lookups in {seconds:.1f} s, answers {dict(statuses)}",
                flush=True,
            )
        tracebacks = server.log.read_text(errors="replace").count("Traceback")
    finally:
        server.stop()
        stub.close()
        if redis is not None:
            redis.terminate()
            redis.wait(10)
    return {"leases": leases, "orders": orders, "server_tracebacks": tracebacks}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.upstream", description=__doc__)
    parser.add_argument("--lookups", type=int, default=10_000)
    parser.add_argument("--codes", type=int, default=500)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--delay", type=float, default=0.2, help="seconds the stub takes")
    parser.add_argument(
        "--leases",
        default="",
        help="redis, database or both (comma-separated); default: redis when redis-server is "
        "installed (as on many hosts), else database",
    )
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args(argv)
    codes = postal_codes(args.codes)
    if not args.leases:
        args.leases = "redis" if shutil.which("redis-server") else "database"
    results = []
    with tempfile.TemporaryDirectory(prefix="advocacy-upstream-") as tmp:
        for leases in args.leases.split(","):
            result = run_backend(leases.strip(), Path(tmp), args, codes)
            if result is None:
                print(f"{leases}: skipped (no redis-server installed)")
                continue
            results.append(result)
    summary = {
        "lookups": args.lookups,
        "codes": args.codes,
        "clients": args.clients,
        "workers": args.workers,
        "delay": args.delay,
        "redis_server": bool(shutil.which("redis-server")),
        "results": results,
    }
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2))
    met = all(o["calls"] == args.codes for r in results for o in r["orders"].values())
    print(f"goal (exactly {args.codes} calls in every run): {'met' if met else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
