"""Charts: SVG markup drawn from data, every label escaped, nothing that runs or loads."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from itertools import pairwise

import pytest

from advocacy import charts

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "' onload='alert(1)",
    "]]><foreignObject>",
    "Mégantic—L'Érable—Lotbinière & Co",
]


def parse(markup: str) -> ET.Element:
    """The chart as XML: it must be well formed (a browser would show a broken one)."""
    return ET.fromstring(str(markup))  # noqa: S314 - our own output, not untrusted input


def texts(root: ET.Element) -> list[str]:
    return [el.text for el in root.iter(f"{SVG}text")]


def assert_inert(markup: str) -> None:
    root = parse(markup)
    tags = {el.tag.removeprefix(SVG) for el in root.iter()}
    assert tags <= {"svg", "title", "desc", "g", "text", "rect", "line", "polyline", "circle"}
    for el in root.iter():
        for name, value in el.attrib.items():
            assert not name.lower().startswith("on"), name
            assert "javascript:" not in value.lower() and "url(" not in value.lower()
            assert "href" not in name.lower()
    assert "<script" not in markup.lower()
    assert "@import" not in markup and "http://" not in markup.replace(
        'xmlns="http://www.w3.org/2000/svg"', ""
    )


def bar(items, **kw):
    return charts.bar_chart(
        items, title=kw.pop("title", "By district"), description="Bars.", chart_id="bars", **kw
    )


def line(points, **kw):
    return charts.line_chart(
        points, title="By day", description=kw.pop("description", "A line."), chart_id="days", **kw
    )


# -- bar chart ----------------------------------------------------------------------------------


def test_a_bar_chart_names_every_item_with_its_count():
    items = [("Ottawa Centre", 12), ("Beauce", 3), ("Peace River North", 0)]
    markup = bar(items)
    root = parse(markup)
    assert root.tag == f"{SVG}svg"
    assert texts(root) == ["Ottawa Centre", "12", "Beauce", "3", "Peace River North", "0"]
    tooltips = [g.find(f"{SVG}title").text for g in root.iter(f"{SVG}g")]
    assert tooltips == ["Ottawa Centre: 12", "Beauce: 3", "Peace River North: 0"]


def test_bar_lengths_are_proportional_to_the_counts():
    root = parse(bar([("a", 10), ("b", 5), ("c", 1)]))
    widths = [float(r.get("width")) for r in root.iter(f"{SVG}rect")]
    assert widths[0] == pytest.approx(2 * widths[1]) == pytest.approx(20 * widths[2] / 2)
    assert widths[0] <= charts.WIDTH


def test_a_zero_count_draws_no_bar():
    root = parse(bar([("a", 4), ("b", 0)]))
    assert [float(r.get("width")) for r in root.iter(f"{SVG}rect")][1] == 0


def test_the_chart_grows_with_the_number_of_bars():
    small = parse(bar([("a", 1)]))
    big = parse(bar([(f"District {n}", n) for n in range(1, 101)]))
    assert int(big.get("height")) > 50 * int(small.get("height"))
    assert len(texts(big)) == 200


@pytest.mark.parametrize("label", HOSTILE)
def test_bar_labels_are_escaped(label):
    markup = bar([(label, 2)], title=label)
    assert_inert(markup)
    root = parse(markup)
    assert texts(root)[0] == label  # shown exactly as written, as text
    assert root.find(f"{SVG}title").text == label


# -- line chart ---------------------------------------------------------------------------------


def test_a_line_chart_has_a_point_per_day_and_a_count_axis_from_zero():
    points = [("2024-05-01", 2), ("2024-05-02", 0), ("2024-05-03", 7)]
    root = parse(line(points))
    dots = list(root.iter(f"{SVG}circle"))
    assert [d.find(f"{SVG}title").text for d in dots] == [
        "2024-05-01: 2",
        "2024-05-02: 0",
        "2024-05-03: 7",
    ]
    labels = texts(root)
    assert labels[0] == "0" and "10" in labels  # 7 rounds up to a ceiling of 10
    assert {"2024-05-01", "2024-05-02", "2024-05-03"} <= set(labels)
    xs = [float(d.get("cx")) for d in dots]
    ys = [float(d.get("cy")) for d in dots]
    assert xs == sorted(xs) and xs[1] - xs[0] == pytest.approx(xs[2] - xs[1])
    assert ys[1] > ys[0] > ys[2]  # SVG y grows downwards: more contacts, higher up
    polyline = root.find(f"{SVG}polyline")
    assert len(polyline.get("points").split()) == 3


def test_a_single_day_is_a_dot_in_the_middle():
    root = parse(line([("2024-05-01", 4)]))
    [dot] = root.iter(f"{SVG}circle")
    assert float(dot.get("cx")) == pytest.approx((48 + charts.WIDTH - 20) / 2)


def test_a_long_line_labels_at_most_seven_days_and_drops_the_dots():
    points = [(f"day {n}", n % 5) for n in range(400)]
    root = parse(line(points))
    days = [int(t.removeprefix("day ")) for t in texts(root) if t.startswith("day ")]
    assert len(days) == 7 and days[0] == 0 and days[-1] == 399
    assert all(66 <= b - a <= 67 for a, b in pairwise(days))
    assert not list(root.iter(f"{SVG}circle"))
    assert len(root.find(f"{SVG}polyline").get("points").split()) == 400


def test_an_empty_line_chart_is_still_valid():
    root = parse(line([]))
    assert root.find(f"{SVG}polyline") is None
    assert root.find(f"{SVG}title").text == "By day"


@pytest.mark.parametrize("label", HOSTILE)
def test_line_labels_are_escaped(label):
    markup = line([(label, 1), ("x", 2)], description=label)
    assert_inert(markup)
    root = parse(markup)
    assert label in texts(root)
    assert root.find(f"{SVG}desc").text == label


# -- both ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("draw", [bar, line])
def test_charts_are_labelled_for_assistive_technology(draw):
    root = parse(draw([("a", 1)]))
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == f"{root.get('id')}-title {root.get('id')}-desc"
    assert root.find(f"{SVG}title").get("id") == f"{root.get('id')}-title"
    assert root.find(f"{SVG}desc").get("id") == f"{root.get('id')}-desc"
    # System fonts only: nothing to download.
    assert "url" not in root.get("font-family")


@pytest.mark.parametrize("chart_id", ["", "Bars", 'x" onload="alert(1)', "1x", "a b"])
def test_a_chart_id_must_be_a_plain_name(chart_id):
    with pytest.raises(ValueError, match="chart id"):
        charts.bar_chart([("a", 1)], title="t", description="d", chart_id=chart_id)


@pytest.mark.parametrize(
    ("value", "ceiling"),
    [(0, 1), (1, 1), (2, 2), (3, 5), (7, 10), (10, 10), (11, 20), (99, 100), (420, 500)],
)
def test_nice_ceiling(value, ceiling):
    assert charts.nice_ceiling(value) == ceiling


def test_numbers_in_coordinates_are_short():
    markup = str(line([(str(n), n) for n in range(7)]))
    assert not re.search(r"\d\.\d{3,}", markup)
