"""The report built from the bundled real data, read back from the PDF.

Every number printed in the PDF (outside the charts, whose axis labels are not figures) must be
a figure of the measures table for the quarter, read here by an independent query, a count from
the data-health ledger, a date or period, or one of the method constants. The PDF's tag tree is
checked for headings, figures with alt text, and tables.
"""

from __future__ import annotations

import datetime as dt
import html as html_lib
import os
import re
import subprocess
import sys

import duckdb
import pypdf
import pytest
from conftest import needs_shared
from fontTools.ttLib import TTFont
from pdfminer.converter import PDFLayoutAnalyzer
from pdfminer.layout import LAParams, LTTextContainer
from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
from pdfminer.pdfpage import PDFPage

from oversight import config
from oversight.errors import OversightError
from oversight.measures.catalogue import PRIORITIES, load_catalogue
from oversight.measures.periods import period_key
from oversight.measures.query import NoFigures, measure_values
from oversight.present.words import format_interval, format_value
from oversight.report import build_report
from oversight.report.quarter import Quarter
from oversight.report.render import REPORT_FONTS, write_pdf
from oversight.sources.reference import all_datasets
from oversight.stats.compare import BAND
from oversight.stats.disclosure import SUPPRESS_BELOW
from oversight.stats.intervals import CONFIDENCE, RATE_PER
from oversight.stats.spc import (
    LIMIT_MULTIPLIER,
    MIN_SPC_POINTS,
    RUN_LENGTH,
    TREND_LENGTH,
)
from oversight.warehouse.health import health_ledger, reference_health

NUMBER = re.compile(r"[+\-]?\d[\d,]*(?:\.\d+)?%?")
MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
DATES = [
    re.compile(r"\bPage \d+ of \d+\b"),
    re.compile(r"\b\d{4}-\d{2}-Q[1-4]\b"),          # 2022-23-Q2 (command line)
    re.compile(r"\b\d{4}-\d{2} Q[1-4]\b"),          # 2022-23 Q2
    re.compile(r"\(Q[1-4]\)"),
    re.compile(r"\bQ[1-4]\b"),                     # Q4 (a quarter's name)
    re.compile(r"\b(?:19|20)\d{2}-\d{2}\b"),       # 2019-20 (a financial year)
    re.compile(rf"\b\d{{1,2}} (?:{MONTHS}) \d{{4}}\b"),
    re.compile(rf"\b(?:{MONTHS}) \d{{4}}\b"),
    re.compile(r"\S+\.csv(?:\.gz)?\b"),
    re.compile(r"Open Government Licence v3\.0"),
]
CONSTANTS = {str(SUPPRESS_BELOW), f"{BAND:g}", f"{100 * CONFIDENCE:g}%", f"{LIMIT_MULTIPLIER:g}", str(RUN_LENGTH),
             str(TREND_LENGTH), str(MIN_SPC_POINTS), f"{RATE_PER:,}",
             f"{float(config.default('survey_design_effect')):g}"}  # printed beside every survey sample


# helpers: the PDF as text and as a tag tree

class _TextOutsideFigures(PDFLayoutAnalyzer):
    """Collects each page's text, leaving out text drawn inside /Figure marked content (charts)."""

    def __init__(self, manager: PDFResourceManager) -> None:
        super().__init__(manager, laparams=LAParams())
        self.tags: list[bool] = []
        self.pages: list[str] = []

    def begin_tag(self, tag, props=None):  # type: ignore[no-untyped-def]
        self.tags.append(getattr(tag, "name", str(tag)) == "Figure")

    def end_tag(self):  # type: ignore[no-untyped-def]
        if self.tags:
            self.tags.pop()

    def render_string(self, textstate, seq, ncs, graphicstate):  # type: ignore[no-untyped-def]
        if not any(self.tags):
            super().render_string(textstate, seq, ncs, graphicstate)

    def receive_layout(self, ltpage):  # type: ignore[no-untyped-def]
        self.pages.append(" ".join(item.get_text() for item in ltpage if isinstance(item, LTTextContainer)))


