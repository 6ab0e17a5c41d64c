"""Serve the app for real, in a process of its own, for tests that need a server process
(tests/test_durability.py).

    python -m tests.serve_app DIR [--config JSON] [--lifetime SECONDS] [--organizer EMAIL]

Builds ``create_app(test_config(DIR, **config))`` (its SQLite file is DIR/advocacy.db), creates
the tables and the demo campaign (and an organizer whose password is read from the first line
of stdin, with ``--organizer``), serves the app with werkzeug's threaded server on 127.0.0.1
and a free port, and prints ``PORT <n>`` on stdout once it accepts connections. It stops by
itself when its stdin is closed (the test ended, or died) or after ``--lifetime`` seconds,
whichever comes first, so it never outlives the test run.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from pathlib import Path

from werkzeug.serving import make_server

from advocacy import create_app
from tests.conftest import test_config


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", type=Path, help="where the SQLite file goes")
    parser.add_argument("--config", default="{}", help="settings as a JSON object")
    parser.add_argument("--lifetime", type=float, default=300.0, help="seconds, at most")
    parser.add_argument("--organizer", default="", help="create this organizer (password: stdin)")
    args = parser.parse_args(argv)

    app = create_app(test_config(args.directory, **json.loads(args.config)))
    runner = app.test_cli_runner()
    for command in (["init-db"], ["seed-demo"]):
        result = runner.invoke(args=command)
        if result.exit_code != 0:
            print(result.output, file=sys.stderr)
            return 1
    if args.organizer:
        password = sys.stdin.readline().rstrip("\n")
        command = ["create-organizer", args.organizer, "--password-stdin"]
        result = runner.invoke(args=command, input=password + "\n")
        if result.exit_code != 0:
            print(result.output, file=sys.stderr)
            return 1

    server = make_server("127.0.0.1", 0, app, threaded=True)

    def stop_when_stdin_closes() -> None:
        sys.stdin.read()  # returns at end of file
        server.shutdown()

    threading.Thread(target=stop_when_stdin_closes, daemon=True).start()
    deadline = threading.Timer(args.lifetime, server.shutdown)
    deadline.daemon = True
    deadline.start()

    print(f"PORT {server.server_port}", flush=True)
    try:
        server.serve_forever(poll_interval=0.1)
    finally:
        deadline.cancel()
        server.server_close()
        app.extensions["advocacy_db"].engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
