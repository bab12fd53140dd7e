"""The community monitoring pack: what it shows for a real borough and month of the bundled data,
checked against independent queries of the warehouse; its errors; the tagged PDF; the questions file."""

from __future__ import annotations

import re

import duckdb
import pypdf
import pytest
from pack.conftest import BOROUGH, CODE, MONTH
from report.test_report_pdf import pdf_text, structure
from typer.testing import CliRunner

from oversight.cli import app
from oversight.errors import OversightError
from oversight.pack import PackNotFound, QuestionsError, pack_data, read_questions
from oversight.pack.data import HEADLINE, RATIO, VOLUME
from oversight.present.words import format_value, value_text

runner = CliRunner()


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def raw(con: duckdb.DuckDBPyConnection, sql: str, *params: object) -> list[tuple]:  # type: ignore[type-arg]
    return con.execute(sql, list(params)).fetchall()


# what the pack shows, against the warehouse read independently

def test_the_months_searches_are_the_records_placed_in_the_borough(bundled_built):
    """913 searches in Lambeth in December 2018: counted from the loaded records and their places,
    not from the measures table."""
    con = duckdb.connect(str(bundled_built), read_only=True)
    try:
        pack = pack_data(con, BOROUGH, MONTH)
        (count,), = raw(con, """SELECT count(*) FROM stop_search s JOIN stop_search_place p
                                 ON p.source_file = s.source_file AND p.source_line = s.source_line
                                 WHERE p.status = 'located' AND p.borough_code = ? AND s.month = DATE '2018-12-01'""",
                        CODE)
        (year,), = raw(con, """SELECT count(*) FROM stop_search s JOIN stop_search_place p
                                ON p.source_file = s.source_file AND p.source_line = s.source_line
                                WHERE p.status = 'located' AND p.borough_code = ?
                                AND s.month BETWEEN DATE '2018-01-01' AND DATE '2018-12-01'""", CODE)
    finally:
        con.close()
    volume = pack.lines[0]
    assert volume.measure.id == VOLUME
    assert count == 913 and volume.month is not None and volume.month["value"] == count
    assert volume.year is not None and volume.year["value"] == year


def test_every_headline_figure_is_the_measures_tables_row(bundled_built, lambeth_pack):
    con = duckdb.connect(str(bundled_built), read_only=True)
    try:
        for line in lambeth_pack.pack.lines:
            for kind, row in (("month", line.month), ("rolling_12", line.year)):
                found = raw(con, """SELECT value, suppressed, vs_year_before FROM measure_value WHERE measure = ?
                                    AND area_level = 'borough' AND area_code = ? AND period_type = ?
                                    AND period_end = DATE '2018-12-31' AND breakdown = 'all'""",
                            line.measure.id, CODE, kind)
                if not found:
                    assert row is None, (line.measure.id, kind)
                    continue
                (value, suppressed, verdict), = found
                assert row is not None and row["suppressed"] == suppressed
                assert row["vs_year_before"] == verdict
                if not suppressed:
                    assert row["value"] == pytest.approx(value)
    finally:
        con.close()
    assert [line.measure.id for line in lambeth_pack.pack.lines] == list(HEADLINE)


def test_the_html_prints_each_figure_as_the_presentation_layer_words_it(lambeth_pack):
    html = lambeth_pack.html.read_text(encoding="utf-8")
    glance = text_of(html.split('<section id="glance">')[1].split("</table>")[0])
    for line in lambeth_pack.pack.lines:
        for row in (line.month, line.year):
            if row is not None:
                assert value_text(line.measure.unit, row).replace(" ", "\u00a0") in glance or \
                    value_text(line.measure.unit, row) in glance, line.measure.id
    assert "913" in glance and "9,315" in glance


def test_rate_ratios_by_group_are_the_measures_tables_rows(bundled_built, lambeth_pack):
    con = duckdb.connect(str(bundled_built), read_only=True)
    try:
        stored = dict(raw(con, """SELECT breakdown, value FROM measure_value WHERE measure = ?
                                  AND area_level = 'borough' AND area_code = ? AND period_type = 'rolling_12'
                                  AND period_end = DATE '2018-12-31'
                                  AND NOT suppressed""", RATIO, CODE))
    finally:
        con.close()
    shown = {g.breakdown: g.get(RATIO)["value"] for g in lambeth_pack.pack.groups if g.get(RATIO)}  # type: ignore[index]
    assert shown == pytest.approx(stored)
    assert shown["self_defined_group=Black"] == pytest.approx(5.46, abs=0.005)
    html = text_of(lambeth_pack.html.read_text(encoding="utf-8"))
    assert format_value("ratio", shown["self_defined_group=Black"]) == "5.46 times" and "5.46 times" in html