def page_texts(path) -> list[str]:  # type: ignore[no-untyped-def]
    """Each page's text outside the charts, line by line as laid out."""
    manager = PDFResourceManager()
    device = _TextOutsideFigures(manager)
    interpreter = PDFPageInterpreter(manager, device)
    with open(path, "rb") as handle:
        for page in PDFPage.get_pages(handle):
            interpreter.process_page(page)
    return device.pages


def pdf_text(path) -> str:  # type: ignore[no-untyped-def]
    """The text of every page outside the charts, with runs of white space made single spaces."""
    return squash(" ".join(page_texts(path)))


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def structure(path) -> list[tuple[str, str | None]]:  # type: ignore[no-untyped-def]
    """(role, alt text) of every element of the PDF's tag tree, in reading order."""
    reader = pypdf.PdfReader(path)
    found: list[tuple[str, str | None]] = []

    def walk(node) -> None:  # type: ignore[no-untyped-def]
        node = node.get_object()
        if isinstance(node, pypdf.generic.ArrayObject):
            for kid in node:
                walk(kid)
            return
        if not isinstance(node, pypdf.generic.DictionaryObject) or "/S" not in node:
            return
        found.append((str(node["/S"])[1:], str(node["/Alt"]) if "/Alt" in node else None))
        if "/K" in node:
            walk(node["/K"])

    walk(reader.trailer["/Root"]["/StructTreeRoot"]["/K"])
    return found


def embedded_fonts(path) -> set[str]:  # type: ignore[no-untyped-def]
    """The name of every font the PDF uses, in the text and in the charts, without the subset tag."""
    names: set[str] = set()

    def walk(resources) -> None:  # type: ignore[no-untyped-def]
        resources = resources.get_object() if resources is not None else {}
        for font in (resources.get("/Font") or {}).values():
            names.add(str(font.get_object()["/BaseFont"]).lstrip("/").split("+")[-1])
        for xobject in (resources.get("/XObject") or {}).values():
            walk(xobject.get_object().get("/Resources"))

    for page in pypdf.PdfReader(path).pages:
        walk(page.get("/Resources"))
    return names


# helpers: what may be printed, from independent queries

def catalogue_text() -> list[str]:
    """Words from the catalogue (titles, descriptions, caveats ...), which may contain digits."""
    texts = list(PRIORITIES)
    for m in load_catalogue().values():
        texts += [m.title, m.description, m.source, m.outcome, *m.caveats, m.series_break_reason or ""]
        texts += [m.target.description] if m.target else []
    texts += [d.name for d in all_datasets()]
    return sorted({squash(t) for t in texts if t}, key=len, reverse=True)


def allowed_figures(con: duckdb.DuckDBPyConnection, quarter: Quarter) -> set[str]:
    """Every formatted figure of the measures table for the quarter, its months and a year before,
    at force and BCU level, plus the data-health counts and notes and the method constants."""
    wanted = {("fy_quarter", quarter.end), ("fy_quarter", quarter.year_before.end), ("rolling_12", quarter.end),
              ("rolling_12", quarter.year_before.end), *(("month", m) for m in quarter.months)}
    texts: list[str] = []
    catalogue = load_catalogue()
    for m in catalogue.values():
        for level in ("force", "bcu"):
            if level not in m.levels:
                continue
            for kind, end in sorted(wanted):
                if kind not in m.periods:
                    continue
                try:
                    frame = measure_values(con, m.id, level=level, period=period_key(kind, end), period_type=kind,
                                           breakdown=None, public=True, catalogue=catalogue)
                except NoFigures:
                    continue
                for row in frame.to_dict("records"):
                    texts.append(format_value(m.unit, row["value"]))
                    texts.append(format_interval(m.unit, row["interval_low"], row["interval_high"]))
                    if row["sample_size"] == row["sample_size"]:
                        texts.append(f"{row['sample_size']:,.0f}")
                    if isinstance(row.get("quality_note"), str):  # a column of the table, in words
                        texts.append(row["quality_note"])
                    value, before = row["value"], row["value_year_before"]
                    if value == value and before == before and value is not None and before is not None:
                        # the year-before figure and the change, written beside the verdict
                        texts += [format_value(m.unit, before), format_value(m.unit, abs(value - before)),
                                  f"{100 * (value - before):+.1f}"]
                        texts += [f"{100 * (value - before) / before:+.1f}%"] if before else []
    ledger = health_ledger(con)
    ledger = ledger[ledger["month"].isin([f"{m:%Y-%m}" for m in quarter.months])]
    texts += [f"{n:,}" for n in ledger["rows"]] + [f"{n:,}" for n in ledger["quarantined"]]
    texts += [f"{100 * s:.0f}%" for s in ledger["share_no_coordinates"].dropna()] + list(ledger["notes"])
    reference = reference_health(con, all_datasets())
    texts += [f"{n:,}" for n in reference["rows"]] + [f"{n:,}" for n in reference["quarantined"]]
    quarantined = con.execute("SELECT count(*), reason FROM quarantine GROUP BY dataset, reason").fetchall()
    texts += [f"{n:,}" for (n, _) in quarantined] + [reason for (_, reason) in quarantined]
    return {token for text in texts for token in NUMBER.findall(text)} | CONSTANTS


