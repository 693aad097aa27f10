"""Charts drawn on the server as inline SVG: no script, no external asset, no inline style (the CSP
forbids it; colours are presentation attributes and classes from app.css). Each chart is an
`<svg role="img">` with a `<title>` and the figures as text, so a screen reader and a printout
read the same numbers as the eye."""

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 640
HEIGHT = 220
_PAD_LEFT, _PAD_RIGHT, _PAD_TOP, _PAD_BOTTOM = 44, 12, 14, 34


@dataclass(frozen=True)
class Series:
    """One line: its name (shown in the legend) and a value per x label (None = no figure)."""

    name: str
    values: Sequence[float | None]


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2 or 5 × 10^n at or above `value`: the top of the y axis."""
    if value <= 0:
        return 1.0
    step = 1.0
    while step * 10 <= value:
        step *= 10
    while step > value:
        step /= 10
    for factor in (1, 2, 5, 10):
        if step * factor >= value:
            return step * factor
    return step * 10


def _number(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def _x_positions(count: int) -> list[float]:
    inner = WIDTH - _PAD_LEFT - _PAD_RIGHT
    if count == 1:
        return [_PAD_LEFT + inner / 2]
    return [_PAD_LEFT + inner * i / (count - 1) for i in range(count)]


def _y(value: float, top: float) -> float:
    inner = HEIGHT - _PAD_TOP - _PAD_BOTTOM
    return _PAD_TOP + inner * (1 - value / top)


def _axes(labels: Sequence[str], top: float, xs: Sequence[float]) -> list[str]:
    parts = []
    for fraction in (0, 0.5, 1):
        y = _y(top * fraction, top)
        parts.append(f'<line class="chart-grid" x1="{_PAD_LEFT}" x2="{WIDTH - _PAD_RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(
            f'<text class="chart-axis" x="{_PAD_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{_number(top * fraction)}</text>"
        )
    every = max(1, len(labels) // 8)  # at most about eight x labels fit on a phone
    for i, (x, label) in enumerate(zip(xs, labels, strict=True)):
        if i % every == 0 or i == len(labels) - 1:
            parts.append(
                f'<text class="chart-axis" x="{x:.1f}" y="{HEIGHT - _PAD_BOTTOM + 18}" text-anchor="middle">'
                f"{escape(label)}</text>"
            )
    return parts


def line_chart(title: str, labels: Sequence[str], series: Sequence[Series]) -> Markup:
    """A trend: one polyline per series over the x labels (e.g. weeks), each point a circle whose
    `<title>` gives its figure."""
    figures = [v for s in series for v in s.values if v is not None]
    top = nice_ceiling(max(figures, default=0))
    xs = _x_positions(len(labels)) if labels else []
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    parts += _axes(labels, top, xs)
    for index, line in enumerate(series):
        points = [(x, v) for x, v in zip(xs, line.values, strict=True) if v is not None]
        klass = f"chart-series chart-series-{index % 4}"
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{_y(v, top):.1f}" for x, v in points)
            parts.append(f'<polyline class="{klass}" fill="none" points="{path}"/>')
        for x, label, value in zip(xs, labels, line.values, strict=True):
            if value is not None:
                parts.append(
                    f'<circle class="{klass}" cx="{x:.1f}" cy="{_y(value, top):.1f}" r="3">'
                    f"<title>{escape(line.name)} {escape(label)}: {_number(value)}</title></circle>"
                )
    parts.append("</svg>")
    return Markup("".join(parts))


def bar_chart(title: str, rows: Sequence[tuple[str, float]]) -> Markup:
    """Vertical bars, one per (label, figure), the figure written above each bar."""
    top = nice_ceiling(max((v for _, v in rows), default=0))
    xs = _x_positions(len(rows)) if rows else []
    inner = WIDTH - _PAD_LEFT - _PAD_RIGHT
    width = min(48.0, inner / max(len(rows), 1) * 0.6)
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    parts += _axes([label for label, _ in rows], top, xs)
    for x, (label, value) in zip(xs, rows, strict=True):
        y = _y(value, top)
        parts.append(
            f'<rect class="chart-bar" x="{x - width / 2:.1f}" y="{y:.1f}" width="{width:.1f}" '
            f'height="{HEIGHT - _PAD_BOTTOM - y:.1f}"><title>{escape(label)}: {_number(value)}</title></rect>'
            f'<text class="chart-value" x="{x:.1f}" y="{y - 4:.1f}" text-anchor="middle">{_number(value)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def legend(series: Sequence[Series]) -> Markup:
    """The names of a line chart's series, each beside a swatch of its colour (app.css .chart-legend)."""
    items = "".join(
        f'<li><svg width="14" height="10" aria-hidden="true"><rect class="chart-series-{i % 4}" '
        f'width="14" height="10"/></svg> {escape(s.name)}</li>'
        for i, s in enumerate(series)
    )
    return Markup(f'<ul class="chart-legend">{items}</ul>')


_ROW_HEIGHT = 26
_LABEL_WIDTH = 150


def hbar_chart(title: str, rows: Sequence[tuple[str, float]]) -> Markup:
    """Horizontal bars, one row per (label, figure): for long labels (category names) and many rows."""
    top = nice_ceiling(max((v for _, v in rows), default=0))
    height = _PAD_TOP + _ROW_HEIGHT * max(len(rows), 1) + 8
    inner = WIDTH - _LABEL_WIDTH - _PAD_RIGHT - 40
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    for i, (label, value) in enumerate(rows):
        y = _PAD_TOP + i * _ROW_HEIGHT
        width = inner * value / top
        parts.append(
            f'<text class="chart-axis" x="{_LABEL_WIDTH - 6}" y="{y + 16}" text-anchor="end">{escape(label)}</text>'
            f'<rect class="chart-bar" x="{_LABEL_WIDTH}" y="{y + 4}" width="{width:.1f}" height="{_ROW_HEIGHT - 8}">'
            f"<title>{escape(label)}: {_number(value)}</title></rect>"
            f'<text class="chart-value" x="{_LABEL_WIDTH + width + 4:.1f}" y="{y + 16}">{_number(value)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
