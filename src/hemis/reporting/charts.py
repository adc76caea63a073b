"""Charts as inline SVG drawn on the server: no script, no CDN, a few kilobytes each. Every chart
names itself (<title>, <desc>) for screen readers, and the pages put a table beside it.

Series differ by colour and by line style or marker too, so they stay apart in grey print and
for colour-blind readers; the colours keep at least 4.5:1 contrast on white."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from markupsafe import Markup, escape

# Dark blue, dark red, dark green, violet: each ≥ 4.5:1 on white.
COLOURS = ("#1b4f9c", "#a4262c", "#1e6b34", "#6b3fa0")
DASHES = ("", "6 4", "2 3", "8 3 2 3")
WIDTH = 420  # narrow: on a phone the text stays near its size (the page caps charts at 560 px)
Value = Decimal | int | float | None


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    values: Sequence[Value]


def number(value: Value, places: int = 1) -> str:
    """78.2; 1 450 000 (a thin space between thousands, as Uzbek and Russian print them)."""
    if value is None:
        return "—"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}".replace(",", "\u202f")
    return f"{Decimal(str(value)):,.{places}f}".replace(",", "\u202f")


def _scale_top(values: Sequence[float], percent: bool) -> float:
    top = max(values, default=0.0)
    if percent:
        return 100.0
    if top <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(top))) - 1)
    return float(((int(top) // magnitude) + 1) * magnitude)


def line_chart(
    ident: str, title: str, months: Sequence[str], series: Sequence[Series], *, percent: bool = True
) -> Markup:
    """Months along x, one polyline per series (gaps where a month has no value)."""
    legend_rows = (len(series) + 1) // 2
    left, right, top, bottom = 40, 24, 14 + 18 * legend_rows, 26
    height = top + 170 + bottom
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    values = [float(v) for s in series for v in s.values if v is not None]
    ceiling = _scale_top(values, percent)
    step = plot_w / max(1, len(months) - 1)

    def x(i: int) -> float:
        return left + i * step

    def y(v: float) -> float:
        return top + plot_h - (v / ceiling) * plot_h

    parts = [_open(ident, height, title, _describe(months, series))]
    for tick in range(5):
        level = ceiling * tick / 4
        parts.append(
            f'<line x1="{left}" x2="{WIDTH - right}" y1="{y(level):.1f}" y2="{y(level):.1f}" class="grid"/>'
            f'<text x="{left - 6}" y="{y(level) + 4:.1f}" class="ya">{number(level, 0)}</text>'
        )
    every = 1 if len(months) <= 6 else 2 if len(months) <= 12 else 4 if len(months) <= 24 else 12
    for i, month in enumerate(months):
        if (len(months) - 1 - i) % every == 0:  # counted from the last month, which is always named
            parts.append(f'<text x="{x(i):.1f}" y="{height - 10}" class="xa">{escape(month[2:])}</text>')
    for n, item in enumerate(series):
        colour, dash = COLOURS[n % len(COLOURS)], DASHES[n % len(DASHES)]
        style = f' stroke-dasharray="{dash}"' if dash else ""
        run: list[str] = []
        for i, value in enumerate([*item.values, None]):
            if value is not None:
                run.append(f"{x(i):.1f},{y(float(value)):.1f}")
                continue
            if run:
                parts.append(
                    f'<polyline points="{" ".join(run)}" fill="none" stroke="{colour}" stroke-width="2.5"{style}/>'
                )
                run = []
        for i, value in enumerate(item.values):
            if value is not None:
                parts.append(_marker(n, x(i), y(float(value)), colour))
        legend_x, legend_y = left + (n % 2) * 190, 12 + (n // 2) * 18
        parts.append(
            f'<line x1="{legend_x}" x2="{legend_x + 22}" y1="{legend_y}" y2="{legend_y}" stroke="{colour}"'
            f' stroke-width="2.5"{style}/>{_marker(n, legend_x + 11, legend_y, colour)}'
            f'<text x="{legend_x + 28}" y="{legend_y + 4}" class="lg">{escape(_short(item.name, 20))}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text in it went through escape()


def _open(ident: str, height: float, title: str, description: str) -> str:
    """The <svg> element with its name and description, which screen readers announce."""
    return (
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="{ident}-t {ident}-d"'
        f' xmlns="http://www.w3.org/2000/svg"><title id="{ident}-t">{escape(title)}</title>'
        f'<desc id="{ident}-d">{escape(description)}</desc>'
    )


def _marker(n: int, cx: float, cy: float, colour: str) -> str:
    if n % 3 == 1:
        return f'<rect x="{cx - 3.5:.1f}" y="{cy - 3.5:.1f}" width="7" height="7" fill="{colour}"/>'
    if n % 3 == 2:
        return f'<path d="M{cx:.1f} {cy - 4.5:.1f}L{cx + 4.5:.1f} {cy + 3.5:.1f}H{cx - 4.5:.1f}Z" fill="{colour}"/>'
    return f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="3.5" fill="{colour}"/>'


def bar_chart(
    ident: str,
    title: str,
    rows: Sequence[tuple[str, Value]],
    *,
    percent: bool = False,
    series: Sequence[str] = (),
) -> Markup:
    """Horizontal bars, each name on its own line above its bar, so long names stay whole and
    readable on a phone. With `series`, rows come in groups of len(series): one bar per series
    under each name, told apart by colour and by the legend's order."""
    per = max(1, len(series))
    bar, label, gap, right = 13, 16, 8, 64
    legend = 22 * ((len(series) + 1) // 2) if series else 0
    groups = -(-len(rows) // per)
    height = legend + groups * (label + per * (bar + 2) + gap) + 4
    values = [float(v) for _, v in rows if v is not None]
    ceiling = _scale_top(values, percent)
    plot_w = WIDTH - right
    parts = [_open(ident, height, title, _describe_rows(rows, series))]
    for n, name in enumerate(series):
        x, y = (n % 2) * 200, 4 + (n // 2) * 22
        parts.append(
            f'<rect x="{x}" y="{y}" width="14" height="12" fill="{COLOURS[n % len(COLOURS)]}"/>'
            f'<text x="{x + 20}" y="{y + 11}" class="lg">{escape(_short(name, 24))}</text>'
        )
    y = legend
    for i, (name, value) in enumerate(rows):
        if i % per == 0:
            parts.append(f'<text x="0" y="{y + 12}" class="nm">{escape(_short(name, 56))}</text>')
            y += label
        width = 0.0 if value is None else max(0.0, float(value)) / ceiling * plot_w
        parts.append(
            f'<rect x="0" y="{y}" width="{width:.1f}" height="{bar}" fill="{COLOURS[(i % per) % len(COLOURS)]}"/>'
            f'<text x="{width + 5:.1f}" y="{y + 11}" class="val">{number(value)}</text>'
        )
        y += bar + 2
        if i % per == per - 1:
            y += gap
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text in it went through escape()


def _describe_rows(rows: Sequence[tuple[str, Value]], series: Sequence[str]) -> str:
    per = max(1, len(series))
    out = []
    for i in range(0, min(len(rows), 40 * per), per):
        values = rows[i : i + per]
        if series:
            out.append(
                f"{values[0][0]}: "
                + ", ".join(f"{s} {number(v)}" for s, (_, v) in zip(series, values, strict=False))
            )
        else:
            out.append(f"{values[0][0]}: {number(values[0][1])}")
    return "; ".join(out)


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _describe(months: Sequence[str], series: Sequence[Series]) -> str:
    """The last value of each series, for a reader who cannot see the lines."""
    parts = []
    for item in series:
        last = next(
            ((m, v) for m, v in zip(reversed(months), reversed(item.values), strict=False) if v is not None),
            None,
        )
        if last is not None:
            parts.append(f"{item.name}: {number(last[1])} ({last[0]})")
    return "; ".join(parts)
