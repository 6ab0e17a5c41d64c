"""Where a worker's time goes under load: py-spy on one ``advocacy serve`` worker while wrk
drives the officials page or the confirmation POST (the set-up of bench/surge.py).

    python -m bench.profile officials|confirm [--seconds 10] [--top 25] [--all] [--gil]

Prints, for the functions of the app and of the libraries it calls, the share of samples in
which each appears (inclusive), and the share waiting in SQLite's busy handler or the write
lock. Needs wrk and py-spy (``pip install -e '.[dev]'``), and permission to ptrace the worker
(root, or kernel.yama.ptrace_scope=0).
"""

from __future__ import annotations

import argparse
import collections
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from . import surge


def collapsed_shares(path: Path) -> tuple[int, collections.Counter]:
    """Total samples, and samples per frame (each frame counted once per stack)."""
    total = 0
    shares: collections.Counter = collections.Counter()
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        samples = int(count)
        total += samples
        for frame in set(stack.split(";")):
            shares[frame] += samples
    return total, shares


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("what", choices=("officials", "confirm"))
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument(
        "--all",
        action="store_true",
        help="every frame (gunicorn's, Flask's, the libraries'), not only the app's",
    )
    parser.add_argument(
        "--gil",
        action="store_true",
        help="sample only the thread holding the GIL (where the CPU goes; without it, threads "
        "waiting for the GIL after a system call count too)",
    )
    args = parser.parse_args(argv)
    spy = shutil.which("py-spy") or str(surge.VENV_BIN / "py-spy")
    with tempfile.TemporaryDirectory(prefix="advocacy-profile-") as tmp:
        directory = Path(tmp)
        redis, redis_url = surge.start_redis(directory)
        port = surge.free_port()
        prepared = surge.prepare(directory, redis_url)
        ours = surge.Server(
            "ours",
            [str(surge.VENV_BIN / "advocacy"), "serve", "--bind", f"127.0.0.1:{port}"],
            prepared.env,
            port,
            directory / "ours.log",
        )
        try:
            ours.wait_ready("/")
            if args.what == "officials":
                url = ours.url(prepared.officials_path)
                script = surge.GET_LUA % {"cookie": surge.lua_string(prepared.cookie)}
            else:
                bodies = directory / "bodies.txt"
                surge.confirmation_bodies(prepared, bodies, surge.BODIES_PER_RUN)
                url = ours.url(prepared.sent_path)
                script = surge.POST_FILE_LUA % {
                    "bodies": surge.lua_string(str(bodies)),
                    "threads": 2,
                    "path": surge.lua_string(prepared.sent_path),
                    "cookie": surge.lua_string(prepared.cookie),
                }
            surge.wrk(url, 2, 16, script, directory)  # warm-up
            load = threading.Thread(
                target=surge.wrk, args=(url, args.seconds + 4, 50, script, directory)
            )
            load.start()
            worker = ours.workers()[0]
            out = directory / "profile.txt"
            subprocess.run(  # noqa: S603 - our own command line
                [
                    spy,
                    "record",
                    "--pid",
                    str(worker),
                    "--duration",
                    str(args.seconds),
                    "--rate",
                    "250",
                    "--format",
                    "raw",
                    "--output",
                    str(out),
                    "--nonblocking",
                    *(["--gil"] if args.gil else []),
                ],
                check=True,
                capture_output=True,
            )
            load.join()
        finally:
            ours.stop()
            if redis is not None:
                redis.terminate()
        total, shares = collapsed_shares(out)
    holding = ", GIL holder only" if args.gil else ""
    print(f"{args.what}: {total} samples of one worker (py-spy, 250 Hz, {args.seconds} s{holding})")
    interesting = [
        (frame, n)
        for frame, n in shares.most_common()
        if args.all
        or "advocacy/" in frame
        or "html" in frame
        or frame.startswith(("Session.", "render_template"))
    ]
    for frame, n in interesting[: args.top]:
        print(f"{100 * n / total:5.1f}%  {frame}")
    idle = sum(n for frame, n in shares.items() if frame.startswith(("wait (", "select (")))
    print(f"{100 * idle / total:5.1f}%  idle threads (waiting for a connection or a lock)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
