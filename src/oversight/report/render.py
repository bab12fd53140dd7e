"""Render a `Report` as one self-contained HTML file and as a tagged PDF (PDF/UA-1).

The HTML is semantic (headings in order, tables with header cells and scopes, images with alt
text, `lang` set), and WeasyPrint turns that structure into the PDF's tag tree: H1-H3, P, L,
Table/TR/TH/TD, Figure with /Alt. Anything WeasyPrint reports as an error (an image without alt
text, a missing resource) stops the build rather than producing a PDF that fails its readers.
"""

from __future__ import annotations

import base64
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Final

from jinja2 import ChoiceLoader, Environment, PackageLoader, StrictUndefined, select_autoescape

from oversight.errors import OversightError
from oversight.present.labels import period_text, sentence_case
from oversight.present.words import (
    band_words,
    comparison_text,
    interval_text,
    quality_phrase,
    sample_text,
    spc_phrase,
    value_text,
)
from oversight.report.data import Report
from oversight.stats.intervals import CONFIDENCE
from oversight.stats.spc import LIMIT_MULTIPLIER, MIN_SPC_POINTS, RUN_LENGTH, TREND_LENGTH

PDF_VARIANT: Final = "pdf/ua-1"
PANGO_PACKAGES: Final = "libpango-1.0-0 libpangoft2-1.0-0"
FONTS: Final = Path(str(resources.files("oversight.report").joinpath("fonts")))


@dataclass(frozen=True)
class FontFace:
    """A font shipped with the package (fonts/: DejaVu Sans 2.37, cut down to the characters a
    report prints by `make report-fonts`; licence in fonts/LICENSE)."""

    family: str
    weight: str
    file: str

    @property
    def path(self) -> Path:
        return FONTS / self.file

    @property
    def pdf_name(self) -> str:
        """The font's name in the PDF (its /BaseFont, without the subset tag)."""
        return "-".join([*self.family.split(), *(["Bold"] if self.weight == "bold" else [])])

    def css(self) -> str:
        data = base64.b64encode(self.path.read_bytes()).decode("ascii")
        return (f'@font-face {{ font-family: "{self.family}"; font-weight: {self.weight}; font-style: normal; '
                f'src: url("data:font/ttf;base64,{data}") format("truetype"); }}')


# The report is set in these fonts and no other, embedded in the HTML and so in the PDF: its line
# and page breaks are then the same on every machine, whatever fonts the machine has. The family
# names are the report's own, so that Fontconfig never swaps in an installed font of the same name.
REPORT_FONTS: Final = (
    FontFace("Report Sans", "normal", "DejaVuSans.ttf"),
    FontFace("Report Sans", "bold", "DejaVuSans-Bold.ttf"),
    FontFace("Report Mono", "normal", "DejaVuSansMono.ttf"),
)


def title(report: Report) -> str:
    return f"{report.force_name}: performance against the Police and Crime Plan, {report.quarter.label}"


def _figure(unit: str, row: dict[str, Any] | None) -> str:
    """A figure for a table cell: '5.1 per 1,000' kept on one line; reasons may wrap."""
    text = value_text(unit, row)
    published = row is not None and not row.get("suppressed") and row.get("value") is not None
    return text.replace(" ", "\u00a0") if published else text


def environment(*packages: str) -> Environment:
    """The report's templates, macros and filters; `packages` name packages whose own templates
    are looked up first (the community monitoring pack), so documents built on the report's
    pieces format every figure the same way."""
    loader = ChoiceLoader([*(PackageLoader(p, "templates") for p in packages),
                          PackageLoader("oversight.report", "templates")])
    env = Environment(loader=loader, autoescape=select_autoescape(["html"]),
                      undefined=StrictUndefined, trim_blocks=False, lstrip_blocks=False)
    env.filters["band"] = lambda value: f"{value:g}"
    env.filters["basename"] = lambda value: Path(str(value)).name
    env.filters["capitalize_first"] = sentence_case
    env.filters["band_words"] = band_words
    env.globals.update(
        value=_figure, interval=interval_text, comparison=comparison_text, quality=quality_phrase, period=period_text,
        average=spc_phrase,
        confidence=f"{100 * CONFIDENCE:g}",
        limit_multiplier=f"{LIMIT_MULTIPLIER:g}", run_length=RUN_LENGTH, trend_length=TREND_LENGTH,
        min_points=MIN_SPC_POINTS,
    )
    return env


def stylesheet(*, fonts: bool = True) -> str:
    """The report's CSS, with the report's fonts embedded (`fonts`: for the PDF and the file a
    reader keeps; a web page leaves them out, as its content security policy loads no data: fonts)."""
    css = resources.files("oversight.report").joinpath("templates/report.css").read_text(encoding="utf-8")
    return "\n".join([*(face.css() for face in REPORT_FONTS if fonts), css])


def render_html(report: Report) -> str:
    # What the report says of its method is what built its figures (report.settings), not today's settings.
    settings = report.settings
    bands = sorted({f"{g.measure.band:g}" for s in report.sections for g in s.gaps if g.measure.band})
    return environment().get_template("report.html").render(
        r=report, title=title(report), css=stylesheet(), suppress_below=settings["suppress_below"],
        band=" or ±".join(bands) or "5", sample=lambda row: sample_text(row, settings["survey_design_effect"]))


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def _weasyprint_messages() -> Iterator[_Collect]:
    logger = logging.getLogger("weasyprint")
    handler = _Collect()
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


def write_pdf(html: str, path: Path) -> tuple[int, list[str]]:
    """Write the tagged PDF; returns (pages, WeasyPrint warnings). Errors raise OversightError."""
    try:
        from weasyprint import HTML
    except OSError as exc:  # the Python package is there but Pango is not
        raise OversightError(f"the PDF needs the Pango text library ({exc}); on Debian or Ubuntu: "
                             f"apt-get install {PANGO_PACKAGES}", path=str(path)) from None
    with _weasyprint_messages() as messages:
        document = HTML(string=html, base_url=os.getcwd()).render(pdf_variant=PDF_VARIANT)
        document.write_pdf(path, pdf_variant=PDF_VARIANT)
    errors = [m.getMessage() for m in messages.records if m.levelno >= logging.ERROR]
    if errors:
        path.unlink(missing_ok=True)
        raise OversightError(f"the PDF could not be made accessible: {errors[0]} ({len(errors)} errors)",
                             path=str(path))
    return len(document.pages), [m.getMessage() for m in messages.records if m.levelno < logging.ERROR]