def test_grounds_and_legislation_are_the_volume_measures_breakdowns(lambeth_pack):
    pack = lambeth_pack.pack
    grounds = {g.label: g.get(VOLUME, "month") for g in pack.grounds}
    assert grounds["Controlled drugs"]["value"] == 522  # type: ignore[index]
    assert grounds["Offensive weapons"]["value"] == 229  # type: ignore[index]
    firearms = grounds["Firearms"]
    assert firearms is not None and firearms["suppressed"] and firearms["value"] is None  # 7 searches: not published
    laws = {g.label for g in pack.legislation}
    assert "Misuse of Drugs Act 1971 (section 23)" in laws
    html = text_of(lambeth_pack.html.read_text(encoding="utf-8"))
    assert "not published (fewer than 10 records)" in html


def test_flagged_figures_carry_their_note_and_unrecorded_fields_say_why(lambeth_pack):
    """The 12 months include February and March 2018, when few searches had coordinates: every
    12-month figure is marked and the note said; the Met left strip searches and the find rate's
    field blank, and the pack says so instead of an empty table."""
    html = text_of(lambeth_pack.html.read_text(encoding="utf-8"))
    assert "use with care" in html
    assert "Use with care: low coverage in 2 of its months (Feb 2018 to Mar 2018)." in html
    assert "No strip search figures for Lambeth in the 12 months to December 2018: not recorded: removal of more " \
           "than outer clothing is blank on every record (December 2018; so in 12 of the 12 months)." in html
    assert "No find rates for Lambeth" in html


def test_changes_are_only_the_stored_verdicts(lambeth_pack):
    """The bundled data start in January 2018, so nothing can be compared with a year before:
    the pack says so and claims no change."""
    pack = lambeth_pack.pack
    assert not pack.changes["significant"] and not pack.changes["none"]
    assert pack.changes["untested"]
    figures = text_of(lambeth_pack.html.read_text(encoding="utf-8").split('<section id="reading">')[0])
    assert "No figure changed significantly." in figures
    assert "No comparison with the same month a year before (no figure for it)" in figures
    assert "significant increase" not in figures.lower() and "significant decrease" not in figures.lower()


# errors

def test_an_unknown_borough_names_the_boroughs(bundled_built):
    con = duckdb.connect(str(bundled_built), read_only=True)
    try:
        with pytest.raises(PackNotFound, match="no borough 'Lambath' with stop and search figures; boroughs: "
                                               "Barking and Dagenham, Barnet") as caught:
            pack_data(con, "Lambath", MONTH)
        assert caught.value.field == "area"
        with pytest.raises(PackNotFound, match=r"no stop and search figures for Southwark in May 2019; months with "
                                               r"figures run from January 2018 to December 2018"):
            pack_data(con, "southwark", "2019-05")
        with pytest.raises(OversightError, match="is not a month; write it as YYYY-MM"):
            pack_data(con, "Lambeth", "2018-13")
        assert pack_data(con, "E09000022", MONTH).borough.name == "Lambeth"
        assert pack_data(con, "barking-and-dagenham", MONTH).borough.code == "E09000002"
    finally:
        con.close()


def test_the_cli_writes_html_and_pdf_and_fails_clearly(bundled_built, tmp_path, questions_file):
    result = runner.invoke(app, ["--warehouse", str(bundled_built), "pack", "stop-search", "--area", "Southwark",
                                 "--month", "2018-11", "--out", str(tmp_path), "--questions", str(questions_file)])
    assert result.exit_code == 0, result.output
    html = tmp_path / "oversight-pack-stop-search-southwark-2018-11.html"
    pdf = tmp_path / "oversight-pack-stop-search-southwark-2018-11.pdf"
    assert html.exists() and pdf.read_bytes().startswith(b"%PDF")
    assert "Pack for Southwark, November 2018:" in result.output
    assert "Why did searches in Peckham rise in December?" in html.read_text(encoding="utf-8")
    assert "Why did searches for offensive weapons" not in html.read_text(encoding="utf-8")  # Lambeth's
    failed = runner.invoke(app, ["--warehouse", str(bundled_built), "pack", "stop-search", "--area", "Atlantis",
                                 "--month", "2018-11", "--out", str(tmp_path)])
    assert failed.exit_code == 2
    assert "field 'area': no borough 'Atlantis'" in failed.output
    failed = runner.invoke(app, ["--warehouse", str(bundled_built), "pack", "stop-search", "--area", "Lambeth",
                                 "--month", "2017-12", "--out", str(tmp_path)])
    assert failed.exit_code == 2 and "no stop and search figures for Lambeth in December 2017" in failed.output


