"""One palette and one legend for every chart, on the pages and in the report.

Every mark that carries meaning has a shape and words as well as a colour, so nothing is said
by colour alone: special cause is a triangle (concern), a diamond (improvement) or a square
(neither direction better), each named in the legend.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from oversight.stats.spc import MIN_SPC_POINTS

INK: Final = "#0b0c0c"
BLUE: Final = "#1d70b8"
GREY: Final = "#505a5f"
LIGHT: Final = "#b1b4b6"
SHADE: Final = "#f3f2f1"
RED: Final = "#d4351c"
PURPLE: Final = "#6f2c91"
INTERVAL: Final = "#c6d9ea"
GRID: Final = "#e5e6e7"
BAND: Final = "#e8e9ea"  # a gap's band of ± points


@dataclass(frozen=True)
class SpcMark:
    """How one SPC reading is drawn and named."""

    shape: str     # 'triangle', 'diamond', 'square', 'circle', 'hollow'
    glyph: str     # the shape as a character, for badges and keys
    colour: str
    label: str     # the badge: 'Special cause: concern'
    meaning: str   # what it means: 'unusual, in the worse direction'
    css: str       # the badge's class, repeating what shape and words say

    @property
    def legend(self) -> str:
        """'Special cause: concern (triangle)': the legend names the shape."""
        return f"{self.label} ({self.shape})"


SPC_MARKS: Final = {
    "common_cause": SpcMark("circle", "●", BLUE, "Common cause", "no unusual change", "spc-common"),
    "special_cause_improvement": SpcMark("diamond", "◆", BLUE, "Special cause: improvement",
                                         "unusual, in the better direction", "spc-better"),
    "special_cause_concern": SpcMark("triangle", "▲", RED, "Special cause: concern",
                                     "unusual, in the worse direction", "spc-worse"),
    "special_cause_neutral": SpcMark("square", "■", PURPLE, "Special cause", "unusual change", "spc-neutral"),
    # Limits are set over a series' last `spc_window_months`, restart at a break or a change of
    # source and leave flagged months out, so a long series can still have too few points: the
    # words say which months count (`spc_badge` adds the window the figures were built with).
    "insufficient_data": SpcMark("hollow", "○", GREY, "Too few points",
                                 f"limits need at least {MIN_SPC_POINTS} months not flagged for quality, "
                                 "counted from the last break or change of source", "spc-none"),
}
SPECIAL_CAUSES: Final = tuple(k for k in SPC_MARKS if k.startswith("special_cause"))

LEGEND_WORDS: Final = {
    # what the legend says for each kind of line or area
    "interval": "95% interval",
    "mean": "Mean",
    "limits": "Process limits",
    "target": "Target, for reference only",
    "one": "1 = the same rate as the reference group",
    "flagged": "Flagged for quality, not joined to the line",
}


def spc_badge(variation: str | None, window_months: int | str | None = None) -> dict[str, str] | None:
    """A point's SPC reading as a badge (plain data, for pages and their JSON twins): its shape,
    label and meaning; the class only repeats them in colour. `window_months` is the SPC window
    the figures were built with (the build's recorded `spc_window_months`, not this process's
    setting), which 'Too few points' adds to the months that count; where only the label is
    shown it may be left out."""
    mark = SPC_MARKS.get(variation or "")
    if mark is None:
        return None
    meaning = mark.meaning
    if variation == "insufficient_data" and window_months is not None:
        meaning += f", within the last {window_months} months"
    return {"variation": str(variation), "shape": mark.glyph, "label": mark.label, "meaning": meaning,
            "class": mark.css}
