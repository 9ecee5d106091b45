"""Inline SVG charts for the reports: no JavaScript, no external assets, prints as vectors.

A chart here is a picture of numbers that the report also prints as text (a table beside it), so
each SVG carries ``role="img"`` and an ``aria-label`` that summarises it, and marks its points by
shape as well as colour.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

__all__ = ["MARKERS", "DotRow", "dot_chart", "marker"]

#: Marker shape and colour per comparison role: shape carries the meaning, colour only helps.
MARKERS = {
    "team": ("circle", "#1f4e79"),
    "department": ("diamond", "#b35806"),
    "division": ("triangle", "#4d7f3a"),
    "organisation": ("bar", "#333333"),
}


@dataclass(frozen=True)
class DotRow:
    """One row of a dot chart: a label and, per role, the number as shown (``None`` = not shown);
    ``interval`` is the team's 95% interval (drawn as a line through its marker), and ``value`` the
    text printed at the right (default: the team's number as shown)."""

    label: str
    points: dict[str, tuple[float, str] | None]
    interval: tuple[float, float] | None = None
    value: str | None = None


def marker(role: str, x: float, y: float, size: float = 6.0) -> str:
    """SVG markup of the marker of ``role`` centred at (``x``, ``y``).

    Examples
    --------
    >>> marker("team", 10, 10).startswith("<circle")
    True
    """
    shape, colour = MARKERS.get(role, ("circle", "#555555"))
    if shape == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{size:.1f}" fill="{colour}"/>'
    if shape == "diamond":
        s = size
        pts = f"{x:.1f},{y - s:.1f} {x + s:.1f},{y:.1f} {x:.1f},{y + s:.1f} {x - s:.1f},{y:.1f}"
        return f'<polygon points="{pts}" fill="#ffffff" stroke="{colour}" stroke-width="2"/>'
    if shape == "triangle":
        s = size
        pts = f"{x:.1f},{y - s:.1f} {x + s:.1f},{y + s * 0.8:.1f} {x - s:.1f},{y + s * 0.8:.1f}"
        return f'<polygon points="{pts}" fill="#ffffff" stroke="{colour}" stroke-width="2"/>'
    h = 2 * size + 4
    return f'<rect x="{x - 1.5:.1f}" y="{y - size - 2:.1f}" width="3" height="{h:.1f}" fill="{colour}"/>'


def legend_symbol(role: str) -> str:
    """A small standalone SVG of the marker of ``role``, for an HTML legend (decorative)."""
    return (
        '<svg class="sym" width="16" height="16" viewBox="0 0 16 16" aria-hidden="true" focusable="false">'
        f"{marker(role, 8, 8, 5)}</svg>"
    )


def dot_chart(
    rows: Sequence[DotRow],
    *,
    lo: float,
    hi: float,
    label: str,
    roles: Sequence[str],
    width: int = 640,
    value_width: int = 80,
) -> str:
    """A horizontal dot chart on the scale ``lo`` to ``hi``, one row per construct.

    Parameters
    ----------
    rows : sequence of DotRow
        The label and the points per role; the team's value is also printed at the right.
    lo, hi : float
        Ends of the scale (the axis shows every whole number between them).
    label : str
        The ``aria-label`` of the chart: a summary in words.
    roles : sequence of str
        The roles drawn, back to front (the team last, on top).
    width : int, default 640
        Width in SVG units; the chart scales to its container.
    value_width : int, default 80
        Room at the right for the printed value of each row.

    Returns
    -------
    str
        ``<svg role="img" ...>`` markup.

    Examples
    --------
    >>> svg = dot_chart([DotRow("Depth", {"team": (3.5, "3.50")})], lo=1, hi=5, label="x", roles=["team"])
    >>> 'role="img"' in svg and "3.50" in svg
    True
    """
    left, right, top, row_h = 200, value_width, 26, 30
    plot_w = width - left - right
    height = top + row_h * len(rows) + 10

    def xpos(v: float) -> float:
        return left + (v - lo) / (hi - lo) * plot_w

    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(label)}" viewBox="0 0 {width} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet">',
    ]
    ticks = range(int(lo), int(hi) + 1)
    for t in ticks:
        x = xpos(t)
        parts.append(
            f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{height - 8}" stroke="#d0d0d0"/>'
            f'<text x="{x:.1f}" y="{top - 10}" text-anchor="middle" class="tick">{t}</text>'
        )
    for i, row in enumerate(rows):
        y = top + row_h * i + row_h / 2
        parts.append(f'<text x="{left - 10}" y="{y + 4:.1f}" text-anchor="end">{escape(row.label)}</text>')
        if row.interval is not None:
            a, b = (xpos(min(max(v, lo), hi)) for v in row.interval)
            colour = MARKERS["team"][1]
            parts.append(
                f'<line x1="{a:.1f}" y1="{y:.1f}" x2="{b:.1f}" y2="{y:.1f}" stroke="{colour}" '
                f'stroke-width="3" stroke-linecap="round" opacity="0.55"/>'
                + "".join(
                    f'<line x1="{e:.1f}" y1="{y - 6:.1f}" x2="{e:.1f}" y2="{y + 6:.1f}" '
                    f'stroke="{colour}" stroke-width="2"/>'
                    for e in (a, b)
                )
            )
        for role in roles:
            point = row.points.get(role)
            if point is not None:
                parts.append(marker(role, xpos(point[0]), y))
        team = row.points.get("team")
        shown = row.value if row.value is not None else team[1] if team is not None else "not shown"
        parts.append(
            f'<text x="{width - 8}" y="{y + 4:.1f}" text-anchor="end" class="value">{escape(shown)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
