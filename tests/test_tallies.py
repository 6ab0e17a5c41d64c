"""Tallies: counts by district, official, level, day and source over a date range, on the
organizers' dashboard, in CSV exports and from ``advocacy tally``; all matching the contact
actions supporters logged."""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from datetime import UTC, date, datetime
from html import escape, unescape

import pytest
from sqlalchemy import select

from advocacy import actions, campaigns, tallies
from advocacy.civic.officials import Official
from advocacy.models import ContactAction

from .admin_helpers import create_organizer, login
from .conftest import DEMO_SLUG
from .helpers import csrf_token, hidden, letter_form_data

BASE = f"/c/{DEMO_SLUG}"

# Letters sent through the supporter's path: (postal code, official, source code).
SENT = [
    ("K1P5G4", "Alexandra Placeholder", ""),
    ("K1P5G4", "Alexandra Placeholder", "newsletter-may"),
    ("K1P5G4", "Jean-François Exemple", ""),
    ("G6G1B2", "Émilie Côté-Exemple", ""),
    ("G6G1B2", "Geneviève Hébert-Modèle", "partner-a"),
    ("V0C1R0", "Bob Sample-Zimmer", "newsletter-may"),
    ("V0C1R0", "Pat Nobody-Example", ""),
]
# Who each of them is, as the Represent fixtures say.
DISTRICTS = {
    "Alexandra Placeholder": ("MP", "Ottawa Centre", "federal"),
    "Jean-François Exemple": ("MPP", "Ottawa Centre", "provincial"),
    "Émilie Côté-Exemple": ("MP", "Mégantic—L'Érable—Lotbinière", "federal"),
    "Geneviève Hébert-Modèle": ("MNA", "Lotbinière-Frontenac", "provincial"),
    "Bob Sample-Zimmer": ("MP", "Prince George—Peace River—Northern Rockies", "federal"),
    "Pat Nobody-Example": ("MLA", "Peace River North", "provincial"),
}
SUPPORTER = {"name": "Mei Example-Supporter", "city": "Ottawa"}


def send_letter(app, represent, code: str, name: str, source: str = "") -> None:
    """One supporter (their own browser) writes to ``name`` from the page for ``code``."""
    client = app.test_client()
    query = f"?source={source}" if source else ""
    represent.add(code)
    page = client.get(f"{BASE}/{query}").get_data(as_text=True)
    officials = client.post(
        f"{BASE}/lookup{query}",
        data={"csrf_token": csrf_token(page), "postcode": code},
        follow_redirects=True,
    ).get_data(as_text=True)
    match = re.search(rf'href="([^"]+/write/[^"]+)">Write to {re.escape(escape(name))}<', officials)
    assert match, f"no link to write to {name}"
    link = unescape(match.group(1))
    letter = client.get(link).get_data(as_text=True)
    send = client.post(
        link, data=letter_form_data(letter, **SUPPORTER), follow_redirects=True
    ).get_data(as_text=True)
    sent_url = unescape(re.search(r'action="([^"]+/sent/[^"]+)"', send).group(1))
    response = client.post(
        sent_url,
        data={
            "csrf_token": csrf_token(send),
            "postcode": hidden(send, "postcode"),
            "token": hidden(send, "token"),
            "template_id": hidden(send, "template_id"),
            "proof": hidden(send, "proof"),
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)


@pytest.fixture
def sent(app, represent):
    for code, name, source in SENT:
        send_letter(app, represent, code, name, source)
    return SENT


@pytest.fixture
def demo(db):
    return campaigns.campaign_by_slug(db, DEMO_SLUG)


@pytest.fixture
def organizer(runner, client):
    create_organizer(runner)
    login(client)
    return client


def official(name: str, office: str, district: str, level: str, district_id: str = "") -> Official:
    return Official(
        name=name,
        elected_office=office,
        level=level,
        body="",
        district_name=district,
        district_id=district_id,
        source="represent",
    )


def record(db, campaign, who: Official, when: datetime | None = None, source: str = "") -> int:
    """A contact logged the way the send page logs it, at ``when`` if given."""
    result = actions.record_contact(
        db, campaign, None, who, "K1A 0B1", "mailto", actions.new_token(), source=source, when=when
    )
    return result.action_id


def at(day: str, clock: str = "12:00:00") -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=UTC)


