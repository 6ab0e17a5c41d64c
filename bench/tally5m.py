"""Tallies over 5,000,000 contact actions, on SQLite and (when a server is given) PostgreSQL.

    python -m bench.tally5m [--rows 5000000] [--repeat 20] [--postgres URL] [--json FILE]

The data set is generated once and reused: on SQLite in bench/data/tally-<rows>.db
(gitignored), on PostgreSQL in a database named ``advocacy_bench_<rows>`` created through
``--postgres`` (a URL to any database on that server, e.g. ADVOCACY_TEST_POSTGRES_URL). Its
rows are written the way an import would (one INSERT ... SELECT straight into
contact_actions, by the database itself), then ``advocacy rebuild-tallies`` counts them.

Timed, in this process, on a warm cache: ``tallies.tally`` by district, official and day (all
time, and over a 7-day range), ``tallies.total``, and the organizer's tallies page through
Flask's test client (logged in), each the median of ``--repeat`` calls (5 for the page); and
once, for comparison, the same district table counted from the rows (``tallies.recount``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine, func, select, text

from . import DEMO_SLUG, ROOT

DATA = ROOT / "bench" / "data"
EMAIL = "bench@example.org"
PASSWORD = "bench password that is long enough"  # noqa: S105 - a throwaway local account
DISTRICTS = 400  # about Canada's 343 federal ridings and more
DAYS = 60


def _rows_sql(dialect: str, rows: int, campaign_id: int) -> str:
    """One INSERT ... SELECT that writes ``rows`` contact actions (fixed SQL, numbers only)."""
    if dialect == "sqlite":
        # An integer and fixed text only.
        series = (
            f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {rows}) "  # noqa: S608
            "SELECT i FROM n"
        )
        when = f"datetime('2026-09-01', '+' || ((i * 7919) % {DAYS * 86400}) || ' seconds')"
        personalized = "CASE i % 3 WHEN 0 THEN NULL WHEN 1 THEN 1 ELSE 0 END"
    else:
        series = f"SELECT generate_series(CAST(1 AS BIGINT), {rows}) AS i"
        when = (
            "TIMESTAMPTZ '2026-09-01 00:00:00+00' + "
            f"make_interval(secs => (i * 7919) % {DAYS * 86400})"
        )
        personalized = "CASE i % 3 WHEN 0 THEN NULL WHEN 1 THEN TRUE ELSE FALSE END"
    level = "CASE (i % 400) % 3 WHEN 0 THEN 'federal' WHEN 1 THEN 'provincial' ELSE 'municipal' END"
    office = "CASE (i % 400) % 3 WHEN 0 THEN 'MP' WHEN 1 THEN 'MPP' ELSE 'Councillor' END"
    # Integers and fixed text only, no data.
    return (
        "INSERT INTO contact_actions (campaign_id, template_id, official_name, official_office,"  # noqa: S608
        " district_name, district_id, level, provider, method, postcode_prefix, created_at,"
        " idempotency_token, source, personalized, fingerprint)"
        f" SELECT {campaign_id}, NULL, 'Official ' || (i % {DISTRICTS}), {office},"
        f" 'District ' || (i % {DISTRICTS}), 'd' || (i % {DISTRICTS}), {level}, 'represent',"
        " CASE i % 4 WHEN 0 THEN 'email' ELSE 'mailto' END, 'K1P', "
        f"{when}, 'bench-' || i,"
        " CASE i % 5 WHEN 0 THEN '' WHEN 1 THEN 'newsletter' WHEN 2 THEN 'partner-a'"
        " WHEN 3 THEN 'partner-b' ELSE 'social' END,"
        f" {personalized}, NULL FROM ({series}) AS series"
    )


def _app(url: str):
    from advocacy import create_app

    return create_app(
        {
            "ENV": "testing",
            "SECRET_KEY": "bench-secret-key-that-is-long-enough",
            "DATABASE_URL": url,
            "ARGON2_TIME_COST": 1,
            "ARGON2_MEMORY_KIB": 1024,
            "ARGON2_PARALLELISM": 1,
        }
    )


def _invoke(app, *args: str, input: str | None = None) -> str:
    result = app.test_cli_runner().invoke(args=list(args), input=input)
    if result.exit_code != 0:
        raise RuntimeError(f"advocacy {' '.join(args)} failed: {result.output}")
    return result.output


def prepare(url: str, rows: int) -> tuple[object, float | None]:
    """The app on a database holding ``rows`` contacts (generated if not there yet) and the
    seconds ``rebuild-tallies`` took when they were generated now (None when reused)."""
    app = _app(url)
    db = app.extensions["advocacy_db"]
    _invoke(app, "init-db")
    from advocacy import campaigns
    from advocacy.models import ContactAction

    campaign = campaigns.campaign_by_slug(db, DEMO_SLUG)
    if campaign is None:
        _invoke(app, "seed-demo")
        campaign = campaigns.campaign_by_slug(db, DEMO_SLUG)
    with db.reader() as session:
        present = session.scalar(select(func.count()).select_from(ContactAction))
    rebuilt = None
    if present != rows:
        print(f"generating {rows:,} contacts in {db.url.split('@')[-1]}...", file=sys.stderr)
        with db.write() as session:
            session.execute(text("DELETE FROM tally_counters"))
            session.execute(text("DELETE FROM contact_actions"))
            session.execute(text(_rows_sql(db.engine.dialect.name, rows, campaign.id)))
    from advocacy import tallies

    if present != rows or tallies.total(db, campaign.id) != rows:  # new, or a rebuild cut short
        print(f"advocacy rebuild-tallies over {rows:,} contacts...", file=sys.stderr)
        started = time.perf_counter()
        _invoke(app, "rebuild-tallies")
        rebuilt = time.perf_counter() - started
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        else:
            with db.engine.connect() as conn:
                conn.execute(text("ANALYZE"))
    _invoke(app, "create-organizer", EMAIL, "--password-stdin", "--update", input=PASSWORD + "\n")
    return app, rebuilt


def _median_ms(function: Callable[[], object], repeat: int) -> float:
    function()  # warm
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1e3


def measure(url: str, rows: int, repeat: int) -> dict:
    import re

    from advocacy import campaigns, tallies

    app, rebuilt = prepare(url, rows)
    db = app.extensions["advocacy_db"]
    campaign = campaigns.campaign_by_slug(db, DEMO_SLUG)
    week = tallies.parse_period("2026-09-10", "2026-09-16")
    figures: dict[str, float] = {}
    for by in ("district", "official", "day"):
        figures[f"tally by {by}"] = _median_ms(
            lambda by=by: tallies.tally(db, campaign.id, by), repeat
        )
        figures[f"tally by {by}, 7 days"] = _median_ms(
            lambda by=by: tallies.tally(db, campaign.id, by, week), repeat
        )
    figures["total"] = _median_ms(lambda: tallies.total(db, campaign.id), repeat)
    assert tallies.total(db, campaign.id) == rows

    client = app.test_client()
    page = client.get("/admin/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    logged_in = client.post(
        "/admin/login", data={"csrf_token": csrf, "email": EMAIL, "password": PASSWORD}
    )
    assert logged_in.status_code in (302, 303), logged_in.status_code

    def dashboard() -> None:
        response = client.get(f"/admin/campaigns/{campaign.id}/tallies")
        assert response.status_code == 200, response.status_code
        response.get_data()

    figures["tallies page"] = _median_ms(dashboard, max(3, repeat // 4))
    started = time.perf_counter()
    recounted = tallies.recount(db, campaign.id, "district")
    figures["recount by district from the rows (once)"] = (time.perf_counter() - started) * 1e3
    counted = tallies.tally(db, campaign.id, "district")
    assert {r.values: r.count for r in recounted.rows} == {r.values: r.count for r in counted.rows}
    db.engine.dispose()
    return {
        "database": db.engine.dialect.name,
        "rows": rows,
        "rebuild_seconds": rebuilt,
        "ms": figures,
    }


def postgres_database(server_url: str, rows: int) -> str:
    """The URL of the benchmark's database on the server at ``server_url`` (created if new)."""
    from sqlalchemy.engine import make_url

    name = f"advocacy_bench_{rows}"
    engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{name}"'))  # a fixed name: digits only vary
    engine.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.tally5m", description=__doc__)
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--postgres", default="", help="a PostgreSQL URL on the server to use")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    DATA.mkdir(parents=True, exist_ok=True)
    results = [measure(f"sqlite:///{DATA / f'tally-{args.rows}.db'}", args.rows, args.repeat)]
    if args.postgres:
        results.append(measure(postgres_database(args.postgres, args.rows), args.rows, args.repeat))
    text_out = json.dumps(results, indent=2)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text_out, encoding="utf-8")
    print(text_out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
