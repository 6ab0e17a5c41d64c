"""The tallies dashboard of a campaign (counts by district, official, level, day and source,
over a date range, with charts) and its CSV exports."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import chain

from flask import Response, abort, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ... import campaigns, charts, tallies
from ...db import database
from ...models import Campaign
from . import bp

TITLES = {
    "district": _l("By district"),
    "official": _l("By official"),
    "level": _l("By level"),
    "day": _l("By day"),
    "source": _l("By source"),
    "method": _l("By way of sending"),
    "wording": _l("Own words or the campaign's text"),
}
HEADERS = {
    "district": (_l("District"), _l("District id"), _l("Level")),
    "official": (_l("Official"), _l("Office"), _l("District")),
    "level": (_l("Level"),),
    "day": (_l("Day (UTC)"),),
    "source": (_l("Source"),),
    "method": (_l("Method"),),
    "wording": (_l("Wording"),),
}
BY_PATTERN = "any(" + ", ".join(tallies.BY) + ")"


@dataclass(frozen=True)
class HeaderCell:
    label: str
    url: str | None = None  # a sort link
    sort: str | None = None  # aria-sort: "ascending", "descending", or None


@dataclass(frozen=True)
class Table:
    by: str
    title: str
    headers: list[HeaderCell]
    count_header: HeaderCell
    tally: tallies.Tally
    csv_url: str


def _campaign(campaign_id: int) -> Campaign:
    campaign = campaigns.get_campaign(database(), campaign_id)
    if campaign is None:
        abort(404)
    return campaign


def _sorts() -> dict[str, tallies.Sort]:
    return {by: tallies.parse_sort(request.args.get(f"sort_{by}"), by) for by in tallies.BY}


def _sort_args(sorts: dict[str, tallies.Sort]) -> dict[str, str]:
    """The sorts that differ from each table's default, as URL arguments."""
    return {
        f"sort_{by}": sort.token for by, sort in sorts.items() if sort != tallies.default_sort(by)
    }


def period_message(exc: tallies.InvalidPeriod) -> str:
    if exc.problem == "order":
        return _("The start date is after the end date.")
    if exc.problem == "from":
        return _("The start date must be a date written YYYY-MM-DD.")
    return _("The end date must be a date written YYYY-MM-DD.")


def _period() -> tallies.Period:
    """The request's date range; a bad one answers 400 (for the CSV exports)."""
    try:
        return tallies.parse_period(request.args.get("from"), request.args.get("to"))
    except tallies.InvalidPeriod as exc:
        abort(400, description=period_message(exc))


def _header(label: str, key: str, by: str, campaign: Campaign, period, sorts) -> HeaderCell:
    current = sorts[by]
    target = current.toggled(key)
    url = url_for(
        "admin.tallies",
        campaign_id=campaign.id,
        **period.arguments(),
        **_sort_args({**sorts, by: target}),
        _anchor=f"by-{by}",
    )
    state = None
    if current.key == key:
        state = "descending" if current.descending else "ascending"
    return HeaderCell(str(label), url, state)


def _tables(campaign: Campaign, period: tallies.Period, sorts, results) -> list[Table]:
    tables = []
    for by in tallies.BY:
        first, *rest = HEADERS[by]
        tables.append(
            Table(
                by=by,
                title=str(TITLES[by]),
                headers=[
                    _header(first, "name", by, campaign, period, sorts),
                    *(HeaderCell(str(label)) for label in rest),
                ],
                count_header=_header(_("Contacts"), "count", by, campaign, period, sorts),
                tally=results[by],
                csv_url=url_for(
                    "admin.tally_csv",
                    campaign_id=campaign.id,
                    by=by,
                    **period.arguments(),
                    **({"sort": sorts[by].token} if f"sort_{by}" in _sort_args(sorts) else {}),
                ),
            )
        )
    return tables


def _district_chart(result: tallies.Tally):
    if not result.rows:
        return None
    names = Counter(row.label for row in result.rows)
    items = [
        # The same name can be a federal and a provincial district (Ottawa Centre): say which.
        (f"{row.label} ({row.values[2]})" if names[row.label] > 1 else row.label, row.count)
        for row in result.rows
    ]
    return charts.bar_chart(
        items,
        title=_("Contacts by district"),
        description=_(
            "One bar per district, in the order of the table below, which gives the same figures."
        ),
        chart_id="chart-district",
    )


def _day_chart(result: tallies.Tally):
    points = tallies.days_with_gaps(result.rows)
    if not points:
        return None
    return charts.line_chart(
        [(day.isoformat(), count) for day, count in points],
        title=_("Contacts by day (UTC)"),
        description=_(
            "A line from %(first)s to %(last)s, one point per day, days without contacts at "
            "zero. The table below gives the same figures.",
            first=points[0][0].isoformat(),
            last=points[-1][0].isoformat(),
        ),
        chart_id="chart-day",
    )


@bp.get("/campaigns/<int:campaign_id>/tallies", endpoint="tallies")
def dashboard(campaign_id: int):
    campaign = _campaign(campaign_id)
    sorts = _sorts()
    raw_from, raw_to = request.args.get("from", ""), request.args.get("to", "")
    all_time = tallies.total(database(), campaign.id)
    context = {
        "campaign": campaign,
        "raw_from": raw_from,
        "raw_to": raw_to,
        "sort_args": _sort_args(sorts),
        "all_time": all_time,
        "goal_percent": min(100, all_time * 100 // campaign.goal) if campaign.goal else None,
    }
    try:
        period = tallies.parse_period(raw_from, raw_to)
    except tallies.InvalidPeriod as exc:
        return render_template("admin/tallies.html", error=period_message(exc), **context), 400
    results = tallies.tallies(database(), campaign.id, period, sorts)
    return render_template(
        "admin/tallies.html",
        error=None,
        period=period,
        total=results["level"].total,
        tables=_tables(campaign, period, sorts, results),
        district_chart=_district_chart(results["district"]),
        day_chart=_day_chart(results["day"]),
        actions_url=url_for("admin.actions_csv", campaign_id=campaign.id, **period.arguments()),
        **context,
    )


def _filename(campaign: Campaign, what: str, period: tallies.Period) -> str:
    parts = [campaign.slug, what]
    if period.start:
        parts += ["from", period.start.isoformat()]
    if period.end:
        parts += ["to", period.end.isoformat()]
    return "-".join(parts) + ".csv"


def _csv_response(lines: Iterable[str], filename: str) -> Response:
    # The byte order mark lets spreadsheets read the file as UTF-8 (accented district names).
    response = Response(stream_with_context(chain(["\ufeff"], lines)), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get(f"/campaigns/<int:campaign_id>/tallies/<{BY_PATTERN}:by>.csv", endpoint="tally_csv")
def tally_csv(campaign_id: int, by: str):
    campaign = _campaign(campaign_id)
    period = _period()
    result = tallies.tally(
        database(), campaign.id, by, period, tallies.parse_sort(request.args.get("sort"), by)
    )
    lines = list(tallies.csv_lines(tallies.header(by), tallies.table_rows(result)))
    return _csv_response(lines, _filename(campaign, by, period))


@bp.get("/campaigns/<int:campaign_id>/tallies/actions.csv", endpoint="actions_csv")
def actions_csv(campaign_id: int):
    campaign = _campaign(campaign_id)
    period = _period()
    rows = tallies.iter_actions(database(), campaign, period)
    lines = tallies.csv_lines(tallies.RAW_COLUMNS, rows)
    return _csv_response(lines, _filename(campaign, "actions", period))
