"""Inline SVG bar charts drawn in Python, for the HTML report: no scripts, no network, escaped labels."""
from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

LABEL_W, BAR_W, VALUE_W, ROW_H, PAD = 200, 460, 200, 26, 10
INK, MUTED, GRID = "#1f2933", "#616e7c", "#d9dee3"
FILLS = ("#2f5f8a", "#6b8fb3", "#a9c1d9")


@dataclass(frozen=True)
class Bar:
    """One bar: a label, a value (None when there is nothing to measure), an optional interval and note."""

    label: str
    value: float | None
    interval: tuple[float, float] | None = None
    note: str = ""
    fill: int = 0


@dataclass(frozen=True)
class Segment:
    """One part of a stacked bar: a count and its name, written on the bar so colour is not needed."""

    name: str
    count: int
    fill: str


def _svg(chart_id: str, title: str, desc: str, height: int, body: list[str]) -> str:
    width = LABEL_W + BAR_W + VALUE_W
    return (f'<svg role="img" aria-labelledby="{chart_id}-t {chart_id}-d" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg" font-family="inherit" '
            f'font-size="13"><title id="{chart_id}-t">{escape(title)}</title>'
            f'<desc id="{chart_id}-d">{escape(desc)}</desc>' + "".join(body) + "</svg>")


def count_scale(largest: float) -> float:
    """An axis maximum for counts that gives whole-number ticks in quarters."""
    return float(max(4, math.ceil(largest / 4) * 4))


def _axis(scale_max: float, top: int, bottom: int, percent: bool) -> list[str]:
    out = []
    for i in range(5):
        x = LABEL_W + BAR_W * i / 4
        tick = scale_max * i / 4
        text = f"{tick:.0%}" if percent else f"{tick:g}"
        out.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{bottom}" stroke="{GRID}"/>'
                   f'<text x="{x:.1f}" y="{bottom + 15}" text-anchor="middle" fill="{MUTED}">{text}</text>')
    return out


def bar_chart(chart_id: str, title: str, desc: str, bars: list[Bar], scale_max: float = 1.0,
              percent: bool = True) -> str:
    """Horizontal bars on a 0..scale_max axis, with interval whiskers and the value written beside each."""
    height = PAD + ROW_H * len(bars) + 24
    body = _axis(scale_max, PAD - 4, PAD + ROW_H * len(bars), percent)
    for i, bar in enumerate(bars):
        y = PAD + ROW_H * i
        mid = y + ROW_H / 2
        body.append(f'<text x="{LABEL_W - 8}" y="{mid + 4:.1f}" text-anchor="end" fill="{INK}">'
                    f'{escape(bar.label)}</text>')
        if bar.value is None:
            body.append(f'<text x="{LABEL_W + 6}" y="{mid + 4:.1f}" fill="{MUTED}" font-style="italic">'
                        f'{escape(bar.note or "no data")}</text>')
            continue
        w = BAR_W * max(0.0, min(bar.value, scale_max)) / scale_max
        body.append(f'<rect x="{LABEL_W}" y="{y + 5}" width="{w:.1f}" height="{ROW_H - 10}" '
                    f'fill="{FILLS[bar.fill % len(FILLS)]}"/>')
        if bar.interval:
            lo, hi = (LABEL_W + BAR_W * v / scale_max for v in bar.interval)
            body.append(f'<path d="M{lo:.1f} {mid:.1f}H{hi:.1f}M{lo:.1f} {mid - 6:.1f}V{mid + 6:.1f}'
                        f'M{hi:.1f} {mid - 6:.1f}V{mid + 6:.1f}" stroke="{INK}" stroke-width="1.5" fill="none"/>')
        value = f"{bar.value:.0%}" if percent else f"{bar.value:g}"
        body.append(f'<text x="{LABEL_W + BAR_W + 8}" y="{mid + 4:.1f}" fill="{INK}">'
                    f'{escape(" ".join(filter(None, [value, bar.note])))}</text>')
    return _svg(chart_id, title, desc, height, body)


def stacked_chart(chart_id: str, title: str, desc: str, rows: list[tuple[str, list[Segment]]]) -> str:
    """One stacked horizontal bar per row, each segment labelled with its name and count."""
    height = PAD + ROW_H * len(rows) + 8
    body = []
    for i, (label, segments) in enumerate(rows):
        y = PAD + ROW_H * i
        mid = y + ROW_H / 2
        total = sum(s.count for s in segments)
        body.append(f'<text x="{LABEL_W - 8}" y="{mid + 4:.1f}" text-anchor="end" fill="{INK}">{escape(label)}</text>')
        if not total:
            body.append(f'<text x="{LABEL_W + 6}" y="{mid + 4:.1f}" fill="{MUTED}" font-style="italic">'
                        'no test turns</text>')
            continue
        x = float(LABEL_W)
        for seg in segments:
            if not seg.count:
                continue
            w = BAR_W * seg.count / total
            body.append(f'<rect x="{x:.1f}" y="{y + 4}" width="{w:.1f}" height="{ROW_H - 8}" fill="{seg.fill}" '
                        f'stroke="#fff"/>')
            text = f"{seg.name} {seg.count}"
            if w >= 7.5 * len(text):
                body.append(f'<text x="{x + w / 2:.1f}" y="{mid + 4:.1f}" text-anchor="middle" fill="#fff">'
                            f'{escape(text)}</text>')
            x += w
        written = ", ".join(f"{s.name} {s.count}" for s in segments if s.count)
        body.append(f'<text x="{LABEL_W + BAR_W + 8}" y="{mid + 4:.1f}" fill="{INK}">{escape(written)}</text>')
    return _svg(chart_id, title, desc, height, body)
