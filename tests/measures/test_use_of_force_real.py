"""Use-of-force and Taser rates per 1,000 residents and rate ratios to White, for the Met, England
and Wales and other forces, 2018-19 and 2019-20, against an independent computation from the raw
files (Home Office use of force statistics and ONS Census 2021, OGL v3.0).

Independent means: the tactics and Taser uses are read from the Home Office CSVs with the csv
module (not through the loader), a group taken from the column's first word ('Black (or Black
British)' -> Black; 'Chinese' -> Asian, as the census places it); the residents are summed from the
raw Census 2021 files, each column given its group by its own first word ('Asian, Asian British or
Asian Welsh: Chinese' -> Asian): the Met from the London LSOA file without the City of London, every
other force from the local-authority file through the ONS lookups and mappings/police_force_areas.csv.
England and Wales is the published 'Total England and Wales' row over the residents of all 43 forces.
The engine only builds the figures being checked.
"""

from __future__ import annotations

import csv
import math
import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from conftest import SHARED, needs_shared
from scipy.stats import chi2

from oversight.measures.catalogue import load_catalogue
from oversight.measures.engine import build
from oversight.sources.reference import geography, ingest_reference
from oversight.warehouse import connect

pytestmark = needs_shared  # about 20 s

UOF = SHARED / "mps" / "use_of_force_home_office"
NATIONAL = SHARED / "national"
MAPPINGS = Path(__file__).resolve().parents[2] / "src" / "oversight" / "sources" / "reference" / "mappings"
YEARS = {"2018-19": ("april2018-march2019", "2019-03-31"), "2019-20": ("april2019-march2020", "2020-03-31")}
GROUPS = ("Asian", "Black", "Mixed", "Other", "White")
Z95 = 1.959963984540054
EW = "K04000001"
MEASURES = ("use_of_force_rate", "use_of_force_rate_ratio", "taser_use_rate", "taser_use_rate_ratio",
            "use_of_force_by_type", "taser_use_by_type", "use_of_force_incidents_rate")


def _group(column: str) -> str | None:
    """The census / Home Office group a column counts, from its first word; None for totals and unknowns."""
    word = re.match(r"[A-Za-z]+", column.strip())
    first = word.group(0) if word else ""
    if first == "Chinese":
        return "Asian"
    return first if first in GROUPS else None


