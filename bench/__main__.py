"""``python -m bench [name ...] [--seconds N]``: run the benchmarks and print their ratios."""

from __future__ import annotations

import argparse
import sys
import time

from . import Result, format_time, letter, officials, record

BENCHMARKS = {
    "officials": officials.run,
    "record": record.run,
    "letter": letter.run,
}


def table(results: list[Result]) -> str:
    rows = [("benchmark", "per call", "baseline", "per call", "ratio", "iterations")]
    for r in results:
        rows.append(
            (
                r.name,
                format_time(r.seconds),
                r.baseline,
                format_time(r.baseline_seconds),
                f"{r.ratio:.1f}x",
                f"{r.iterations} / {r.baseline_iterations}",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    right = {1, 3, 4, 5}
    lines = []
    for number, row in enumerate(rows):
        cells = [
            cell.rjust(width) if i in right else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
        if number == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "names",
        nargs="*",
        metavar="name",
        help=f"benchmarks to run (default: all of {', '.join(BENCHMARKS)})",
    )
    parser.add_argument(
        "--seconds",
        type=float,
        default=3.0,
        help="time spent measuring each benchmark (default: 3)",
    )
    args = parser.parse_args(argv)
    unknown = [name for name in args.names if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
    if not 0 < args.seconds <= 60:
        parser.error("--seconds must be more than 0 and at most 60")
    results = []
    for name in args.names or BENCHMARKS:
        started = time.perf_counter()
        results.append(BENCHMARKS[name](args.seconds))
        print(f"{name}: done in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    print(table(results))
    print()
    print("ratio: the benchmark's time per call / its baseline's, both measured in this run")
    print("(median of 5 alternating rounds); iterations: calls timed, benchmark / baseline.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