def without_phrases(text: str, phrases: list[str]) -> str:
    """`text` with each of `phrases` blanked out, found whatever white space the line breaks of the
    PDF put into them or took out ('Wounding/ GBH' for 'Wounding/GBH', a phrase over two lines)."""
    kept = [i for i, char in enumerate(text) if not char.isspace()]
    solid = "".join(text[i] for i in kept)
    blank = [False] * len(text)
    for phrase in phrases:
        target = "".join(phrase.split())
        start = solid.find(target) if target else -1
        while start >= 0:
            for i in range(kept[start], kept[start + len(target) - 1] + 1):
                blank[i] = True
            start = solid.find(target, start + len(target))
    return "".join(" " if gone else char for char, gone in zip(text, blank, strict=True))


def unexplained_numbers(text: str, allowed: set[str], strip: list[str]) -> list[str]:
    text = without_phrases(text, strip)
    for pattern in DATES:
        text = pattern.sub(" ", text)
    return [token for token in NUMBER.findall(text) if token not in allowed]


@pytest.fixture(scope="module")
def con(bundled_warehouse):
    connection = duckdb.connect(str(bundled_warehouse), read_only=True)
    yield connection
    connection.close()


# outputs: files and timing

@pytest.mark.parametrize("quarter", ["2018-19-Q2", "2017-18-Q4", "2022-23-Q2", "latest"])
def test_report_builds_for_real_quarters_without_warnings(bundled_reports, quarter):
    files = bundled_reports[quarter]
    assert files.html.exists() and files.pdf is not None and files.pdf.exists()
    assert files.pages >= 5 and files.warnings == []
    assert files.seconds < 60, f"report took {files.seconds:.1f} s (goal: under 30 s)"
    assert pypdf.PdfReader(files.pdf).pages[0].extract_text().count(files.quarter.label) >= 1


def test_default_quarter_is_the_latest_with_figures(bundled_reports, con):
    latest = con.execute("SELECT max(period_end) FROM measure_value WHERE period_type = 'fy_quarter' "
                         "AND area_level = 'force' AND area_code = 'metropolitan'").fetchone()[0]
    assert bundled_reports["latest"].quarter.end == latest


def test_a_quarter_without_figures_is_an_error_naming_it_and_the_range(bundled_warehouse, tmp_path):
    with pytest.raises(OversightError) as error:
        build_report(bundled_warehouse, "1999-00-Q1", tmp_path)
    message = str(error.value)
    assert "1999-00 Q1 (April to June 1999)" in message
    assert re.search(r"quarters with figures run from \d{4}-\d{2} Q[1-4] to \d{4}-\d{2} Q[1-4]", message)
    assert not list(tmp_path.iterdir())


# outputs: every figure traced to the measures table