def expected(by: str) -> Counter:
    """What the SENT letters should count, by ``by``."""
    counts: Counter = Counter()
    for _, name, source in SENT:
        office, district, level = DISTRICTS[name]
        key = {
            "official": (name, office, district),
            "level": (level,),
            "source": (source or "direct",),
        }.get(by)
        if by == "district":
            key = (district, level)
        counts[key] += 1
    return counts


def as_counter(result: tallies.Tally, by: str) -> Counter:
    if by == "district":  # the district id is checked on its own
        return Counter({(r.values[0], r.values[2]): r.count for r in result.rows})
    return Counter({r.values: r.count for r in result.rows})


def parse_csv(response) -> list[dict]:
    body = response.get_data().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(body)))


def page_text(response) -> str:
    return unescape(response.get_data(as_text=True))


def svg(html: str, chart_id: str) -> str:
    match = re.search(rf'<svg [^>]*id="{chart_id}".*?</svg>', html, re.S)
    assert match, f"no chart {chart_id} in the page"
    return match.group(0)


# -- access -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/tallies", "/tallies/district.csv", "/tallies/day.csv", "/tallies/actions.csv"],
)
def test_tallies_need_an_organizer_session(client, demo, sent, path):
    response = client.get(f"/admin/campaigns/{demo.id}{path}")
    assert response.status_code == 302
    assert "/admin/login" in response.headers["Location"]
    assert "Ottawa Centre" not in response.get_data(as_text=True)


def test_an_unknown_campaign_is_not_found(organizer):
    assert organizer.get("/admin/campaigns/999/tallies").status_code == 404
    assert organizer.get("/admin/campaigns/999/tallies/district.csv").status_code == 404
    assert organizer.get("/admin/campaigns/999/tallies/actions.csv").status_code == 404


def test_an_unknown_table_is_not_found(organizer, demo):
    assert organizer.get(f"/admin/campaigns/{demo.id}/tallies/email.csv").status_code == 404


def test_the_campaign_pages_link_to_the_tallies(organizer, demo):
    url = f"/admin/campaigns/{demo.id}/tallies"
    assert f'href="{url}">Tallies<' in organizer.get("/admin/").get_data(as_text=True)
    settings = organizer.get(f"/admin/campaigns/{demo.id}/edit").get_data(as_text=True)
    assert f'href="{url}">Tallies<' in settings


# -- the figures match what supporters sent -----------------------------------------------------


@pytest.mark.parametrize("by", ["district", "official", "level", "source"])
def test_tallies_match_the_letters_sent_through_the_site(db, demo, sent, by):
    result = tallies.tally(db, demo.id, by)
    assert as_counter(result, by) == expected(by)
    assert result.total == len(SENT) == tallies.total(db, demo.id)


def test_districts_keep_their_ids_and_levels_apart(db, demo, sent):
    rows = {r.values: r.count for r in tallies.tally(db, demo.id, "district").rows}
    # Ottawa Centre is a federal and a provincial district: two rows, never one of 3.
    assert rows[("Ottawa Centre", "35075", "federal")] == 2
    ottawa = [v for v in rows if v[0] == "Ottawa Centre"]
    assert len(ottawa) == 2 and {v[2] for v in ottawa} == {"federal", "provincial"}


def test_today_counts_every_letter(db, demo, sent):
    [row] = tallies.tally(db, demo.id, "day").rows
    assert row.values == (datetime.now(UTC).date().isoformat(),) and row.count == len(SENT)


