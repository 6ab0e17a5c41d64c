"""The many-machines set-up under wrk: N app hosts on one PostgreSQL and one Redis (issue 13).

    python -m bench.multihost --postgres URL [--redis URL] [--hosts 2] [--pairs 3]
                              [--seconds 5] [--json FILE]

``--postgres``: a SQLAlchemy URL to any database on the server to use (e.g.
postgresql+psycopg://advocacy:advocacy@127.0.0.1:5432/postgres); a fresh database
``advocacy_bench_multihost`` is created there for the run (dropped first if a run left it) and
dropped at the end. ``--redis``: the Redis every host shares (default
redis://127.0.0.1:6379/7): the rate limiter and the lookup leases use it through
ADVOCACY_REDIS_URL. Its keys are left as the app leaves them.

Starts, each in its own process group on 127.0.0.1, ``--hosts`` ``advocacy serve`` processes
(the "hosts": each with its default 2 workers x 8 threads, the same secret key, database and
Redis; the per-address limits raised as bench/surge.py raises them) and, for the baselines, as
many copies of each baseline of bench/baselines.py under the same gunicorn settings: the bare
Flask JSON app, and the two-statement write (INSERT and UPDATE of a counter in one transaction)
on the same PostgreSQL database. The demo campaign, the cached lookup and the browser session
are made by bench.surge.prepare, on PostgreSQL.

For each pair, the baseline's run and ours follow each other, and each run drives every host
at once: one wrk process (-t2) per host, the clients split evenly between them (50 in all), for
the cached officials page and the "I have sent it" POST. A run's rate is the sum of its wrk
processes' rates; its p50 and p99 are the highest of theirs (wrk's percentiles cannot be
merged). After each confirmation run, rows stored are compared with the confirmations
acknowledged (a 303): there must never be fewer rows. The table gives the median and spread
(lowest to highest) of each side and of the per-pair ratios.

On a machine with fewer cores than hosts x workers the hosts share the cores: the figures
measure the database, Redis and the app's work per request, not what separate machines add.
Needs wrk, a PostgreSQL server the URL's role can create databases on, a Redis, and Linux.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from . import ROOT
from .surge import (
    BODIES_PER_RUN,
    GET_LUA,
    POST_COUNTER_LUA,
    POST_FILE_LUA,
    THREADS,
    WORKERS,
    Run,
    Server,
    baseline_settings,
    confirmation_bodies,
    free_port,
    lua_string,
    prepare,
    spread,
    wrk,
)

DATABASE = "advocacy_bench_multihost"
CLIENTS = 50
VENV_BIN = Path(sys.executable).parent


def create_database(server_url: str) -> str:
    """A fresh, empty database DATABASE on the server at ``server_url``; its URL."""
    engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{DATABASE}"'))
    engine.dispose()
    return make_url(server_url).set(database=DATABASE).render_as_string(hide_password=False)


def drop_database(server_url: str) -> None:
    engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
    engine.dispose()


def libpq_url(url: str) -> str:
    """``url`` (SQLAlchemy's, with a driver) as psycopg's own connect() takes it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def check_redis(url: str) -> None:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        raise SystemExit(f"Redis at {url} does not answer ({error}): pass --redis URL") from None


def count_rows(engine, table: str) -> int:
    with engine.connect() as conn:
        return conn.scalar(text(f"SELECT count(*) FROM {table}"))  # noqa: S608 - a fixed name


def together(servers: list[Server], path: str, seconds: float, scripts: list[str], tmp) -> Run:
    """One wrk process per server, all at once, CLIENTS split evenly: their sum as one Run
    (the rate summed, p50 and p99 the highest of the processes', the errors summed)."""
    n = len(servers)
    shares = [CLIENTS // n + (1 if i < CLIENTS % n else 0) for i in range(n)]
    with ThreadPoolExecutor(n) as pool:
        runs = list(
            pool.map(
                lambda job: wrk(job[0].url(path), seconds, job[2], job[1], tmp),
                zip(servers, scripts, shares, strict=True),
            )
        )
    requests = sum(r.requests for r in runs)
    rate = sum(r.rate for r in runs)
    return Run(
        requests,
        requests / rate if rate else max(r.seconds for r in runs),
        max(r.p50_ms for r in runs),
        max(r.p99_ms for r in runs),
        sum(r.errors for r in runs),
    )


def run(postgres: str, redis_url: str, hosts: int, pairs: int, seconds: float) -> dict:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install wrk; make bench does it)")
    check_redis(redis_url)
    database_url = create_database(postgres)
    engine = create_engine(database_url)
    servers: list[Server] = []
    results: dict[str, dict[str, list[Run]]] = {}
    checks: list[dict] = []
    try:
        with tempfile.TemporaryDirectory(prefix="advocacy-multihost-") as tmp:
            directory = Path(tmp)
            prepared = prepare(directory, redis_url, database_url)
            from .baselines import create_pg_write_db

            create_pg_write_db(libpq_url(database_url))
            ours: list[Server] = []
            bare: list[Server] = []
            write: list[Server] = []
            baseline_env = {
                **os.environ,
                "PYTHONPATH": str(ROOT),
                "BENCH_PGWRITE_URL": libpq_url(database_url),
            }
            baseline = [sys.executable, "-m", "bench.baselines"]
            for host in range(hosts):
                port = free_port()
                command = [str(VENV_BIN / "advocacy"), "serve", "--bind", f"127.0.0.1:{port}"]
                ours.append(
                    Server(f"host{host}", command, prepared.env, port, directory / f"h{host}.log")
                )
                port = free_port()
                command = [*baseline, "bare", "--settings", baseline_settings(port)]
                bare.append(
                    Server(f"bare{host}", command, baseline_env, port, directory / f"b{host}.log")
                )
                port = free_port()
                command = [*baseline, "pgwrite", "--settings", baseline_settings(port)]
                write.append(
                    Server(f"write{host}", command, baseline_env, port, directory / f"w{host}.log")
                )
            servers = [*ours, *bare, *write]
            for server in ours + bare:
                server.wait_ready("/")
            for server in write:
                server.wait_ready("/nothing")

            get_ours = GET_LUA % {"cookie": lua_string(prepared.cookie)}
            # Warm-up: every worker of every host imports, connects and fills its caches.
            together(ours, prepared.officials_path, 2, [get_ours] * hosts, directory)
            together(bare, "/", 1, [""] * hosts, directory)
            check = together(ours, prepared.officials_path, 1, [get_ours] * hosts, directory)
            if check.errors:
                raise RuntimeError(f"the officials page answers errors: {ours[0].log.read_text()}")

            def record(name: str, side: str, result: Run) -> None:
                results.setdefault(name, {"ours": [], "baseline": []})[side].append(result)

            for pair in range(pairs):
                name = f"officials-{CLIENTS}"
                record(name, "baseline", together(bare, "/", seconds, [""] * hosts, directory))
                record(
                    name,
                    "ours",
                    together(ours, prepared.officials_path, seconds, [get_ours] * hosts, directory),
                )
                counters = [
                    POST_COUNTER_LUA % {"nonce": lua_string(f"p{pair}h{h}-{secrets.token_hex(4)}")}
                    for h in range(hosts)
                ]
                before = count_rows(engine, "bench_write_actions")
                written = together(write, "/", seconds, counters, directory)
                time.sleep(0.5)
                record(f"confirm-{CLIENTS}", "baseline", written)
                scripts = []
                for host in range(hosts):
                    bodies = directory / f"bodies-{pair}-{host}.txt"
                    confirmation_bodies(prepared, bodies, BODIES_PER_RUN // hosts)
                    scripts.append(
                        POST_FILE_LUA
                        % {
                            "bodies": lua_string(str(bodies)),
                            "threads": 2,
                            "path": lua_string(prepared.sent_path),
                            "cookie": lua_string(prepared.cookie),
                        }
                    )
                base_rows = count_rows(engine, "bench_write_actions") - before
                before = count_rows(engine, "contact_actions")
                confirmed = together(ours, prepared.sent_path, seconds, scripts, directory)
                time.sleep(0.5)  # requests still in flight when wrk stopped finish
                rows = count_rows(engine, "contact_actions") - before
                record(f"confirm-{CLIENTS}", "ours", confirmed)
                checks.append(
                    {
                        "pair": pair,
                        "acknowledged": confirmed.requests - confirmed.errors,
                        "rows": rows,
                        "baseline_acknowledged": written.requests - written.errors,
                        "baseline_rows": base_rows,
                    }
                )
            rss = {
                "ours": [mb for s in ours for mb in s.worker_rss_mb()],
                "bare": [mb for s in bare for mb in s.worker_rss_mb()],
            }
            tracebacks = sum(s.log.read_text().count("Traceback") for s in ours)
    finally:
        for server in servers:
            server.stop()
        engine.dispose()
        drop_database(postgres)
    figures = {}
    for name, sides in results.items():
        ours_runs, base_runs = sides["ours"], sides["baseline"]
        figures[name] = {
            "ours_rate": spread([r.rate for r in ours_runs]),
            "baseline_rate": spread([r.rate for r in base_runs]),
            "ratio": spread([o.rate / b.rate for o, b in zip(ours_runs, base_runs, strict=True)]),
            "ours_p99_ms": spread([r.p99_ms for r in ours_runs]),
            "baseline_p99_ms": spread([r.p99_ms for r in base_runs]),
            "ours_errors": sum(r.errors for r in ours_runs),
            "baseline_errors": sum(r.errors for r in base_runs),
            "runs": [asdict(r) for r in ours_runs],
            "baseline_runs": [asdict(r) for r in base_runs],
        }
    return {
        "hosts": hosts,
        "clients": CLIENTS,
        "pairs": pairs,
        "seconds": seconds,
        "workers": WORKERS,
        "threads": THREADS,
        "cores": os.cpu_count(),
        "database": "postgresql",
        "write_baseline": "2-statement PostgreSQL write",
        "limiter": "redis",
        "figures": figures,
        "confirmations": {
            "acknowledged": sum(c["acknowledged"] for c in checks),
            "rows": sum(c["rows"] for c in checks),
            "never_fewer_rows": all(c["rows"] >= c["acknowledged"] for c in checks),
            "per_pair": checks,
        },
        "rss_mb": rss,
        "server_tracebacks": tracebacks,
    }


def table(result: dict) -> str:
    """The figures as the Markdown table bench/report.py writes (for the terminal too)."""
    from .report import multihost_table

    return "\n".join(multihost_table(result))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.multihost",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--postgres",
        default=os.environ.get("ADVOCACY_TEST_POSTGRES_URL", ""),
        help="a PostgreSQL URL on the server to use (default: ADVOCACY_TEST_POSTGRES_URL)",
    )
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/7", help="the shared Redis")
    parser.add_argument("--hosts", type=int, default=2, help="app hosts (default 2)")
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--json", type=Path, help="write the results here too")
    args = parser.parse_args(argv)
    if not args.postgres:
        parser.error("--postgres URL is needed (or ADVOCACY_TEST_POSTGRES_URL)")
    if not 1 <= args.hosts <= CLIENTS // 2:  # wrk -t2 needs 2 connections or more
        parser.error(f"--hosts must be between 1 and {CLIENTS // 2}")
    result = run(args.postgres, args.redis, args.hosts, args.pairs, args.seconds)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(table(result))
    c = result["confirmations"]
    print(
        f"\nconfirmations acknowledged {c['acknowledged']:,}, rows stored {c['rows']:,}; "
        f"tracebacks in the hosts' logs: {result['server_tracebacks']}"
    )
    return 0 if c["never_fewer_rows"] else 1


if __name__ == "__main__":
    sys.exit(main())