@pytest.mark.parametrize("quarter", ["2018-19-Q2", "2017-18-Q4", "2022-23-Q2", "latest"])
def test_every_number_in_the_pdf_is_a_figure_of_the_measures_table(bundled_reports, con, quarter):
    files = bundled_reports[quarter]
    names = [name for (name,) in con.execute("SELECT name FROM area WHERE level IN ('force', 'bcu')").fetchall()]
    text = pdf_text(files.pdf)
    unexplained = unexplained_numbers(text, allowed_figures(con, files.quarter), catalogue_text() + names)
    assert unexplained == [], f"numbers in the PDF that are not figures of the quarter: {unexplained[:20]}"


@pytest.fixture(scope="module")
def allowed_2018_19_q2(con) -> set[str]:
    return allowed_figures(con, Quarter(dt.date(2018, 9, 30)))


def test_the_check_catches_a_number_that_is_not_in_the_table(allowed_2018_19_q2):
    allowed = allowed_2018_19_q2
    assert unexplained_numbers("Total recorded crime: 123,456,789 in 2018-19 Q2", allowed, []) == ["123,456,789"]


def test_the_check_finds_a_phrase_whatever_the_line_breaks_did_to_it(allowed_2018_19_q2):
    allowed = allowed_2018_19_q2
    caveat = ("Old MPS categories (files for 2008-2018). Violence with injury is taken as "
              "'Assault with Injury' plus 'Wounding/GBH'.")
    broken = ("Old MPS categories (files for 2008-2018). Violence with injury is taken as "
              "'Assault with Injury' plus 'Wounding/ GBH'.")
    two_lines = ("Old MPS categories (files for 2008- 2018). Violence with\n"
                 "injury is taken as 'Assault with Injury' plus 'Wounding/GBH'.")
    for printed in (caveat, broken, two_lines):
        assert unexplained_numbers(f"Caveats: {printed} Page 3 of 9", allowed, [caveat]) == []
    # A number beside the phrase, or the phrase's own numbers printed elsewhere, are still caught.
    assert unexplained_numbers(f"{broken} 987,654 records", allowed, [caveat]) == ["987,654"]
    assert unexplained_numbers(f"{broken} Files for 2008-2018.", allowed, [caveat]) == ["2008", "-2018"]


def test_the_check_catches_a_number_slipped_into_a_real_pdf(bundled_reports, con, allowed_2018_19_q2, tmp_path):
    files = bundled_reports["2018-19-Q2"]
    names = [name for (name,) in con.execute("SELECT name FROM area WHERE level IN ('force', 'bcu')").fetchall()]
    page = files.html.read_text(encoding="utf-8")
    assert page.count("<h3>What did not change significantly</h3>") == 1
    page = page.replace("<h3>What did not change significantly</h3>",
                        "<p>Repeat victims: 4,321 in the quarter.</p><h3>What did not change significantly</h3>")
    tampered = tmp_path / "tampered.pdf"
    write_pdf(page, tampered)
    assert unexplained_numbers(pdf_text(tampered), allowed_2018_19_q2, catalogue_text() + names) == ["4,321"]


def test_each_measures_quarter_figure_is_printed_with_its_verdict(bundled_reports, con):
    files = bundled_reports["2018-19-Q2"]
    text = pdf_text(files.pdf)
    checked = 0
    for m in load_catalogue().values():
        kind = "fy_quarter" if "fy_quarter" in m.periods else "rolling_12" if "rolling_12" in m.periods else None
        if kind is None or m.is_derived or "force" not in m.levels:
            continue
        frame = measure_values(con, m.id, level="force", period_type=kind, public=True)
        frame = frame[(frame["period_end"].dt.date == files.quarter.end) & (frame["area_code"] == "metropolitan")]
        if frame.empty or frame.iloc[0]["suppressed"]:
            continue
        row = frame.iloc[0]
        value = format_value(m.unit, row["value"])
        sentence = re.escape(f"{m.title}: {value} in ")
        verdict = row["vs_year_before"]
        assert re.search(sentence + r"[^.]*?" + re.escape(verdict if isinstance(verdict, str) else "no comparison"),
                         text), f"{m.id}: {value} with '{verdict}' not found in the summary"
        checked += 1
    assert checked >= 15