def test_the_dashboard_shows_every_table(organizer, demo, sent):
    response = organizer.get(f"/admin/campaigns/{demo.id}/tallies")
    assert response.status_code == 200
    html = page_text(response)
    assert re.search(rf'<span class="count">{len(SENT)}</span>\s*contacts in all', html)
    for by in tallies.BY:
        assert f'id="by-{by}"' in html
    for name, (office, district, _) in DISTRICTS.items():
        assert f"<td>{name}</td><td>{office}</td><td>{district}</td>" in html
    assert '<td>newsletter-may</td><td class="num">2</td>' in html
    assert '<td>direct (no source code)</td><td class="num">4</td>' in html
    assert '<td>federal</td><td class="num">4</td>' in html
    assert "Days are counted in UTC" in html


def test_the_dashboard_shows_progress_towards_the_goal(organizer, demo, sent):
    html = page_text(organizer.get(f"/admin/campaigns/{demo.id}/tallies"))
    assert f"Goal: {len(SENT)} of {demo.goal:,} letters (0%), all dates." in html
    assert f'<progress id="goal-progress" max="{demo.goal}" value="{len(SENT)}">' in html


def test_a_campaign_without_a_goal_shows_no_progress(organizer, db, demo):
    campaigns.save_campaign(db, demo.id, {"slug": DEMO_SLUG, "goal": None})
    html = page_text(organizer.get(f"/admin/campaigns/{demo.id}/tallies"))
    assert "<progress" not in html and "Goal:" not in html
    assert "No contacts in this period." in html


def test_many_contacts_are_counted_exactly(db, demo):
    """Volume: 300 contacts over 30 districts, 3 levels and 10 days."""
    wanted: dict[str, Counter] = {by: Counter() for by in ("district", "level", "day")}
    for n in range(300):
        level = ("federal", "provincial", "municipal")[n % 3]
        district = f"District {n % 30:02d}"
        day = date(2024, 3, 1 + n % 10).isoformat()
        record(db, demo, official(f"Official {n % 30}", "MP", district, level), at(day))
        wanted["district"][(district, level)] += 1
        wanted["level"][(level,)] += 1
        wanted["day"][(day,)] += 1
    for by, counts in wanted.items():
        result = tallies.tally(db, demo.id, by)
        assert as_counter(result, by) == counts
        assert result.total == 300


# -- sorting ------------------------------------------------------------------------------------


@pytest.fixture
def sorted_data(db, demo):
    for district, n in (("Beta", 3), ("alpha", 1), ("Émond", 2), ("Delta", 5)):
        for _ in range(n):
            record(db, demo, official("X", "MP", district, "federal"))
    return demo


@pytest.mark.parametrize(
    ("token", "order"),
    [
        ("count-desc", ["Delta", "Beta", "Émond", "alpha"]),
        ("count-asc", ["alpha", "Émond", "Beta", "Delta"]),
        # Case and accents do not push a name to the end.
        ("name-asc", ["alpha", "Beta", "Delta", "Émond"]),
        ("name-desc", ["Émond", "Delta", "Beta", "alpha"]),
    ],
)
def test_tables_sort_by_count_or_name_both_ways(db, sorted_data, token, order):
    result = tallies.tally(db, sorted_data.id, "district", sort=tallies.parse_sort(token, "x"))
    assert [r.label for r in result.rows] == order


def test_ties_are_broken_by_name(db, demo):
    for district in ("Zeta", "Alpha", "Mu"):
        record(db, demo, official("X", "MP", district, "federal"))
    result = tallies.tally(db, demo.id, "district")
    assert [r.label for r in result.rows] == ["Alpha", "Mu", "Zeta"]


def test_days_read_in_order_by_default(db, demo):
    for day in ("2024-05-03", "2024-05-01", "2024-05-01", "2024-05-02"):
        record(db, demo, official("X", "MP", "D", "federal"), at(day))
    result = tallies.tally(db, demo.id, "day")
    assert [r.label for r in result.rows] == ["2024-05-01", "2024-05-02", "2024-05-03"]


