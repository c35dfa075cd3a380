"""Small server-side SVG charts (no JavaScript): bars for the league table, columns for trends and for
open deadlines by week. Labels are escaped; every chart carries a text title for screen readers."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

BAR = "#b51f24"
MUTED = "#d0d7de"


def bars(title: str, rows: Sequence[tuple[str, float]], maximum: float = 100.0, unit: str = "") -> Markup:
    """Horizontal bars, one row per (label, value)."""
    height = 26 * len(rows) + 10
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="640" height="{height}" '
             f'viewBox="0 0 640 {height}" class="chart"><title>{escape(title)}</title>']
    for i, (label, value) in enumerate(rows):
        y = 5 + 26 * i
        width = 0 if maximum <= 0 else max(0.0, min(1.0, value / maximum)) * 380
        parts.append(f'<text x="0" y="{y + 16}" font-size="13">{escape(label)}</text>'
                     f'<rect x="200" y="{y + 3}" width="380" height="18" fill="{MUTED}" opacity="0.35"/>'
                     f'<rect x="200" y="{y + 3}" width="{width:.1f}" height="18" fill="{BAR}"/>'
                     f'<text x="{200 + width + 6:.1f}" y="{y + 16}" font-size="12">{value:g}{escape(unit)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def columns(title: str, points: Sequence[tuple[str, float | None]], maximum: float | None = None,
            unit: str = "") -> Markup:
    """Vertical columns, one per (label, value); None is drawn as '无数据'."""
    values = [v for _, v in points if v is not None]
    top = maximum if maximum is not None else max(values + [1.0])
    width = max(320, 70 * len(points))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="200" '
             f'viewBox="0 0 {width} 200" class="chart"><title>{escape(title)}</title>'
             f'<line x1="0" y1="160" x2="{width}" y2="160" stroke="{MUTED}"/>']
    for i, (label, value) in enumerate(points):
        x = 10 + 70 * i
        if value is None:
            parts.append(f'<text x="{x}" y="150" font-size="11" fill="#656d76">无数据</text>')
        else:
            h = 0 if top <= 0 else max(0.0, min(1.0, value / top)) * 130
            parts.append(f'<rect x="{x}" y="{160 - h:.1f}" width="40" height="{h:.1f}" fill="{BAR}"/>'
                         f'<text x="{x}" y="{152 - h:.1f}" font-size="11">{value:g}{escape(unit)}</text>')
        parts.append(f'<text x="{x}" y="178" font-size="11">{escape(label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