def _force_ids() -> dict[str, str]:
    """Home Office force name -> police.uk force id (the committed mapping the loader also reads;
    the counts themselves never pass through the loader)."""
    with open(MAPPINGS / "home_office_forces.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return {r["published_name"].strip(): r["force"] for r in rows if r["kind"] == "force"}


def _tactics() -> dict[tuple[str, str], Counter[str]]:
    """(year, force name) -> group (and 'all') -> tactics, from the '*Total Tactics' rows."""
    out: dict[tuple[str, str], Counter[str]] = {}
    for year, (stem, _) in YEARS.items():
        with open(UOF / f"by-ethnicity-force__{stem}.csv", encoding="utf-8-sig") as fh:
            for row in csv.DictReader(fh):
                if row["Tactic"].strip() != "*Total Tactics":
                    continue
                counts: Counter[str] = Counter()
                for column, value in row.items():
                    if column == "Number of times tactic reported":
                        counts["all"] += int(float(value))
                    elif _group(column) and value.strip():
                        counts[_group(column)] += int(float(value))  # type: ignore[index]
                out[(year, row["Police Force"].strip())] = counts
    return out


def _tasers() -> dict[tuple[str, str], Counter[str]]:
    """(year, force name) -> group (and 'all', every row including not reported) -> Taser uses."""
    ends = {end: year for year, (_, end) in YEARS.items()}
    out: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    with open(UOF / "taser_use_by_ethnicity_force.csv", encoding="utf-8-sig") as fh:
        for row in csv.DictReader(fh):
            if not row["value"].strip():
                continue
            key = (ends[row["ytd"]], row["Police Force"].strip())
            n = int(float(row["value"]))
            out[key]["all"] += n
            if _group(row["variable"]):
                out[key][_group(row["variable"])] += n  # type: ignore[index]
    return out


def _residents() -> dict[str, Counter[str]]:
    """police.uk force id -> group (and 'all') -> Census 2021 usual residents."""
    residents: dict[str, Counter[str]] = defaultdict(Counter)
    with open(SHARED / "population" / "census2021_ethnic_group_London_LSOA2021.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["local authority code"] == "E09000001":  # the City of London Police's area
                continue
            for column, value in row.items():
                if column == "All usual residents":
                    residents["metropolitan"]["all"] += int(value)
                elif _group(column):
                    residents["metropolitan"][_group(column)] += int(value)  # type: ignore[index]
    with open(MAPPINGS / "police_force_areas.csv", encoding="utf-8") as fh:
        force_of_pfa = {r["pfa_code"]: r["force"] for r in csv.DictReader(fh) if r["pfa_code"]}
    with open(NATIONAL / "lookups" / "geographr_lookup_ltla22_ltla23.csv", encoding="utf-8") as fh:
        successor = {r["ltla22_code"]: r["ltla23_code"] for r in csv.DictReader(fh)}
    with open(NATIONAL / "lookups" / "geographr_lookup_ltla24_csp24_pfa24.csv", encoding="utf-8") as fh:
        pfa = {r["ltla24_code"]: r["pfa24_code"] for r in csv.DictReader(fh)}
    census = NATIONAL / "census2021" / "census2021_ts021_ethnic_group_19cat_ltla21_EW.csv"
    with open(census, encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            force = force_of_pfa[pfa[successor.get(row["ltla21_code"], row["ltla21_code"])]]
            if force == "metropolitan":
                continue
            for column, value in row.items():
                if column == "total_all_usual_residents":
                    residents[force]["all"] += int(value)
                elif _group(column):
                    residents[force][_group(column)] += int(value)  # type: ignore[index]
    return residents


def _poisson(k: int) -> tuple[float, float]:
    """Exact (Garwood) 95% limits of a Poisson count."""
    low = 0.0 if k == 0 else chi2.ppf(0.025, 2 * k) / 2
    return low, chi2.ppf(0.975, 2 * k + 2) / 2


def _expected(counts: Counter[str], people: Counter[str]) -> dict[str, tuple[float, ...]]:
    """'rate:<group>' -> (rate, low, high) per 1,000; 'ratio:<group>' -> (ratio, low, high), log method."""
    out: dict[str, tuple[float, ...]] = {}
    for group in ("all", *GROUPS):
        n, d = counts[group], people[group]
        low, high = _poisson(n)
        out[f"rate:{group}"] = (n * 1000 / d, low * 1000 / d, high * 1000 / d)
    white = counts["White"] / people["White"]
    for group in GROUPS:
        if group == "White":
            continue
        ratio = (counts[group] / people[group]) / white
        half = Z95 * math.sqrt(1 / counts[group] + 1 / counts["White"])
        out[f"ratio:{group}"] = (ratio, ratio * math.exp(-half), ratio * math.exp(half))
    return out


@pytest.fixture(scope="module")
def engine(tmp_path_factory) -> dict[tuple[str, str, str, str], tuple[float, float, float]]:
    con = connect(tmp_path_factory.mktemp("use_of_force") / "warehouse.duckdb")
    names = [d.name for d in geography.DATASETS] + [
        "population-ethnicity", "population-ethnicity-la", "ho-use-of-force-ethnicity", "ho-taser-by-type",
        "ho-taser-by-ethnicity", "ho-use-of-force-incidents"]
    assert not ingest_reference(con, [SHARED], only=names).failed
    catalogue = load_catalogue()
    report = build(con, {k: catalogue[k] for k in MEASURES})
    assert not report.failed, report.failed
    rows = con.execute(
        """SELECT measure, strftime(period_end, '%Y-%m-%d'), area_code, breakdown, value, interval_low, interval_high
           FROM measure_value WHERE period_type = 'financial_year'"""
    ).fetchall()
    con.close()
    return {(m, end, area, b): (v, lo, hi) for m, end, area, b, v, lo, hi in rows}


def _check(engine, measure: str, end: str, area: str, expected: dict[str, tuple[float, ...]]) -> int:
    checked = 0
    for key, (value, low, high) in expected.items():
        kind, group = key.split(":")
        if (kind == "ratio") != measure.endswith("_ratio"):
            continue
        breakdown = "all" if group == "all" else f"subject_group={group}"
        got = engine[(measure, end, area, breakdown)]
        assert got == (pytest.approx(value, rel=1e-9), pytest.approx(low, rel=1e-6), pytest.approx(high, rel=1e-6)), \
            (measure, end, area, breakdown)
        checked += 1
    return checked


@pytest.mark.parametrize("year", sorted(YEARS))
def test_use_of_force_rates_and_ratios_agree_with_the_raw_files(engine, year):
    tactics, residents, ids = _tactics(), _residents(), _force_ids()
    end = YEARS[year][1]
    forces = {ids[name] for (y, name) in tactics if y == year and name != "Total England and Wales"}
    assert len(forces) == 43
    every = Counter[str]()
    for force in forces:
        every.update(residents[force])
    checked = 0
    for name, area, people in (("Metropolitan", "metropolitan", residents["metropolitan"]),
                               ("West Midlands", "west-midlands", residents["west-midlands"]),
                               ("Total England and Wales", EW, every)):
        expected = _expected(tactics[(year, name)], people)
        for measure in ("use_of_force_rate", "use_of_force_rate_ratio"):
            checked += _check(engine, measure, end, area, expected)
    assert checked == 3 * (6 + 4)


@pytest.mark.parametrize("year", sorted(YEARS))
def test_taser_rates_and_ratios_agree_with_the_raw_files(engine, year):
    """A force whose uses are all zero (five forces in 2018-19, whose Taser uses the tables by type
    count in hundreds) is left out; England and Wales by group counts only forces that recorded an
    ethnic group for their uses, in the count and in the residents; its total keeps every other force."""
    tasers, residents, ids = _tasers(), _residents(), _force_ids()
    end = YEARS[year][1]
    reporting, every, counts = Counter[str](), Counter[str](), Counter[str]()
    for (y, name), c in tasers.items():
        if y != year or c["all"] == 0:
            continue
        force = ids[name]
        every["all"] += residents[force]["all"]
        counts["all"] += c["all"]
        if any(c[g] for g in GROUPS):
            reporting.update({g: residents[force][g] for g in GROUPS})
            counts.update({g: c[g] for g in GROUPS})
    assert sum(1 for (y, _) in tasers if y == year) == 43
    people = Counter({**reporting, "all": every["all"]})
    checked = _check(engine, "taser_use_rate", end, EW, _expected(counts, people))
    checked += _check(engine, "taser_use_rate_ratio", end, EW, _expected(counts, people))
    met = _expected(tasers[(year, "Metropolitan")], residents["metropolitan"])
    checked += _check(engine, "taser_use_rate", end, "metropolitan", met)
    checked += _check(engine, "taser_use_rate_ratio", end, "metropolitan", met)
    assert checked == 2 * (6 + 4)


def test_forces_without_taser_figures_by_ethnicity_get_none(engine):
    """2019-20: Warwickshire and West Mercia recorded no ethnic group (a total, no groups); 2018-19:
    five forces show zero uses in every group, which is no figure at all, never a rate of 0."""
    for force in ("warwickshire", "west-mercia"):
        assert ("taser_use_rate", "2020-03-31", force, "all") in engine
        assert not any(k[:3] == ("taser_use_rate", "2020-03-31", force) and k[3].startswith("subject_group=White")
                       for k in engine)
    for force in ("norfolk", "staffordshire", "suffolk", "warwickshire", "west-mercia"):
        assert not any(k[0].startswith("taser_use_rate") and k[1:3] == ("2019-03-31", force) for k in engine)
        assert engine[("taser_use_by_type", "2019-03-31", force, "all")][0] > 100


def test_types_are_the_published_rows_and_sum_to_the_total(engine):
    """Tactics by type sum to '*Total Tactics'; Taser uses by how used sum to the published total,
    for the Met and England and Wales (the published national row, not a sum of forces and regions)."""
    for end in ("2019-03-31", "2020-03-31"):
        for area in ("metropolitan", EW):
            parts = [v for (m, e, a, b), (v, _, _) in engine.items()
                     if m == "use_of_force_by_type" and e == end and a == area and b != "all"]
            assert len(parts) == 6
            assert sum(parts) == engine[("use_of_force_by_type", end, area, "all")][0]
    with open(UOF / "by-ced-type-force-region__april2019-march2020.csv", encoding="utf-8-sig") as fh:
        published = {r["Police force"].strip(): r for r in csv.DictReader(fh)}
    for name, area in (("Metropolitan", "metropolitan"), ("*Total England and Wales", EW)):
        row = published[name]
        for how in ("Drawn", "Aimed", "Red-dot", "Arced", "Drive stun", "Fired", "Angled drive stun", "Not stated"):
            assert engine[("taser_use_by_type", "2020-03-31", area, f"taser_use={how}")][0] == float(row[how])
        assert engine[("taser_use_by_type", "2020-03-31", area, "all")][0] == float(row["Total"])


@pytest.mark.parametrize("stem,end", [("april2017-march2018", "2018-03-31"), ("april2018-march2019", "2019-03-31"),
                                      ("april2019-march2020", "2020-03-31")])
def test_incident_rates_agree_with_the_raw_files(engine, stem, end):
    """Incidents per 1,000 residents: the Met's row and the published England and Wales row (not a
    sum of the force and region rows the file also holds)."""
    with open(UOF / f"incidents__{stem}.csv", encoding="utf-8-sig") as fh:
        rows = {r["Police Force"].strip(): int(float(r["Total"])) for r in csv.DictReader(fh)}
    residents, ids = _residents(), _force_ids()
    forces = {ids[name] for name in rows if name in ids}
    assert len(forces) == 43
    everyone = sum(residents[f]["all"] for f in forces)
    for name, area, people in (("Metropolitan", "metropolitan", residents["metropolitan"]["all"]),
                               ("Total England and Wales", EW, everyone)):
        n = rows[name]
        low, high = _poisson(n)
        got = engine[("use_of_force_incidents_rate", end, area, "all")]
        assert got == (pytest.approx(n * 1000 / people, rel=1e-9), pytest.approx(low * 1000 / people, rel=1e-6),
                       pytest.approx(high * 1000 / people, rel=1e-6)), (end, area)
    regions = sum(v for k, v in rows.items() if k.startswith("Total ") and k != "Total England and Wales")
    assert regions == rows["Total England and Wales"]  # the file's regions also add up to the national row
