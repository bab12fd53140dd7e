"""Counts taken straight from the raw national files, apart from the loaders and the engine, for
tests of national figures (ONS and police.uk, OGL v3.0).

Searches are counted from the CSVs inside the national police.uk archives with the csv module, by
the leading word of 'Self-defined ethnicity'; residents are summed from the raw Census 2021
local-authority file, each column given its group by the committed mapping
(mappings/census_ethnicity_to_police_groups.csv), each authority given its force through the ONS
lookups (2021 -> 2023 authority -> police force area) and mappings/police_force_areas.csv.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import zipfile
from collections import Counter, defaultdict

from conftest import NATIONAL_ARCHIVES as ARCHIVES
from conftest import REPO, SHARED

NATIONAL = SHARED / "national"
MAPPINGS = REPO / "src" / "oversight" / "sources" / "reference" / "mappings"


def raw_searches(months: list[str], forces: tuple[str, ...] | None = None) -> dict[str, Counter[str]]:
    """Force -> leading word of the self-defined ethnicity (Black, White, ...) -> searches in `months`
    (every force when `forces` is None)."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for month in months:
        with zipfile.ZipFile(ARCHIVES / f"{month}.zip") as archive:
            for member in archive.namelist():
                force = member.rsplit("/", 1)[-1][len(month) + 1:].removesuffix("-stop-and-search.csv")
                if forces is not None and force not in forces:
                    continue
                with archive.open(member) as raw:
                    for row in csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8-sig")):
                        # 'White - Irish', 'Black/African/Caribbean/Black British - African', ...
                        word = re.match(r"[A-Za-z]*", row["Self-defined ethnicity"] or "")
                        counts[force][word.group(0) if word else ""] += 1
    return counts


def raw_residents() -> dict[str, Counter[str]]:
    """Force -> self-defined group -> Census 2021 usual residents."""
    with open(MAPPINGS / "census_ethnicity_to_police_groups.csv", encoding="utf-8") as fh:
        group_of = {r["census_label"]: r["self_defined_group"]
                    for r in csv.DictReader(fh) if r["census_year"] == "2021"}
    with open(NATIONAL / "lookups" / "geographr_lookup_ltla22_ltla23.csv", encoding="utf-8") as fh:
        successor = {r["ltla22_code"]: r["ltla23_code"] for r in csv.DictReader(fh)}
    force_of = force_of_authority()
    residents: dict[str, Counter[str]] = defaultdict(Counter)
    census = NATIONAL / "census2021" / "census2021_ts021_ethnic_group_19cat_ltla21_EW.csv"
    with open(census, encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            force = force_of[successor.get(row["ltla21_code"], row["ltla21_code"])]
            for column, value in row.items():
                if column in group_of:
                    residents[force][group_of[column]] += int(value)
    return residents


def force_of_authority() -> dict[str, str]:
    """2024 local-authority code -> police.uk force id."""
    with open(MAPPINGS / "police_force_areas.csv", encoding="utf-8") as fh:
        force_of_pfa = {r["pfa_code"]: r["force"] for r in csv.DictReader(fh) if r["pfa_code"]}
    with open(NATIONAL / "lookups" / "geographr_lookup_ltla24_csp24_pfa24.csv", encoding="utf-8") as fh:
        return {r["ltla24_code"]: force_of_pfa[r["pfa24_code"]] for r in csv.DictReader(fh)}


def raw_force_areas_km2() -> dict[str, float]:
    """Force -> land area in km2, the sum of ONS's 'Area Sq Km' over its 2021 LSOAs."""
    force_of = force_of_authority()
    with gzip.open(SHARED / "geo" / "lookups" / "LSOA21_to_WD24_to_LAD24_best_fit_lookup_EW.csv.gz", "rt",
                   encoding="utf-8-sig") as fh:
        authority = {r["LSOA21CD"]: r["LAD24CD"] for r in csv.DictReader(fh)}
    area: Counter[str] = Counter()
    with gzip.open(SHARED / "population" / "ONS_LSOA2021_mid-year_population_and_density_2011-2022_EW.csv.gz",
                   "rt", encoding="utf-8-sig") as fh:
        for row in csv.DictReader(fh):
            area[force_of[authority[row["LSOA 2021 Code"]]]] += float(row["Area Sq Km"])
    return dict(area)
