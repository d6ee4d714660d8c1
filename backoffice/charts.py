"""Charts drawn on the server as inline SVG: horizontal bars, columns (stacked or grouped) and lines.

Why server-side SVG: the back-office has no internet (no chart library from a CDN), its CSP allows no
inline script or style, and staff read the dashboards on phones. An SVG with a viewBox 360 units wide
scales to the screen (width 100%), is crisp when printed, and carries its own <title>/<desc> for screen
readers. Colours are presentation attributes (not style), which the CSP allows.

Every bar/point carries `data-series`, `data-label` and `data-value` (the exact number, dot decimal),
so tests can check a chart against its data table and CSV export. Text drawn in the chart uses the
Indonesian decimal comma.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from decimal import Decimal
from html import escape
from typing import Sequence

from markupsafe import Markup

WIDTH = 360
PALETTE = ("#0b4f8a", "#d9822b", "#2f8f5b", "#a4262c", "#6b4fa0", "#5a6675", "#c4a000", "#1c8a9a")
FONT = 'font-family="system-ui, sans-serif"'
_ids = itertools.count(1)

Number = int | float | Decimal


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[Number | None]


@dataclass(frozen=True)
class Band:
    """A shaded horizontal band of a line chart (e.g. a mutu range)."""

    low: float
    high: float
    label: str
    colour: str


def number_text(value: Number | None, places: int = 0) -> str:
    """'1.234' / '88,31' (Indonesian separators); '-' for None."""
    if value is None:
        return "-"
    text = f"{float(value):,.{places}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def data_value(value: Number | None) -> str:
    """The machine form of a value, as the CSV writes it (dot decimal, no thousands separator)."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def nice_axis(top: float, integer: bool = False) -> tuple[float, float]:
    """(axis maximum, grid step) for values up to `top`: a step of 1, 2 or 5 x 10^k giving at most five
    intervals, so grid labels read as round numbers (counts never get a fractional step)."""
    if top <= 0:
        return 1.0, 1.0 if integer else 0.25
    rough = top / 4
    exp = math.floor(math.log10(rough))
    step = next(m * 10 ** exp for m in (1, 2, 5, 10) if m * 10 ** exp >= rough)
    if integer:
        step = max(1, step)
    return math.ceil(top / step - 1e-9) * step, float(step)


def _open(height: float, title: str, desc: str, css: str) -> tuple[str, str]:
    n = next(_ids)
    tid, did = f"chart{n}-t", f"chart{n}-d"
    head = (f'<svg class="chart {css}" viewBox="0 0 {WIDTH} {height:.0f}" width="100%" role="img" '
            f'aria-labelledby="{tid} {did}" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">'
            f'<title id="{tid}">{escape(title)}</title><desc id="{did}">{escape(desc)}</desc>')
    return head, "</svg>"


def _text(x: float, y: float, text: str, size: int = 11, anchor: str = "start", fill: str = "#1b2430",
          weight: str = "normal") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{fill}" '
            f'font-weight="{weight}" {FONT}>{escape(text)}</text>')


def _legend(series_names: Sequence[str], top: float) -> tuple[str, float]:
    """Colour keys in rows across the width; returns (svg, height used)."""
    parts, x, y = [], 8.0, top
    for i, name in enumerate(series_names):
        width = 16 + 7 * len(name) + 12
        if x + width > WIDTH - 4 and x > 8:
            x, y = 8.0, y + 18
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="10" height="10" rx="2" fill="{PALETTE[i % len(PALETTE)]}"/>')
        parts.append(_text(x + 14, y + 10, name, 12))
        x += width
    return "".join(parts), (y - top) + 20


def _empty(title: str, desc: str, message: str) -> Markup:
    head, tail = _open(60, title, desc, "chart-empty")
    body = (f'<rect x="0.5" y="0.5" width="{WIDTH - 1}" height="59" rx="8" fill="#f4f6f9" stroke="#d8dee6"/>'
            + _text(WIDTH / 2, 35, message, 12, "middle", "#5a6675"))
    return Markup(head + body + tail)