@pytest.mark.parametrize("raw", [None, "", "size-desc", "count", "name-up", "count-desc-x"])
def test_an_unknown_sort_falls_back_to_the_default(raw):
    assert tallies.parse_sort(raw, "district") == tallies.Sort("count", True)
    assert tallies.parse_sort(raw, "day") == tallies.Sort("name", False)


def test_the_dashboard_sorts_a_table_from_its_headers(organizer, sorted_data):
    url = f"/admin/campaigns/{sorted_data.id}/tallies"
    html = organizer.get(url).get_data(as_text=True)
    # By count, largest first, by default; the header says so and links to the other way.
    assert 'aria-sort="descending"><a href="' in html
    section = html[html.index('id="by-district"') : html.index('id="by-official"')]
    cells = re.findall(r"<tr><td>([^<]+)</td>", section)
    assert [unescape(c) for c in cells] == ["Delta", "Beta", "Émond", "alpha"]
    name_link = unescape(re.search(r'<th scope="col"><a href="([^"]+)">District<', section)[1])
    assert "sort_district=name-asc" in name_link and name_link.endswith("#by-district")

    html = organizer.get(name_link).get_data(as_text=True)
    section = html[html.index('id="by-district"') : html.index('id="by-official"')]
    cells = re.findall(r"<tr><td>([^<]+)</td>", section)
    assert [unescape(c) for c in cells] == ["alpha", "Beta", "Delta", "Émond"]
    assert 'aria-sort="ascending"' in section
    # The other tables keep their own order, and the date form keeps this one's.
    assert '<input type="hidden" name="sort_district" value="name-asc">' in html
    next_link = unescape(
        re.search(r'<th scope="col" aria-sort="ascending"><a href="([^"]+)"', section)[1]
    )
    assert "sort_district=name-desc" in next_link


# -- dates --------------------------------------------------------------------------------------


@pytest.fixture
def dated(db, demo):
    """Contacts on each side of UTC midnights: 1 May 23:59:59, 2 May 00:00:00, 3 May, 5 May."""
    where = official("X", "MP", "Ottawa Centre", "federal", "35075")
    record(db, demo, where, at("2024-05-01", "23:59:59"))
    record(db, demo, where, at("2024-05-02", "00:00:00"), source="flyer")
    record(db, demo, where, at("2024-05-03", "23:59:59.999999"))
    record(db, demo, official("Y", "MPP", "Somewhere", "provincial"), at("2024-05-05"))
    return demo


def test_days_are_utc_days(db, dated):
    rows = {r.label: r.count for r in tallies.tally(db, dated.id, "day").rows}
    assert rows == {"2024-05-01": 1, "2024-05-02": 1, "2024-05-03": 1, "2024-05-05": 1}


def test_a_time_in_another_zone_counts_on_its_utc_day(db, demo):
    from datetime import timedelta, timezone

    toronto = timezone(timedelta(hours=-4))
    record(db, demo, official("X", "MP", "D", "federal"), datetime(2024, 5, 1, 21, tzinfo=toronto))
    [row] = tallies.tally(db, demo.id, "day").rows
    assert row.label == "2024-05-02"


@pytest.mark.parametrize(
    ("start", "end", "count"),
    [
        ("2024-05-02", "2024-05-03", 2),  # both ends included, whole UTC days
        ("2024-05-01", "2024-05-01", 1),
        ("2024-05-02", None, 3),
        (None, "2024-05-02", 2),
        ("2024-05-04", "2024-05-04", 0),
        (None, "9999-12-31", 4),  # the last day there is
        ("0001-01-01", None, 4),
    ],
)
def test_a_date_range_keeps_whole_days_both_ends_included(db, dated, start, end, count):
    period = tallies.parse_period(start, end)
    assert tallies.total(db, dated.id, period) == count
    for by in tallies.BY:
        assert tallies.tally(db, dated.id, by, period).total == count


