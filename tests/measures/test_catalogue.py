"""The catalogue: every bundled definition is valid, and each rule gives a clear error."""

from __future__ import annotations

import pytest

from oversight.errors import CatalogueError
from oversight.measures.catalogue import load_catalogue, load_measure

VALID = """
id = "thing"
title = "A thing"
description = "What it counts."
priority = "Increasing trust and confidence"
outcome = "Testing"
source = "tests"
unit = "count"
polarity = "neutral"
computation = "records"
periods = ["month"]
levels = ["force"]
sql = "SELECT 1"
"""


def _write(tmp_path, text: str, name: str = "thing"):
    path = tmp_path / f"{name}.toml"
    path.write_text(text)
    return path


def test_bundled_catalogue_loads():
    catalogue = load_catalogue()
    assert len(catalogue) >= 6
    assert all(m.path.stem == m.id for m in catalogue.values())


def test_valid_definition_loads(tmp_path):
    measure = load_measure(_write(tmp_path, VALID))
    assert (measure.id, measure.unit, measure.periods) == ("thing", "count", ("month",))


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        (('polarity = "neutral"', ""), "polarity", "required field missing"),
        (('unit = "count"', 'unit = "dozens"'), "unit", "'dozens' is not one of"),
        (('periods = ["month"]', 'periods = ["week"]'), "periods", "'week' is not one of"),
        (('levels = ["force"]', 'levels = ["force", "force"]'), "levels", "lists a value twice"),
        (('sql = "SELECT 1"', ""), "sql", "needs the sql"),
        (('computation = "records"', 'computation = "partner"'), "sql", "partner measures read"),
        (('id = "thing"', 'id = "other"'), "id", "must equal the file name"),
        (('title = "A thing"', 'title = "A thing"\ncolour = "red"'), "colour", "unknown field"),
        (('unit = "count"', 'unit = "rate_per_1000"'), "population", "needs the population scheme"),
        (('sql = "SELECT 1"', 'sql = "SELECT 1"\nseries_breaks = ["2024-3"]\nseries_break_reason = "x"'),
         "series_breaks", "not a YYYY-MM month"),
        (('sql = "SELECT 1"',
          'sql = "SELECT 1"\n[target]\nchange = -20\nbaseline = "2011-12"\nby = "2015-16"\ndescription = "x"'),
         "target", "fraction between -1 and 1"),
    ],
)
def test_each_rule_names_file_field_and_reason(tmp_path, change, field, reason):
    old, new = change
    path = _write(tmp_path, VALID.replace(old, new))
    with pytest.raises(CatalogueError) as caught:
        load_measure(path)
    assert caught.value.field == field
    assert reason in caught.value.reason
    assert str(caught.value).startswith(str(path))


def test_bad_toml_is_a_catalogue_error(tmp_path):
    with pytest.raises(CatalogueError, match="not valid TOML"):
        load_measure(_write(tmp_path, "id = "))


def test_empty_folder_is_an_error(tmp_path):
    with pytest.raises(CatalogueError, match="no measure definitions"):
        load_catalogue(tmp_path)


def test_derived_measures_are_checked_against_their_base(tmp_path):
    base = VALID.replace('periods = ["month"]', 'periods = ["month"]\nbreakdowns = ["grp"]')
    _write(tmp_path, base)
    derived = VALID.replace('id = "thing"', 'id = "gap"')
    derived = derived.replace('computation = "records"', 'computation = "difference"')
    derived = derived.replace('sql = "SELECT 1"', 'of = "thing"\nreference = "grp=White"')
    _write(tmp_path, derived, "gap")
    with pytest.raises(CatalogueError, match="computed from a proportion measure; thing is a count") as caught:
        load_catalogue(tmp_path)
    assert caught.value.field == "of"
    _write(tmp_path, derived.replace('grp=White', 'colour=White'), "gap")
    with pytest.raises(CatalogueError, match="must be '<breakdown>=<value>'"):
        load_catalogue(tmp_path)
    _write(tmp_path, derived.replace('of = "thing"', 'of = "nothing"'), "gap")
    with pytest.raises(CatalogueError, match="'of' names no measure"):
        load_catalogue(tmp_path)
