"""Charts as inline SVG, drawn by the server: pure functions from data to markup.

No script, no event handler, no external font or stylesheet: the markup is plain SVG shapes
and text, every label escaped. Each chart has a <title> and a <desc> for assistive technology;
the page shows the same figures in a table next to it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from markupsafe import Markup, escape

WIDTH = 640
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
INK = "#1d1d1f"
MUTED = "#5a5a60"
BAR = "#0b5cad"
GRID = "#d8d8de"
MAX_DOTS = 92  # a line chart with more points is drawn as a line only
_ID = re.compile(r"[a-z][a-z0-9-]{0,40}")


def _n(value: float) -> str:
    """A coordinate, short: 12, 12.5, 12.33."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _open(chart_id: str, width: int, height: int, title: str, description: str) -> list[str]:
    if not _ID.fullmatch(chart_id):
        raise ValueError(f"chart id {chart_id!r}: use lower-case letters, digits and hyphens")
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{chart_id}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="{FONT}" font-size="15" fill="{INK}">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
    ]


def nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50... that is at least ``value`` (at least 1)."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power  # pragma: no cover - the loop always returns


def bar_chart(
    items: Sequence[tuple[str, int]],
    *,
    title: str,
    description: str,
    chart_id: str,
    width: int = WIDTH,
) -> Markup:
    """Horizontal bars, one per (label, count), in the order given; each label on its own
    line above its bar, so long district names are shown whole."""
    row, left, right = 36, 4, 64
    height = max(row * len(items), row) + 4
    lines = _open(chart_id, width, height, title, description)
    biggest = max((count for _, count in items), default=0) or 1
    span = width - left - right
    for n, (label, raw_count) in enumerate(items):
        count = int(raw_count)
        y = n * row + 4
        length = max(span * count / biggest, 1 if count else 0)
        lines += [
            f'<g class="bar"><title>{escape(label)}: {count}</title>',
            f'<text x="{left}" y="{_n(y + 12)}">{escape(label)}</text>',
            f'<rect x="{left}" y="{_n(y + 17)}" width="{_n(length)}" height="13" '
            f'fill="{BAR}"></rect>',
            f'<text x="{_n(left + length + 6)}" y="{_n(y + 28)}" fill="{MUTED}">{count}</text>',
            "</g>",
        ]
    lines.append("</svg>")
    return Markup("\n".join(lines))  # noqa: S704 - every interpolated text is escaped above


def line_chart(
    points: Sequence[tuple[str, int]],
    *,
    title: str,
    description: str,
    chart_id: str,
    width: int = WIDTH,
    height: int = 240,
) -> Markup:
    """A line through (label, count) points spaced evenly left to right (days, in order),
    with a count axis from 0 and up to seven labels along the bottom."""
    left, right, top, bottom = 48, 20, 14, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    lines = _open(chart_id, width, height, title, description)
    ceiling = nice_ceiling(max((count for _, count in points), default=0))
    ticks = 4 if ceiling % 4 == 0 else 5 if ceiling % 5 == 0 else 2 if ceiling % 2 == 0 else 1

    def y_of(count: float) -> float:
        return top + plot_h - plot_h * count / ceiling

    def x_of(index: int) -> float:
        if len(points) == 1:
            return left + plot_w / 2
        return left + plot_w * index / (len(points) - 1)

    for tick in range(ticks + 1):
        value = ceiling * tick / ticks
        y = _n(y_of(value))
        lines += [
            f'<line x1="{left}" x2="{width - right}" y1="{y}" y2="{y}" stroke="{GRID}"></line>',
            f'<text x="{left - 6}" y="{y}" dy="4" text-anchor="end" fill="{MUTED}">'
            f"{_n(value)}</text>",
        ]
    if points:
        shown = len(points) if len(points) <= 7 else 7
        marks = sorted({round(k * (len(points) - 1) / max(shown - 1, 1)) for k in range(shown)})
        for index in marks:
            # The first and last labels end inside the chart rather than centred off its edge.
            anchor = "middle"
            if len(points) > 1 and index in (0, len(points) - 1):
                anchor = "start" if index == 0 else "end"
            lines.append(
                f'<text x="{_n(x_of(index))}" y="{height - bottom + 20}" text-anchor="{anchor}" '
                f'fill="{MUTED}">{escape(points[index][0])}</text>'
            )
        if len(points) == 1:
            # One day has no line to draw: a column with its figure, not a lone dot (issue 14).
            x, y, count = x_of(0), y_of(points[0][1]), int(points[0][1])
            inside = y - 8 < top + 12  # no room above a full-height column: write inside it
            label_y, label_fill = (y + 20, "#fff") if inside else (y - 8, INK)
            lines += [
                f'<rect x="{_n(x - 24)}" y="{_n(y)}" width="48" height="{_n(top + plot_h - y)}" '
                f'fill="{BAR}"></rect>',
                f'<text x="{_n(x)}" y="{_n(label_y)}" text-anchor="middle" font-weight="700" '
                f'fill="{label_fill}">{count}</text>',
            ]
        path = " ".join(f"{_n(x_of(i))},{_n(y_of(c))}" for i, (_, c) in enumerate(points))
        lines.append(
            f'<polyline points="{path}" fill="none" stroke="{BAR}" stroke-width="2" '
            f'stroke-linejoin="round"></polyline>'
        )
        # A dot (with its figure as a tooltip) per point, while dots stay apart.
        if len(points) <= MAX_DOTS:
            for i, (label, count) in enumerate(points):
                lines.append(
                    f'<circle cx="{_n(x_of(i))}" cy="{_n(y_of(count))}" r="3" fill="{BAR}">'
                    f"<title>{escape(label)}: {int(count)}</title></circle>"
                )
    lines.append("</svg>")
    return Markup("\n".join(lines))  # noqa: S704 - every interpolated text is escaped above