def test_the_dashboard_filters_by_date(organizer, dated):
    url = f"/admin/campaigns/{dated.id}/tallies?from=2024-05-02&to=2024-05-03"
    html = page_text(organizer.get(url))
    assert re.search(r'<span class="count">2</span>\s*contacts in this period', html)
    assert 'value="2024-05-02"' in html and 'value="2024-05-03"' in html
    assert "<td>2024-05-01</td>" not in html and "<td>2024-05-05</td>" not in html
    assert '<td>2024-05-02</td><td class="num">1</td>' in html
    assert '<td>flyer</td><td class="num">1</td>' in html
    assert "Somewhere" not in html
    # Goal progress counts every date.
    assert f"Goal: 4 of {dated.goal:,} letters" in html
    # Exports keep the range.
    assert "/tallies/district.csv?from=2024-05-02&amp;to=2024-05-03" in organizer.get(url).get_data(
        as_text=True
    )


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=yesterday", "The start date must be a date written YYYY-MM-DD."),
        ("to=2024-02-30", "The end date must be a date written YYYY-MM-DD."),
        ("from=20240501", "The start date must be a date written YYYY-MM-DD."),
        ("from=2024-05-03&to=2024-05-01", "The start date is after the end date."),
    ],
)
def test_a_bad_date_is_explained(organizer, dated, query, message):
    response = organizer.get(f"/admin/campaigns/{dated.id}/tallies?{query}")
    assert response.status_code == 400
    html = page_text(response)
    assert message in html
    assert "Ottawa Centre" not in html  # no figures that could be misread as filtered
    csv_response = organizer.get(f"/admin/campaigns/{dated.id}/tallies/district.csv?{query}")
    assert csv_response.status_code == 400
    raw_response = organizer.get(f"/admin/campaigns/{dated.id}/tallies/actions.csv?{query}")
    assert raw_response.status_code == 400


def test_a_bad_date_is_kept_escaped_in_the_form(organizer, dated):
    response = organizer.get(f"/admin/campaigns/{dated.id}/tallies?from=<b>x</b>")
    assert response.status_code == 400
    assert "<b>x</b>" not in response.get_data(as_text=True)
    assert 'value="&lt;b&gt;x&lt;/b&gt;"' in response.get_data(as_text=True)


# -- CSV ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("by", tallies.BY)
def test_each_table_exports_to_csv_with_the_same_numbers(organizer, db, demo, sent, by):
    response = organizer.get(f"/admin/campaigns/{demo.id}/tallies/{by}.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="{DEMO_SLUG}-{by}.csv"'
    )
    rows = parse_csv(response)
    result = tallies.tally(db, demo.id, by)
    assert [tuple(row.values()) for row in rows] == [(*r.values, str(r.count)) for r in result.rows]
    assert list(rows[0]) == [*tallies.COLUMNS[by], "contacts"]
    assert sum(int(row["contacts"]) for row in rows) == len(SENT)


def test_the_district_csv_parses_back_to_the_letters_sent(organizer, demo, sent):
    rows = parse_csv(organizer.get(f"/admin/campaigns/{demo.id}/tallies/district.csv"))
    assert Counter({(r["district"], r["level"]): int(r["contacts"]) for r in rows}) == expected(
        "district"
    )
    source_rows = parse_csv(organizer.get(f"/admin/campaigns/{demo.id}/tallies/source.csv"))
    assert {r["source"]: int(r["contacts"]) for r in source_rows} == {
        "direct": 4,
        "newsletter-may": 2,
        "partner-a": 1,
    }


def test_a_csv_export_keeps_the_date_range_and_sort(organizer, dated):
    query = "from=2024-05-02&to=2024-05-05&sort=count-asc"
    url = f"/admin/campaigns/{dated.id}/tallies/day.csv?{query}"
    response = organizer.get(url)
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="{DEMO_SLUG}-day-from-2024-05-02-to-2024-05-05.csv"'
    )
    assert [(r["day"], r["contacts"]) for r in parse_csv(response)] == [
        ("2024-05-02", "1"),
        ("2024-05-03", "1"),
        ("2024-05-05", "1"),
    ]


