"""Render a `Pack` as one HTML file and as a tagged PDF (PDF/UA-1), with the report's templates,
macros, stylesheet, fonts and PDF writer (`oversight.report.render`): a figure in the pack reads
exactly as it does in the quarterly report, on the site and in the API.
"""

from __future__ import annotations

import functools
import re
from importlib import resources

from jinja2 import Environment

from oversight.pack.data import Pack
from oversight.pack.questions import Questions
from oversight.present.labels import sentence_case
from oversight.present.words import (
    USE_WITH_CARE,
    change_sentence,
    label_text,
    missing_reasons,
    quality_mark,
    quality_notes,
)
from oversight.report.render import environment, stylesheet


def title(pack: Pack) -> str:
    return f"Stop and search in {pack.borough.name}: community monitoring pack, {pack.month_label}"


def render_html(pack: Pack, questions: Questions | None = None, *, questions_file: str = "",
                web: bool = False, pdf_link: str = "") -> str:
    """The pack as HTML. `web` renders it for the site (fonts not embedded, links to the PDF
    `pdf_link` and back to the site); otherwise it is one self-contained file, as the PDF prints it."""
    html = pack_environment().get_template("pack.html").render(
        p=pack, title=title(pack), css=_css(web), questions=questions, questions_file=questions_file,
        suppress_below=pack.settings.get("suppress_below", ""), web=web, pdf_link=pdf_link,
        change_sentence=change_sentence)
    return _scrolling_tables(html) if web else html


@functools.cache
def pack_environment() -> Environment:
    """The pack's templates on the report's, compiled once per process (a page of the site renders
    a pack on each request for a new borough or month; the site compiles them before it serves)."""
    env = environment("oversight.pack")
    env.globals.update(mark=quality_mark, quality_notes=quality_notes, missing_reasons=missing_reasons,
                       short=label_text, care_words=sentence_case(USE_WITH_CARE))
    return env


@functools.cache
def _css(web: bool) -> str:
    sheets = ["pack.css", "pack-web.css"] if web else ["pack.css"]
    return "\n".join([stylesheet(fonts=not web), *(_template(name) for name in sheets)])


def _template(name: str) -> str:
    return resources.files("oversight.pack").joinpath(f"templates/{name}").read_text(encoding="utf-8")


_TABLE = re.compile(r"(<table[^>]*>\s*<caption>(.*?)</caption>.*?</table>)", re.DOTALL)


def _scrolling_tables(html: str) -> str:
    """On the site each table scrolls on its own on a narrow screen, in a region named by its
    caption that the keyboard can reach (the page itself never scrolls sideways)."""
    return _TABLE.sub(lambda m: f'<div class="scroll" role="region" tabindex="0" aria-label="{m[2]}">{m[1]}</div>',
                      html)
