"""A few SVG drawing primitives for the report's charts: scales, ticks, marks, text.

The charts are drawn here rather than by a browser so that a report builds in seconds, offline
and without Chromium, and so the PDF carries them as vector graphics. Every mark that carries
meaning has a shape as well as a colour (circle, triangle, diamond, square), as on the web pages.
"""

from __future__ import annotations

import math
from html import escape
from typing import Final

from oversight.present import marks

# 'Report Sans' is the report's own font (render.REPORT_FONTS), used when the PDF is made; a browser
# showing the chart as an image has only the machine's fonts.
FONT: Final = "'Report Sans', 'DejaVu Sans', 'Liberation Sans', Arial, Helvetica, sans-serif"
INK, BLUE, GREY, LIGHT, SHADE, RED, PURPLE = (
    marks.INK, marks.BLUE, marks.GREY, marks.LIGHT, marks.SHADE, marks.RED, marks.PURPLE
)
CHAR_WIDTH: Final = 0.6  # average glyph width as a share of the font size, for laying out labels
LEGEND_SIZE: Final = 10.5
LEGEND_GAP: Final = 7.0


def text_width(text: str, size: float) -> float:
    return len(text) * size * CHAR_WIDTH


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high]: steps of 1, 2, 2.5 or 5 times a power of ten."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return [0.0, 1.0]
    if high <= low:
        pad = abs(low) * 0.1 or 1.0
        low, high = low - pad, high + pad
    raw = (high - low) / max(count - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.floor(low / step + 1e-9) * step
    last = math.ceil(high / step - 1e-9) * step
    n = int(round((last - first) / step))
    return [round(first + i * step, 12) for i in range(n + 1)]


def tick_text(unit: str, value: float, step: float) -> str:
    """Axis labels: '70%', '60,000', '+5', '2.5'."""
    decimals = max(0, -math.floor(math.log10(step) + 1e-9)) if step > 0 else 0
    if unit in ("proportion", "survey_proportion"):
        return f"{100 * value:.{max(0, decimals - 2)}f}%"
    if unit == "percentage_points":
        return f"{value:+.{decimals}f}" if value else "0"
    return f"{value:,.{decimals}f}"


def legend_layout(items: list[tuple[str, str, str]], left: float, right: float,
                  size: float = LEGEND_SIZE) -> list[tuple[float, int]]:
    """(x, row) of each legend item, placed left to right and wrapped at `right`."""
    placed, x, row = [], left, 0
    for _, _, words in items:
        width = 26 + text_width(words, size) + 14
        if x + width > right and x > left:
            x, row = left, row + 1
        placed.append((x, row))
        x += width
    return placed


def legend_height(items: list[tuple[str, str, str]], left: float, right: float, size: float = LEGEND_SIZE) -> float:
    rows = 1 + max((row for _, row in legend_layout(items, left, right, size)), default=0)
    return rows * (size + LEGEND_GAP)


class Canvas:
    """Collects SVG elements in drawing order; `svg()` wraps them with a title and description."""

    def __init__(self, width: float, height: float) -> None:
        self.width = width
        self.height = height
        self.parts: list[str] = []

    def add(self, element: str) -> None:
        self.parts.append(element)

    def line(self, x1: float, y1: float, x2: float, y2: float, colour: str = GREY, width: float = 1,
             dash: str | None = None) -> None:
        dashes = f' stroke-dasharray="{dash}"' if dash else ""
        self.add(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{colour}" '
                 f'stroke-width="{width}"{dashes}/>')

    def path(self, d: str, colour: str, width: float = 1.5, dash: str | None = None, fill: str = "none",
             opacity: float | None = None) -> None:
        dashes = f' stroke-dasharray="{dash}"' if dash else ""
        fade = f' fill-opacity="{opacity}"' if opacity is not None else ""
        stroke = f'stroke="{colour}" stroke-width="{width}"' if colour != "none" else 'stroke="none"'
        self.add(f'<path d="{d}" fill="{fill}"{fade} {stroke}{dashes} stroke-linejoin="round"/>')

    def rect(self, x: float, y: float, w: float, h: float, fill: str, stroke: str = "none") -> None:
        self.add(f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" height="{max(h, 0):.1f}" '
                 f'fill="{fill}" stroke="{stroke}"/>')

    def text(self, x: float, y: float, text: str, size: float = 11, anchor: str = "start",
             colour: str = INK, weight: str = "normal") -> None:
        self.add(f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{colour}" '
                 f'font-weight="{weight}">{escape(text)}</text>')

    def marker(self, shape: str, x: float, y: float, colour: str, size: float = 4.5) -> None:
        """circle, triangle (pointing up), diamond or square, centred on (x, y)."""
        s = size
        if shape == "circle":
            self.add(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{s * 0.75:.1f}" fill="{colour}"/>')
            return
        points = {
            "triangle": [(x, y - s * 1.2), (x + s * 1.1, y + s * 0.8), (x - s * 1.1, y + s * 0.8)],
            "diamond": [(x, y - s * 1.3), (x + s * 1.1, y), (x, y + s * 1.3), (x - s * 1.1, y)],
            "square": [(x - s, y - s), (x + s, y - s), (x + s, y + s), (x - s, y + s)],
        }[shape]
        coords = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
        self.add(f'<polygon points="{coords}" fill="{colour}" stroke="{INK}" stroke-width="0.8"/>')

    def legend(
        self, items: list[tuple[str, str, str]], y: float, left: float, right: float, size: float = LEGEND_SIZE
    ) -> None:
        """Draw (kind, colour, words) items left to right from baseline y, wrapping as `legend_layout` says.

        kinds: 'line', 'dash', 'dot', 'band', or a marker shape."""
        for (kind, colour, words), (x, row) in zip(items, legend_layout(items, left, right, size), strict=True):
            base = y + row * (size + LEGEND_GAP)
            middle = base - size * 0.35
            if kind in ("line", "dash", "dot"):
                dash = {"line": None, "dash": "6 3", "dot": "2 2"}[kind]
                self.line(x, middle, x + 20, middle, colour, 2 if kind == "line" else 1.5, dash)
            elif kind == "band":
                self.rect(x, middle - 5, 20, 10, colour)
            else:
                self.marker(kind, x + 10, middle, colour)
            self.text(x + 26, base, words, size)

    def svg(self, title: str) -> str:
        """The finished image; `title` is the short name, the alt text goes on the <img>."""
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{self.width:.0f}" height="{self.height:.0f}" '
            f'viewBox="0 0 {self.width:.0f} {self.height:.0f}" font-family="{escape(FONT)}">'
            f"<title>{escape(title)}</title>"
            f'<rect width="100%" height="100%" fill="#ffffff"/>' + "".join(self.parts) + "</svg>"
        )