def test_rate_ratios_by_group_and_by_bcu_are_printed_as_in_the_table(bundled_reports, con):
    files = bundled_reports["2018-19-Q2"]
    text = pdf_text(files.pdf)
    frame = measure_values(con, "stop_search_rate_ratio", period=files.quarter.key, breakdown=None, public=True)
    force = frame[frame["area_level"] == "force"]
    assert len(force) == 4
    for row in force.itertuples():
        interval = format_interval("ratio", row.interval_low, row.interval_high)
        assert f"{format_value('ratio', row.value)} {interval}" in text
    bcu = frame[(frame["area_level"] == "bcu") & (frame["breakdown"] == "self_defined_group=Black")]
    for row in bcu.itertuples():
        shown = "not published" if row.suppressed else format_value("ratio", row.value)
        assert shown in text


def test_change_is_named_only_where_a_test_says_so(bundled_reports):
    for files in bundled_reports.values():
        text = pdf_text(files.pdf)
        for phrase in catalogue_text():
            text = text.replace(phrase, " ")
        text = text.replace("A change is called an increase or a decrease only when", " ")
        for match in re.finditer(r"\b(increase|decrease|fall|rise|rose|fell|improved|worsened)\b", text):
            before = text[max(0, match.start() - 12):match.start()]
            assert before.lower().endswith("significant "), (
                f"{files.quarter.label}: '...{text[match.start() - 60:match.end() + 20]}...'"
            )


def test_suppressed_figures_are_named_not_shown(bundled_reports, con):
    files = bundled_reports["2018-19-Q2"]
    text = pdf_text(files.pdf)
    month = measure_values(con, "homicides", level="force", period_type="month", public=True)
    hidden = month[month["period_end"].dt.date.isin(files.quarter.months) & month["suppressed"]]
    assert not hidden.empty
    assert f"not published (fewer than {SUPPRESS_BELOW} records)" in text


# outputs: tagged, accessible PDF

@pytest.mark.parametrize("quarter", ["2018-19-Q2", "2022-23-Q2"])
def test_pdf_has_a_tag_tree_with_headings_figures_and_tables(bundled_reports, quarter):
    files = bundled_reports[quarter]
    roles = structure(files.pdf)
    kinds = [role for role, _ in roles]
    assert kinds[0] == "Document"
    assert kinds.count("H1") == 1
    assert kinds.count("H2") >= 9  # contents, summary, priorities, stop and search, awaiting, health, methods
    assert kinds.index("H1") < kinds.index("H2")
    figures = [alt for role, alt in roles if role == "Figure"]
    assert len(figures) == files.charts
    assert all(alt and len(alt) > 40 for alt in figures)
    assert kinds.count("Table") >= 5 and "TH" in kinds and "TD" in kinds
    reader = pypdf.PdfReader(files.pdf)
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "en-GB"
    assert root["/MarkInfo"]["/Marked"] in (True, "true", pypdf.generic.BooleanObject(True))
    assert b"pdfuaid" in root["/Metadata"].get_object().get_data()
    assert reader.metadata.title.startswith(
        "Metropolitan Police Service: performance against the Police and Crime Plan"
    )


# outputs: the same PDF on any machine

def test_the_pdf_embeds_only_the_reports_own_fonts(bundled_reports):
    """The text and the charts are set in the fonts shipped with the package, not the machine's."""
    for files in bundled_reports.values():
        assert embedded_fonts(files.pdf) <= {face.pdf_name for face in REPORT_FONTS}, files.pdf.name
    assert {"Report-Sans", "Report-Sans-Bold"} <= embedded_fonts(bundled_reports["2018-19-Q2"].pdf)


def test_the_report_fonts_have_every_character_the_report_prints(bundled_reports):
    """A character missing from the shipped fonts would be drawn from whatever font the machine has."""
    printed: set[str] = set()
    for files in bundled_reports.values():
        page = files.html.read_text(encoding="utf-8")
        page = re.sub(r"<style>.*?</style>|data:[^\"]+", " ", page, flags=re.S)
        printed |= set(html_lib.unescape(re.sub(r"<[^>]+>", " ", page)))
    printed -= set("\n\t")
    for face in REPORT_FONTS:
        covered = {chr(code) for code in TTFont(face.path).getBestCmap()}
        assert printed - covered == set(), f"{face.path.name} lacks {sorted(printed - covered)}"