def test_the_raw_export_has_one_row_per_action_and_no_personal_data(organizer, db, demo, sent):
    response = organizer.get(f"/admin/campaigns/{demo.id}/tallies/actions.csv")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="{DEMO_SLUG}-actions.csv"'
    )
    body = response.get_data().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert list(rows[0]) == list(tallies.RAW_COLUMNS)
    with db.reader() as session:
        logged = session.scalars(select(ContactAction).order_by(ContactAction.created_at)).all()
    assert len(rows) == len(logged) == len(SENT)
    assert Counter(r["official"] for r in rows) == Counter(name for _, name, _ in SENT)
    assert {r["campaign"] for r in rows} == {DEMO_SLUG}
    assert {r["postcode_prefix"] for r in rows} == {"K1P", "G6G", "V0C"}
    assert all(r["template_version"] and r["template_id"] for r in rows)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", r["time_utc"]) for r in rows)
    assert Counter(r["source"] for r in rows) == Counter(s for _, _, s in SENT)
    # Nothing that could name a supporter: no name, city, email, address, full postal code.
    for leak in (
        SUPPORTER["name"],
        "Mei",
        "@",
        "127.0.0.1",
        "K1P5G4",
        "K1P 5G4",
        "G6G 1B2",
        "V0C1R0",
        "V0C 1R0",
    ):
        assert leak not in body
    assert not {"name", "email", "ip", "postcode", "token", "idempotency_token"} & set(rows[0])


def test_the_raw_export_keeps_the_date_range(organizer, dated):
    url = f"/admin/campaigns/{dated.id}/tallies/actions.csv?from=2024-05-02&to=2024-05-03"
    rows = parse_csv(organizer.get(url))
    assert [r["time_utc"] for r in rows] == ["2024-05-02T00:00:00Z", "2024-05-03T23:59:59Z"]


@pytest.mark.parametrize(
    "text",
    ['=HYPERLINK("http://evil.example","click")', "+1+2", "-2+3", "@SUM(A1:A2)", "\t=1", "\r=1"],
)
def test_cells_that_look_like_formulas_are_neutralised(organizer, db, demo, text):
    record(db, demo, official(text, text, text, "federal", text))
    for path in ("district.csv", "official.csv", "actions.csv"):
        rows = parse_csv(organizer.get(f"/admin/campaigns/{demo.id}/tallies/{path}"))
        cells = [v for row in rows for k, v in row.items() if k in ("official", "district")]
        assert cells and all(cell == "'" + text for cell in cells), path


def test_safe_cell_leaves_ordinary_values_alone():
    assert tallies.safe_cell("Ottawa Centre") == "Ottawa Centre"
    assert tallies.safe_cell("2024-05-01") == "2024-05-01"
    assert tallies.safe_cell(-3) == -3  # a number, not text: a count is never negative anyway
    assert tallies.safe_cell("") == ""


# -- charts on the page -------------------------------------------------------------------------


def test_the_dashboard_has_a_bar_chart_listing_every_district(organizer, demo, sent):
    html = organizer.get(f"/admin/campaigns/{demo.id}/tallies").get_data(as_text=True)
    chart = svg(html, "chart-district")
    labels = [unescape(t) for t in re.findall(r"<text [^>]*>([^<]+)</text>", chart)]
    for _, district, level in DISTRICTS.values():
        shown = f"{district} ({level})" if district == "Ottawa Centre" else district
        assert shown in labels
    assert "Mégantic—L&#39;Érable—Lotbinière" in chart  # escaped in the markup
    assert chart.count('<g class="bar">') == len({(d, lv) for _, d, lv in DISTRICTS.values()})
    assert '<title id="chart-district-title">Contacts by district</title>' in chart


def test_the_dashboard_has_a_line_chart_by_day(organizer, dated):
    html = organizer.get(f"/admin/campaigns/{dated.id}/tallies").get_data(as_text=True)
    chart = svg(html, "chart-day")
    # Every day from the first to the last, 4 May (no contact) at zero.
    points = re.findall(r"<circle [^>]*><title>([^<]+)</title>", chart)
    assert points == [
        "2024-05-01: 1",
        "2024-05-02: 1",
        "2024-05-03: 1",
        "2024-05-04: 0",
        "2024-05-05: 1",
    ]
    assert '<desc id="chart-day-desc">' in chart


