"""The baselines of the server benchmark (bench/surge.py), served by the same gunicorn settings
as ``advocacy serve`` (advocacy.serving.gunicorn_settings):

- ``bare``: a Flask app answering ``GET /`` with a small JSON object (what Flask and gunicorn
  cost, with nothing of ours);
- ``write``: a Flask app answering ``POST /`` with a two-statement SQLite write (an INSERT of
  the posted token and an UPDATE of a counter) in a ``BEGIN IMMEDIATE`` transaction, on a WAL
  file with synchronous=FULL: the least an acknowledged, durable, counted contact can cost;
- ``pgwrite``: the same two statements in one transaction on PostgreSQL (psycopg, one
  connection per thread, synchronous_commit as the server has it), for bench/multihost.py.
  Its libpq URL comes from the environment variable BENCH_PGWRITE_URL (not the command line,
  where ``ps`` would show the password); create its tables with ``create_pg_write_db``.

    python -m bench.baselines bare|write|pgwrite --settings JSON [--db FILE]

``--settings``: advocacy.serving.gunicorn_settings() as JSON, less its logger class (the
access log goes to standard output, which bench/surge.py discards for every server).
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import threading
from pathlib import Path

from flask import Flask, jsonify, request


def bare_app() -> Flask:
    app = Flask("bare")

    @app.get("/")
    def index():
        return jsonify(ok=True, campaign="bench")

    return app


def write_app(path: Path) -> Flask:
    app = Flask("write")
    local = threading.local()

    def connection() -> sqlite3.Connection:
        if not hasattr(local, "connection"):
            db = sqlite3.connect(path, timeout=10.0, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.execute("PRAGMA busy_timeout=10000")
            local.connection = db
        return local.connection

    @app.post("/")
    def write():
        token = request.form.get("token", "")
        db = connection()
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("INSERT INTO actions (token) VALUES (?)", (token,))
            db.execute("UPDATE counters SET n = n + 1 WHERE id = 1")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        return jsonify(ok=True), 201

    return app


def pg_write_app(url: str) -> Flask:
    import psycopg

    app = Flask("pgwrite")
    local = threading.local()

    def connection():
        if not hasattr(local, "connection"):
            local.connection = psycopg.connect(url, autocommit=True)  # BEGIN/COMMIT below
        return local.connection

    @app.post("/")
    def write():
        token = request.form.get("token", "")
        db = connection()
        with db.transaction():
            db.execute("INSERT INTO bench_write_actions (token) VALUES (%s)", (token,))
            db.execute("UPDATE bench_write_counters SET n = n + 1 WHERE id = 1")
        return jsonify(ok=True), 201

    return app


def create_pg_write_db(url: str) -> None:
    """The tables of ``pg_write_app`` in the database at ``url`` (a libpq URL), empty."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as db:
        db.execute("DROP TABLE IF EXISTS bench_write_actions, bench_write_counters")
        db.execute("CREATE TABLE bench_write_actions (id BIGSERIAL PRIMARY KEY, token TEXT UNIQUE)")
        db.execute("CREATE TABLE bench_write_counters (id INTEGER PRIMARY KEY, n BIGINT NOT NULL)")
        db.execute("INSERT INTO bench_write_counters (id, n) VALUES (1, 0)")


def create_write_db(path: Path) -> None:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE actions (id INTEGER PRIMARY KEY, token TEXT UNIQUE)")
    db.execute("CREATE TABLE counters (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)")
    db.execute("INSERT INTO counters (id, n) VALUES (1, 0)")
    db.close()


class _Server:
    """gunicorn running ``factory``'s app with ``settings`` (built without importing the
    advocacy package, so that a baseline worker holds Flask and nothing of ours)."""

    def __new__(cls, factory, settings: dict):
        from gunicorn.app.base import BaseApplication

        class Application(BaseApplication):
            def load_config(self) -> None:
                for name, value in settings.items():
                    self.cfg.set(name, value)

            def load(self):
                return factory()

        return Application()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.baselines")
    parser.add_argument("which", choices=("bare", "write", "pgwrite"))
    parser.add_argument("--settings", required=True, help="gunicorn settings as JSON")
    parser.add_argument("--db", type=Path)
    args = parser.parse_args(argv)
    settings = json.loads(args.settings)
    settings["proc_name"] = f"bench-{args.which}"
    if args.which == "bare":
        _Server(bare_app, settings).run()
    elif args.which == "pgwrite":
        url = os.environ["BENCH_PGWRITE_URL"]
        _Server(lambda: pg_write_app(url), settings).run()
    else:
        _Server(lambda: write_app(args.db), settings).run()


if __name__ == "__main__":
    main()