def test_the_pdf_is_laid_out_the_same_on_a_machine_with_other_fonts(bundled_reports, tmp_path):
    """Render the same HTML where the only font Fontconfig knows is a monospace one (so any text
    falling back to the machine's fonts would be set differently): every line of every page is the same."""
    files = bundled_reports["2018-19-Q2"]
    fonts = tmp_path / "fonts"
    fonts.mkdir()
    mono = next(face for face in REPORT_FONTS if face.family == "Report Mono")
    (fonts / "machine.ttf").write_bytes(mono.path.read_bytes())
    config = tmp_path / "fonts.conf"
    config.write_text('<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">'
                      f"<fontconfig><dir>{fonts}</dir><cachedir>{tmp_path / 'cache'}</cachedir></fontconfig>")
    elsewhere = tmp_path / "elsewhere.pdf"
    script = ("import sys, pathlib; from oversight.report.render import write_pdf; "
              "write_pdf(pathlib.Path(sys.argv[1]).read_text(encoding='utf-8'), pathlib.Path(sys.argv[2]))")
    env = {**os.environ, "FONTCONFIG_FILE": str(config), "PYTHONPATH": os.pathsep.join(sys.path)}
    subprocess.run([sys.executable, "-W", "ignore", "-c", script, str(files.html), str(elsewhere)],
                   env=env, check=True, timeout=300)
    here, there = page_texts(files.pdf), page_texts(elsewhere)
    assert len(there) == len(here)
    for number, (mine, theirs) in enumerate(zip(here, there, strict=True), start=1):
        assert theirs.splitlines() == mine.splitlines(), f"page {number} is laid out differently"
    assert embedded_fonts(elsewhere) == embedded_fonts(files.pdf)


def test_alt_text_says_what_each_chart_shows(bundled_reports, con):
    files = bundled_reports["2018-19-Q2"]
    alts = [alt for role, alt in structure(files.pdf) if role == "Figure"]
    crime = next(a for a in alts if a.startswith("SPC chart of Total recorded crime"))
    july = measure_values(con, "total_recorded_crime", level="force", period="2018-07", public=True).iloc[0]
    assert f"July 2018 {format_value('count', july['value'])}" in crime
    assert "with the process mean and limits" in crime
    trust = next(a for a in alts if a.startswith("Line chart of Trust in the MPS"))
    assert "with 95% intervals" in trust and "Lowest" in trust and "highest" in trust
    ratios = next(a for a in alts if a.startswith("Bar chart of Stop and search disproportionality"))
    assert "Dashed line: 1 = the same rate as White residents." in ratios


def test_html_and_pdf_carry_the_same_alt_texts(bundled_reports):
    files = bundled_reports["2018-19-Q2"]
    page = files.html.read_text(encoding="utf-8")
    html_alts = [html_lib.unescape(a)
                 for a in re.findall(r'<img src="data:image/svg\+xml;base64,[^"]+" alt="([^"]*)"', page)]
    pdf_alts = [alt for role, alt in structure(files.pdf) if role == "Figure"]
    assert html_alts == pdf_alts
    assert '<html lang="en-GB">' in page and "<h1>" in page


# outputs: the full shared data set

@needs_shared
@pytest.mark.slow
@pytest.mark.parametrize("quarter", ["2022-23-Q2", "2024-25-Q4", "2016-17-Q2"])
def test_report_from_the_shared_data_prints_only_figures_of_the_table(shared_built, tmp_path, quarter):
    files = build_report(shared_built, quarter, tmp_path)
    assert files.warnings == [] and files.pages >= 5
    con = duckdb.connect(str(shared_built), read_only=True)
    try:
        names = [name for (name,) in con.execute("SELECT name FROM area WHERE level IN ('force', 'bcu')").fetchall()]
        unexplained = unexplained_numbers(pdf_text(files.pdf), allowed_figures(con, files.quarter),
                                          catalogue_text() + names)
    finally:
        con.close()
    assert unexplained == []
    assert sum(role == "Figure" for role, _ in structure(files.pdf)) == files.charts