# the tagged PDF

def test_the_pdf_is_tagged_and_carries_the_explanations(lambeth_pack):
    roles = structure(lambeth_pack.pdf)
    kinds = [role for role, _ in roles]
    assert kinds[0] == "Document" and kinds.count("H1") == 1
    assert kinds.count("H2") >= 9  # contents, eight pages of the pack, notes
    assert kinds.count("Table") >= 8 and "TH" in kinds and "TD" in kinds
    figures = [alt for role, alt in roles if role == "Figure"]
    assert len(figures) == len(lambeth_pack.pack.charts) == 2
    assert all(alt and len(alt) > 40 for alt in figures)
    reader = pypdf.PdfReader(lambeth_pack.pdf)
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "en-GB"
    assert b"pdfuaid" in root["/Metadata"].get_object().get_data()
    assert reader.metadata.title == "Stop and search in Lambeth: community monitoring pack, December 2018"
    text = pdf_text(lambeth_pack.pdf)
    for words in ("How to read this pack", "95% interval", "Rate ratio", "No significant change",
                  "not proof that nothing changed", "Not published", "Use with care", "Object of search"):
        assert words in text, words
    assert lambeth_pack.pages == len(reader.pages) >= 10


# the questions file

def test_the_pack_lists_outstanding_questions_oldest_first(lambeth_pack):
    html = lambeth_pack.html.read_text(encoding="utf-8")
    questions = html.split('<section id="questions">')[1].split("</section>")[0]
    outstanding = questions.split("<h3>Outstanding</h3>")[1].split("<h3>Answered</h3>")[0]
    assert outstanding.index("section 60 authorisations") < outstanding.index("arrest rate lower")
    assert "Peckham" not in questions  # Southwark's
    assert "2 outstanding, 1 answered, 1 withdrawn" in text_of(questions)
    assert "Two operations, 10-23 September." in questions.split("<h3>Answered</h3>")[1]


def test_a_questions_file_that_breaks_the_format_lists_every_problem(tmp_path):
    path = tmp_path / "questions.csv"
    path.write_text(
        "borough,raised,question,answered,answer,status\n"
        "Lambeth,2018-13-01,Why?,,,outstanding\n"                    # row 2: no such date
        "Lambeth,2018-11-14,,,,outstanding\n"                        # row 3: no question
        "Lambeth,2018-11-14,Why?,,,answered\n"                       # row 4: answered without date or answer
        "Atlantis,2018-11-14,Why?,,,outstanding\n"                   # row 5: unknown borough
        "Lambeth,2018-11-14,Why?,2018-11-01,Because.,answered\n"     # row 6: answered before raised
        "Lambeth,2018-11-14,Why?,,,pending\n"                        # row 7: no such status
        "Lambeth,2018-11-14,Why, then?,,,outstanding\n"              # row 8: unquoted comma
        "\n"
        "Lambeth,2018-11-14,Why?,2018-12-01,Because.,outstanding\n",  # row 10: answer on an open question
        encoding="utf-8")
    with pytest.raises(QuestionsError) as caught:
        read_questions(path, lambda name: name.lower() == "lambeth")
    found = {(p.row, p.field): p.reason for p in caught.value.problems}
    assert all(p.path == str(path) for p in caught.value.problems)
    assert found[(2, "raised")] == "'2018-13-01' is not a date; write it as YYYY-MM-DD"
    assert found[(3, "question")] == "is empty"
    assert found[(4, "answered")] == "an answered question needs the date the answer was received"
    assert found[(4, "answer")] == "an answered question needs the answer received"
    assert found[(5, "borough")] == "'Atlantis' is not a borough with stop and search figures"
    assert found[(6, "answered")] == "2018-11-01 is before the question was raised (2018-11-14)"
    assert found[(7, "status")] == "'pending' is not one of outstanding, answered, withdrawn"
    assert found[(8, "row")].startswith("has 7 fields, not 6")
    assert found[(10, "status")] == "is outstanding but the row gives an answer; set it to answered"
    assert len(found) == 9
    assert str(caught.value).startswith(f"{path}: 9 problems in the questions file: {path}, row 2, field 'raised'")


def test_a_questions_file_with_the_wrong_header_is_refused(tmp_path):
    path = tmp_path / "questions.csv"
    path.write_text("borough,date,question\nLambeth,2018-11-14,Why?\n", encoding="utf-8")
    with pytest.raises(OversightError, match="row 1: the header must be borough,raised,question,answered,answer,"
                                             "status; found borough,date,question"):
        read_questions(path)
    with pytest.raises(OversightError, match="no such file"):
        read_questions(tmp_path / "missing.csv")