def test_the_page_has_no_script_and_no_third_party_asset(organizer, demo, sent):
    html = organizer.get(f"/admin/campaigns/{demo.id}/tallies").get_data(as_text=True)
    assert "<script" not in html.lower()
    assert not re.search(r"\son[a-z]+=", html)
    assert " style=" not in html and "<style" not in html  # the CSP allows the stylesheet only
    assert not re.search(r"(src|href)=\"(https?:)?//", html)


def test_no_chart_without_contacts(organizer, demo):
    html = organizer.get(f"/admin/campaigns/{demo.id}/tallies").get_data(as_text=True)
    assert "<svg" not in html


# -- the command line ---------------------------------------------------------------------------


@pytest.mark.parametrize("by", tallies.BY)
def test_the_cli_prints_the_same_figures_as_json(runner, db, demo, sent, by):
    result = runner.invoke(args=["tally", "--campaign", DEMO_SLUG, "--by", by, "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["total"] == len(SENT) and data["by"] == by and data["campaign"] == DEMO_SLUG
    assert data["from"] is None and data["to"] is None
    wanted = tallies.tally(db, demo.id, by)
    assert [tuple(row.values()) for row in data["rows"]] == [
        (*r.values, r.count) for r in wanted.rows
    ]


def test_the_cli_prints_csv(runner, sent):
    args = ["tally", "--campaign", DEMO_SLUG, "--by", "level", "--format", "csv"]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert {r["level"]: int(r["contacts"]) for r in rows} == {"federal": 4, "provincial": 3}


def test_the_cli_prints_a_table_by_default(runner, sent):
    result = runner.invoke(args=["tally", "--campaign", DEMO_SLUG, "--by", "official"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"{DEMO_SLUG}: contacts by official, all dates"
    assert lines[2].split() == ["official", "office", "district", "contacts"]
    first = lines[4]
    assert first.startswith("Alexandra Placeholder") and first.endswith(" 2")
    assert "Ottawa Centre" in first
    assert lines[-1].split() == ["total", str(len(SENT))]
    for name in DISTRICTS:
        assert sum(name in line for line in lines) == 1


def test_the_cli_filters_by_date_and_sorts(runner, dated):
    args = [
        "tally",
        "--campaign",
        DEMO_SLUG,
        "--by",
        "day",
        "--from",
        "2024-05-02",
        "--to",
        "2024-05-05",
        "--sort",
        "name-desc",
        "--format",
        "csv",
    ]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert [r["day"] for r in csv.DictReader(io.StringIO(result.output))] == [
        "2024-05-05",
        "2024-05-03",
        "2024-05-02",
    ]
    table = runner.invoke(args=args[:-2])
    assert "from 2024-05-02 to 2024-05-05 (UTC, included)" in table.output
    assert table.output.splitlines()[-1].split() == ["total", "3"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--campaign", "no-such-campaign", "--by", "district"], "no campaign with the slug"),
        (["--campaign", DEMO_SLUG, "--by", "day", "--from", "2024-13-01"], "--from must be a date"),
        (["--campaign", DEMO_SLUG, "--by", "day", "--to", "tomorrow"], "--to must be a date"),
        (
            ["--campaign", DEMO_SLUG, "--by", "day", "--from", "2024-05-02", "--to", "2024-05-01"],
            "the start date is after the end date",
        ),
        (["--campaign", DEMO_SLUG, "--by", "email"], "Invalid value for '--by'"),
        (["--campaign", DEMO_SLUG, "--by", "day", "--format", "xml"], "for '--format'"),
    ],
)
def test_the_cli_explains_bad_arguments(runner, args, message):
    result = runner.invoke(args=["tally", *args])
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