def hbar_chart(title: str, desc: str, items: Sequence[tuple[str, Number | None]], *, places: int = 0,
               unit: str = "", max_value: float | None = None, empty: str = "Belum ada data") -> Markup:
    """One horizontal bar per item, the label above its bar and the value at its end (long Indonesian
    labels fit a phone this way)."""
    values = [float(v) for _, v in items if v is not None]
    if not items or not values:
        return _empty(title, desc, empty)
    top = max_value if max_value is not None else max(values)
    top = top if top > 0 else 1.0
    row, pad = 40, 6
    bar_width = WIDTH - 2 * pad - 62
    height = pad + row * len(items) + 4
    head, tail = _open(height, title, desc, "chart-hbar")
    parts = []
    for i, (label, value) in enumerate(items):
        y = pad + i * row
        parts.append(_text(pad, y + 13, label if len(label) <= 48 else label[:47] + "…", 13))
        length = 0.0 if value is None else max(0.0, float(value)) / top * bar_width
        parts.append(f'<rect x="{pad}" y="{y + 19}" width="{bar_width:.1f}" height="14" rx="3" fill="#eef1f5"/>')
        parts.append(f'<rect class="bar" x="{pad}" y="{y + 19}" width="{max(length, 0.0):.1f}" height="14" rx="3" '
                     f'fill="{PALETTE[0]}" data-series="{escape(title)}" data-label="{escape(label)}" '
                     f'data-value="{data_value(value)}"><title>{escape(label)}: '
                     f'{number_text(value, places)}{escape(unit)}</title></rect>')
        parts.append(_text(pad + bar_width + 5, y + 31, number_text(value, places) + unit, 13, weight="600"))
    return Markup(head + "".join(parts) + tail)


def column_chart(title: str, desc: str, labels: Sequence[str], series: Sequence[Series], *, stacked: bool = True,
                 places: int = 0, unit: str = "", empty: str = "Belum ada data") -> Markup:
    """Vertical columns over `labels` (days, hours, weekdays): one colour per series, stacked or side by
    side. X labels are thinned so they never overlap; the data table under the chart has every value."""
    totals = [sum(float(s.values[i] or 0) for s in series) if stacked else
              max((float(s.values[i] or 0) for s in series), default=0) for i in range(len(labels))]
    if not labels or not any(totals):
        return _empty(title, desc, empty)
    legend, legend_h = _legend([s.name for s in series], 6) if len(series) > 1 else ("", 0.0)
    left, right, top, plot_h = 38, 8, 10 + legend_h, 160
    plot_w = WIDTH - left - right
    integer = all(isinstance(v, int) or v is None for s in series for v in s.values)
    ymax, step = nice_axis(max(totals), integer)
    height = top + plot_h + 26
    head, tail = _open(height, title, desc, "chart-columns")
    parts = [legend]
    for k in range(int(round(ymax / step)) + 1):  # grid lines and y labels
        value = step * k
        y = top + plot_h - plot_h * value / ymax
        parts.append(f'<line x1="{left}" x2="{WIDTH - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d8dee6" stroke-width="1"/>')
        parts.append(_text(left - 4, y + 4, number_text(value, 0 if step >= 1 else 1), 12, "end", "#5a6675"))
    slot = plot_w / len(labels)
    bar = max(2.0, slot * 0.72)
    longest = max(len(lbl) for lbl in labels) * 7.2 + 6
    every = max(1, math.ceil(longest / slot))
    for i, lbl in enumerate(labels):
        x0 = left + i * slot + (slot - bar) / 2
        base = top + plot_h
        for j, s in enumerate(series):
            value = s.values[i]
            h = (float(value or 0) / ymax) * plot_h
            if stacked:
                x, w = x0, bar
            else:
                w = bar / len(series)
                x = x0 + j * w
            y = base - h
            parts.append(f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{max(w - 0.5, 1):.1f}" height="{h:.1f}" '
                         f'fill="{PALETTE[j % len(PALETTE)]}" data-series="{escape(s.name)}" data-label="{escape(lbl)}" '
                         f'data-value="{data_value(value)}"><title>{escape(lbl)} · {escape(s.name)}: '
                         f'{number_text(value, places)}{escape(unit)}</title></rect>')
            if stacked:
                base = y
        if i % every == 0:
            parts.append(_text(left + i * slot + slot / 2, top + plot_h + 16, lbl, 12, "middle", "#5a6675"))
    parts.append(f'<line x1="{left}" x2="{WIDTH - right}" y1="{top + plot_h}" y2="{top + plot_h}" stroke="#98a4b3"/>')
    return Markup(head + "".join(parts) + tail)


