"""docs/performance.md from the results ``make bench`` leaves in bench/data/.

python -m bench.report [--micro FILE] > docs/performance.md
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import shutil
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from . import ROOT

DATA = ROOT / "bench" / "data"


def machine() -> str:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import os

    cores = os.cpu_count()
    memory = ""
    try:
        kib = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        memory = f"{kib / 1024 / 1024:.0f} GiB RAM"
    except (OSError, AttributeError):
        pass
    try:
        load = Path("/proc/loadavg").read_text().split()[:3]
    except OSError:
        load = []
    wrk = ""
    if shutil.which("wrk"):
        wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split("\n")[0]  # noqa: S607
    import gunicorn

    return (
        f"{cpu or platform.processor()}, {cores} cores, {memory}; {platform.system()} "
        f"{platform.release()}; Python {platform.python_version()}, SQLite "
        f"{sqlite3.sqlite_version}, gunicorn {gunicorn.__version__}, {wrk.strip()}; "
        f"load average when the report was written: {' '.join(load)}"
    )


def _pct(value: float) -> str:
    return f"{100 * value:.0f}%"


def _range(d: dict, fmt: str = "{:,.0f}") -> str:
    return f"{fmt.format(d['median'])} ({fmt.format(d['low'])}–{fmt.format(d['high'])})"


def surge_table(surge: dict) -> list[str]:
    f = surge["figures"]
    rows = [
        "| figure | ours, req/s | baseline (same gunicorn), req/s | ratio | goal | met |",
        "|---|---|---|---|---|---|",
    ]
    names = {
        "officials-50": ("cached officials page, 50 clients", "bare Flask JSON", 0.5),
        "officials-200": ("same, 200 clients", "bare Flask JSON", 0.5),
        "confirm-50": ('"I have sent it" POST, 50 clients', "2-statement SQLite write", 0.6),
    }
    for key, (label, baseline, goal) in names.items():
        if key not in f:
            continue
        fig = f[key]
        met = fig["ratio"]["median"] >= goal
        p99 = f"; p99 {fig['ours_p99_ms']['median']:,.0f} ms"
        base_p99 = f"; p99 {fig['baseline_p99_ms']['median']:,.0f} ms"
        goal_text = f"≥ {_pct(goal)}"
        if key == "officials-200":
            goal_text += ", p99 ≤ 2× bare's"
            met = met and fig["ours_p99_ms"]["median"] <= 2 * fig["baseline_p99_ms"]["median"]
        rows.append(
            f"| {label} | {_range(fig['ours_rate'])}{p99} | {baseline} "
            f"{_range(fig['baseline_rate'])}{base_p99} | "
            f"{_pct(fig['ratio']['median'])} ({_pct(fig['ratio']['low'])}–"
            f"{_pct(fig['ratio']['high'])}) | {goal_text} | {'yes' if met else '**no**'} |"
        )
    rss = surge["rss_mb"]
    if rss.get("ours"):
        ours = f"{min(rss['ours']):.0f}–{max(rss['ours']):.0f} MB"
        bare = f"{min(rss['bare']):.0f}–{max(rss['bare']):.0f} MB" if rss.get("bare") else "?"
        met = max(rss["ours"]) < 60
        rows.append(
            f"| RSS per worker, after the runs | {ours} | bare {bare} | — | < 60 MB | "
            f"{'yes' if met else '**no**'} |"
        )
    return rows


def multihost_table(mh: dict) -> list[str]:
    """The many-machines figures (bench/multihost.py): each run drives every host at once."""
    f = mh["figures"]
    rows = [
        "| figure | ours, req/s (all hosts) | baseline (same gunicorn, as many copies), req/s "
        "| ratio | goal (as on one machine) | met |",
        "|---|---|---|---|---|---|",
    ]
    names = {
        f"officials-{mh['clients']}": (
            f"cached officials page, {mh['clients']} clients",
            "bare Flask JSON",
            0.5,
        ),
        f"confirm-{mh['clients']}": (
            f'"I have sent it" POST, {mh["clients"]} clients',
            mh["write_baseline"],
            0.6,
        ),
    }
    for key, (label, baseline, goal) in names.items():
        if key not in f:
            continue
        fig = f[key]
        rows.append(
            f"| {label} | {_range(fig['ours_rate'])}; p99 {fig['ours_p99_ms']['median']:,.0f} ms"
            f"; errors {fig['ours_errors']} | {baseline} {_range(fig['baseline_rate'])}; p99 "
            f"{fig['baseline_p99_ms']['median']:,.0f} ms; errors {fig['baseline_errors']} | "
            f"{_pct(fig['ratio']['median'])} ({_pct(fig['ratio']['low'])}–"
            f"{_pct(fig['ratio']['high'])}) | ≥ {_pct(goal)} | "
            f"{'yes' if fig['ratio']['median'] >= goal else '**no**'} |"
        )
    c = mh["confirmations"]
    rows.append(
        f"| confirmations: rows stored / acknowledged (303) | {c['rows']:,} / "
        f"{c['acknowledged']:,} | — | — | never fewer rows | "
        f"{'yes' if c['never_fewer_rows'] else '**no**'} |"
    )
    return rows


def upstream_section(up: dict) -> list[str]:
    """Upstream calls during a surge (bench/upstream.py), against the goal of one per code."""
    rows = [
        f"## Upstream calls: {up['lookups']:,} lookups over {up['codes']:,} codes "
        "(bench/upstream.py)",
        "",
        f"`python -m bench.upstream`: `advocacy serve` with {up['workers']} gthread workers on "
        f"SQLite, {up['clients']} browsers (threads, each with its own session) posting the "
        f"lookup form, Represent stubbed on loopback ({up['delay']:.1f} s per answer), the "
        "budget and the lookup limit raised for the run. Lookups coalesce through a lease per "
        "code (advocacy/civic/coalesce.py): in Redis, or in the `lookup_leases` table.",
        "",
        "| leases | order | upstream calls | goal | met | lookups | seconds | answers |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for result in up["results"]:
        for order, o in result["orders"].items():
            met = "yes" if o["calls"] == up["codes"] else "**no**"
            answers = ", ".join(f"{n:,} × {code}" for code, n in o["statuses"].items())
            rows.append(
                f"| {result['leases']} | {order} | {o['calls']:,} | exactly {up['codes']:,} "
                f"| {met} | {o['lookups']:,} | {o['seconds']:.0f} | {answers} |"
            )
    return [*rows, ""]


def tally_table(results: list[dict]) -> list[str]:
    rows = [
        "| figure | " + " | ".join(r["database"] for r in results) + " | goal | met |",
        "|---|" + "---|" * len(results) + "---|---|",
    ]
    keys = list(results[0]["ms"])
    for key in keys:
        goal = 100 if key == "tallies page" else (None if "recount" in key else 30)
        values = [r["ms"].get(key) for r in results]
        met = "" if goal is None else ("yes" if all(v < goal for v in values) else "**no**")
        rows.append(
            f"| {key} | "
            + " | ".join(f"{v:,.1f} ms" for v in values)
            + f" | {'< ' + str(goal) + ' ms' if goal else '(for comparison)'} | {met} |"
        )
    rebuild = [
        f"{r['database']}: {r['rebuild_seconds']:.0f} s" for r in results if r["rebuild_seconds"]
    ]
    if rebuild:
        rows.append("")
        rows.append(
            f"`advocacy rebuild-tallies` over {results[0]['rows']:,} rows: {', '.join(rebuild)}."
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.report")
    parser.add_argument("--micro", type=Path)
    args = parser.parse_args(argv)
    out: list[str] = [
        "# Performance",
        "",
        "Written by `make bench` (bench/report.py) on "
        f"{datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}. Do not edit by hand: run "
        "`make bench` again.",
        "",
        f"Machine: {machine()}.",
        "",
        "Absolute figures move with the machine and whatever else runs on it; the ratios are "
        "measured against a baseline run right before ours, in the same session, under the "
        "same gunicorn settings, and move much less. The interpretation below each table was "
        "written for issue 13; the figures are this run's.",
        "",
    ]
    surge_file = DATA / "surge.json"
    if surge_file.exists():
        surge = json.loads(surge_file.read_text())
        c = surge["confirmations"]
        out += [
            "## Pages under load (bench/surge.py)",
            "",
            f"`python -m bench.surge`: real server processes on 127.0.0.1, `advocacy serve` "
            f"({surge['workers']} gthread workers × {surge['threads']} threads, its defaults) "
            "against bench/baselines.py under the same gunicorn settings; wrk -t2, "
            f"{surge['seconds']:.0f} s per run, {surge['pairs']} interleaved pairs per figure: "
            "median (lowest–highest). Rate limiter: "
            f"{surge['limiter']}. The officials page is served from the lookup cache "
            "(Represent unreachable: no request leaves the machine).",
            "",
            *surge_table(surge),
            "",
            f"Errors under load: ours {sum(f['ours_errors'] for f in surge['figures'].values())}"
            f", baselines {sum(f['baseline_errors'] for f in surge['figures'].values())} "
            f"(non-2xx/3xx, socket errors, timeouts); tracebacks in our server's log: "
            f"{surge['server_tracebacks']}. Confirmations acknowledged (303): "
            f"{c['acknowledged']:,}; contacts stored: {c['rows']:,} (the difference is the "
            "requests still in flight when wrk stopped, stored but never read by wrk; "
            "never fewer rows than acknowledgements).",
            "",
        ]
    multihost_file = DATA / "multihost.json"
    if multihost_file.exists():
        mh = json.loads(multihost_file.read_text())
        out += [
            f"## Many machines: {mh['hosts']} app hosts on PostgreSQL and Redis "
            "(bench/multihost.py)",
            "",
            f"`python -m bench.multihost --postgres URL [--redis URL]` (`make bench` with "
            f"`BENCH_PG=URL`): {mh['hosts']} `advocacy serve` processes (each {mh['workers']} "
            f"gthread workers × {mh['threads']} threads) on one fresh PostgreSQL database and "
            "one Redis (rate limiter and lookup leases), against as many copies of each "
            "baseline under the same gunicorn settings (the write baseline on the same "
            "PostgreSQL database). Each run drives every host at once, one wrk -t2 per host, "
            f"{mh['clients']} clients in all; {mh['seconds']:.0f} s per run, {mh['pairs']} "
            "interleaved pairs: median (lowest–highest). A run's rate is the sum of its wrk "
            "processes'; its p99 the highest of theirs. The hosts share this machine's "
            f"{mh['cores']} cores (and with PostgreSQL, Redis and wrk): the figures show the "
            "app's work per request against a shared database, not what separate machines "
            "would add.",
            "",
            *multihost_table(mh),
            "",
            f"Tracebacks in the hosts' logs: {mh['server_tracebacks']}. Rows above "
            "acknowledgements are requests still in flight when wrk stopped, stored but "
            "never read by wrk.",
            "",
        ]
    upstream_file = DATA / "upstream.json"
    if upstream_file.exists():
        out += upstream_section(json.loads(upstream_file.read_text()))
    tally_file = DATA / "tally5m.json"
    if tally_file.exists():
        results = json.loads(tally_file.read_text())
        out += [
            f"## Tallies over {results[0]['rows']:,} contacts (bench/tally5m.py)",
            "",
            "`python -m bench.tally5m [--postgres URL]`: the data set is generated once "
            "(bench/data/, gitignored; a database `advocacy_bench_<rows>` on PostgreSQL) by "
            "an INSERT ... SELECT into contact_actions, as an import would, then counted by "
            "`advocacy rebuild-tallies`. Medians of 20 calls on a warm cache (the page: 5, "
            "logged in, through Flask's test client).",
            "",
            *tally_table(results),
            "",
        ]
    for what in ("officials", "confirm"):
        profile = DATA / f"profile-{what}.txt"
        if profile.exists():
            out += [
                f"## Profile: {what} (bench/profile.py, py-spy on one worker under wrk)",
                "",
                "Share of samples in which each frame appears (inclusive; idle threads "
                "included in the total).",
                "",
                "```",
                profile.read_text().rstrip(),
                "```",
                "",
            ]
    if args.micro and args.micro.exists():
        out += [
            "## Micro-benchmarks (python -m bench, in-process)",
            "",
            "```",
            args.micro.read_text().rstrip(),
            "```",
            "",
        ]
    notes = ROOT / "bench" / "ANALYSIS.md"
    if notes.exists():
        out += [notes.read_text().rstrip(), ""]
    sys.stdout.write("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