def line_chart(title: str, desc: str, labels: Sequence[str], series: Sequence[Series], *, y_min: float,
               y_max: float, ticks: Sequence[float] = (), places: int = 2, bands: Sequence[Band] = (),
               empty: str = "Belum ada data") -> Markup:
    """Lines over `labels` (months), broken where a value is missing; optional shaded bands behind and
    grid lines at `ticks` (default: the two ends)."""
    if not labels or not any(v is not None for s in series for v in s.values):
        return _empty(title, desc, empty)
    legend, legend_h = _legend([s.name for s in series], 6) if len(series) > 1 else ("", 0.0)
    left, right, top, plot_h = 38, 22, 10 + legend_h, 160
    plot_w = WIDTH - left - right
    height = top + plot_h + 30
    head, tail = _open(height, title, desc, "chart-line")

    def y_of(value: float) -> float:
        return top + plot_h - (min(max(value, y_min), y_max) - y_min) / (y_max - y_min) * plot_h

    def x_of(i: int) -> float:
        return left + (i + 0.5) * plot_w / len(labels)

    parts = [legend]
    for band in bands:
        y1, y2 = y_of(band.high), y_of(band.low)
        parts.append(f'<rect x="{left}" y="{y1:.1f}" width="{plot_w}" height="{y2 - y1:.1f}" fill="{band.colour}"/>')
        parts.append(_text(WIDTH - right + 3, (y1 + y2) / 2 + 4, band.label, 12, "start", "#5a6675", "600"))
    for value in ticks or (y_min, y_max):
        y = y_of(value)
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d8dee6"/>')
        parts.append(_text(left - 4, y + 4, number_text(value, 0), 12, "end", "#5a6675"))
    longest = max(len(lbl) for lbl in labels) * 7.2 + 6
    every = max(1, math.ceil(longest / (plot_w / len(labels))))
    for i, lbl in enumerate(labels):
        if (len(labels) - 1 - i) % every == 0:  # always the latest month
            parts.append(_text(x_of(i), top + plot_h + 16, lbl, 12, "middle", "#5a6675"))
    for j, s in enumerate(series):
        colour = PALETTE[j % len(PALETTE)]
        run: list[str] = []
        for i, value in enumerate(list(s.values) + [None]):
            if value is None:
                if len(run) > 1:
                    parts.append(f'<polyline points="{" ".join(run)}" fill="none" stroke="{colour}" stroke-width="2"/>')
                run = []
                continue
            run.append(f"{x_of(i):.1f},{y_of(float(value)):.1f}")
        for i, value in enumerate(s.values):
            if value is None:
                continue
            parts.append(f'<circle class="point" cx="{x_of(i):.1f}" cy="{y_of(float(value)):.1f}" r="3.5" '
                         f'fill="{colour}" data-series="{escape(s.name)}" data-label="{escape(labels[i])}" '
                         f'data-value="{data_value(value)}"><title>{escape(labels[i])}: '
                         f'{number_text(value, places)}</title></circle>')
    return Markup(head + "".join(parts) + tail)
