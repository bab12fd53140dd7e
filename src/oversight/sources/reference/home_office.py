"""Home Office tables by police force: use of force by subject ethnicity, incidents, Taser (CED) use, officer numbers.

Counting rule (Home Office *Police use of force statistics*): every row counts **tactics**, one
for each tactic each officer used on each subject. One incident in which two officers handcuff
and ground-restrain one person is four tactics. They are not incidents, people or officers, and
a force total is the published '*Total Tactics' row, never a sum of every row: rows ending
'of which' and '*Total <type>' rows are sums of rows below them (`is_subtotal`).

Force names are mapped to police.uk force ids with `mappings/home_office_forces.csv`; regions,
England and Wales totals and 'Central Service Secondments' are kept with `force` NULL and their
`area_kind`. A name in none of these is quarantined.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd

from oversight.errors import SourceError
from oversight.sources.reference._common import ForceName, force_candidates, normalise_name, read_csv, resolve_force
from oversight.sources.reference._reconcile import latest_run_wins
from oversight.sources.reference._wide import melt_counts
from oversight.sources.reference.dataset import Dataset, Parsed, Rejected
from oversight.warehouse.connection import transaction

USE_OF_FORCE_DDL = """
CREATE TABLE IF NOT EXISTS use_of_force (
    financial_year  VARCHAR NOT NULL,   -- '2019-20' = April 2019 to March 2020
    period_end      DATE NOT NULL,
    force           VARCHAR,            -- police.uk force id; NULL for the England and Wales total
    force_name      VARCHAR NOT NULL,   -- as published
    area_kind       VARCHAR NOT NULL,   -- 'force' | 'region' | 'national' | 'other'
    breakdown       VARCHAR NOT NULL,   -- 'ethnicity' (of the subject, as the officer reported it)
    category        VARCHAR NOT NULL,   -- group as published; 'Total' = 'Number of times tactic reported'
    type_of_force   VARCHAR NOT NULL,   -- as published, e.g. 'Restraint'
    tactic          VARCHAR NOT NULL,   -- as published, e.g. 'Handcuffing, of which', '*Total Tactics'
    is_subtotal     BOOLEAN NOT NULL,   -- TRUE: the sum of other rows of the same force and category
    count           BIGINT,             -- tactics used; NULL where the force did not provide the figure
    source_file     VARCHAR NOT NULL,
    source_line     BIGINT NOT NULL
);
"""

TASER_DDL = """
CREATE TABLE IF NOT EXISTS taser_use (
    period          VARCHAR NOT NULL,   -- '2019-20' (financial year), '2016' (calendar year), '2017-01 to 2017-03'
    period_start    DATE NOT NULL,
    period_end      DATE NOT NULL,
    force           VARCHAR,
    force_name      VARCHAR NOT NULL,
    area_kind       VARCHAR NOT NULL,
    breakdown       VARCHAR NOT NULL,   -- 'ced_type' (how it was used) | 'ethnicity' (of the subject)
    category        VARCHAR NOT NULL,   -- 'Drawn', 'Fired', 'Total', ... or an ethnic group, as published
    is_subtotal     BOOLEAN NOT NULL,   -- 'Total', 'Total non-discharge', 'Total discharge'
    count           BIGINT,             -- times a CED was used; NULL where not published
    source_file     VARCHAR NOT NULL,
    source_line     BIGINT NOT NULL
);
"""

INCIDENT_DDL = """
CREATE TABLE IF NOT EXISTS use_of_force_incident (
    financial_year  VARCHAR NOT NULL,   -- '2019-20'
    period_start    DATE NOT NULL,
    period_end      DATE NOT NULL,
    force           VARCHAR,            -- police.uk force id; NULL for regions and England and Wales
    force_name      VARCHAR NOT NULL,
    area_kind       VARCHAR NOT NULL,   -- 'force' | 'region' | 'national'
    incidents       BIGINT,             -- incidents in which force was used; NULL where not published
    source_file     VARCHAR NOT NULL,
    source_line     BIGINT NOT NULL
);
"""

WORKFORCE_PUBLISHED_DDL = """
CREATE TABLE IF NOT EXISTS police_workforce_published (
    date            DATE NOT NULL,      -- the as-at date (31 March or 30 September)
    force           VARCHAR,
    force_name      VARCHAR NOT NULL,
    area_kind       VARCHAR NOT NULL,
    measure         VARCHAR NOT NULL,   -- 'officer_fte' | 'officer_headcount'
    value           DOUBLE NOT NULL,
    source_file     VARCHAR NOT NULL,
    source_line     BIGINT NOT NULL
);
"""

WORKFORCE_DDL = WORKFORCE_PUBLISHED_DDL.replace("police_workforce_published", "police_workforce")

WORKFORCE_REVISION_DDL = """
CREATE TABLE IF NOT EXISTS police_workforce_revision (
    date            DATE NOT NULL,
    measure         VARCHAR NOT NULL,
    force           VARCHAR,
    force_name      VARCHAR NOT NULL,
    area_kind       VARCHAR NOT NULL,
    kept_value      DOUBLE,
    other_value     DOUBLE,
    kept_file       VARCHAR NOT NULL,
    other_file      VARCHAR NOT NULL
);
"""

_MONTHS = {m: i for i, m in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
     "november", "december"], start=1)}


def _month_end(year: int, month: int) -> date:
    return (date(year + month // 12, month % 12 + 1, 1)) - timedelta(days=1)


def period_from_name(name: str) -> tuple[str, date, date] | None:
    """'by-ced-type__april2019-march2020.csv' -> ('2019-20', 2019-04-01, 2020-03-31)."""
    m = re.search(r"__([a-z]+)(\d{4})?-([a-z]+)(\d{4})", name.lower())
    if not m or m[1] not in _MONTHS or m[3] not in _MONTHS:
        return None
    end_year = int(m[4])
    start_month, end_month = _MONTHS[m[1]], _MONTHS[m[3]]
    start_year = int(m[2]) if m[2] else end_year
    start, end = date(start_year, start_month, 1), _month_end(end_year, end_month)
    if (start_month, end_month) == (4, 3) and end_year == start_year + 1:
        label = f"{start_year}-{str(end_year)[2:]}"
    elif (start_month, end_month) == (1, 12) and start_year == end_year:
        label = str(start_year)
    else:
        label = f"{start:%Y-%m} to {end:%Y-%m}"
    return label, start, end


def _period(path: Path) -> tuple[str, date, date]:
    found = period_from_name(path.name)
    if found is None:
        raise SourceError("the period (e.g. '__april2019-march2020') is not in the file name", path=str(path))
    return found


def _unknown_force(line: int, field: str, value: str, record: dict[str, str]) -> Rejected:
    return Rejected(line, field, value, "unknown force name (not in mappings/home_office_forces.csv)", record)


def _index(header: list[str], names: list[str], path: Path) -> dict[str, int]:
    where = {normalise_name(h): i for i, h in enumerate(header)}
    missing = [n for n in names if normalise_name(n) not in where]
    if missing:
        raise SourceError(f"expected column(s) {', '.join(repr(n) for n in missing)}", path=str(path))
    return {n: where[normalise_name(n)] for n in names}


def _subtotals(frame: pd.DataFrame) -> pd.Series:
    """Rows that sum others: '*Total Tactics', '*Total <type>' when the type has detail rows, '..., of which'."""
    rows_in_type = frame.groupby(["force_name", "area_kind", "type_of_force"])["tactic"].transform("count")
    tactic = frame["tactic"].str.strip()
    total = tactic.str.startswith("*Total") | tactic.str.casefold().str.startswith("total")
    grand = frame["type_of_force"].str.casefold().str.startswith("total")
    return (total & ((rows_in_type > 1) | grand)) | tactic.str.casefold().str.rstrip().str.endswith("of which")


def _parse_use_of_force(path: Path) -> Parsed:
    label, _, end = _period(path)
    _, text = read_csv(path)
    col = _index(text.header, ["Police Force", "Type of force", "Tactic"], path)
    groups = [(i, h) for i, h in enumerate(text.header) if i not in col.values() and h]
    if not groups:
        raise SourceError("no subject-group columns after 'Tactic'", path=str(path))
    good: list[dict[str, object]] = []
    rejected: list[Rejected] = []
    for line, cells in text.rows:
        record = dict(zip(text.header, cells, strict=False))
        if len(cells) != len(text.header):
            rejected.append(Rejected(
                line, None, None, f"expected {len(text.header)} fields, found {len(cells)}", record,
            ))
            continue
        name = cells[col["Police Force"]].strip()
        # No region rows in these tables, so 'West Midlands' is the force.
        who = resolve_force(name, prefer=("force", "national", "region", "other"))
        if who is None:
            rejected.append(_unknown_force(line, text.header[col["Police Force"]], name, record))
            continue
        row: dict[str, object] = {
            "force": who.force, "force_name": name, "area_kind": who.kind,
            "type_of_force": cells[col["Type of force"]].strip(), "tactic": cells[col["Tactic"]].strip(), "line": line,
        }
        row.update({h: cells[i] for i, h in groups})
        good.append(row)
    ids = ["force", "force_name", "area_kind", "type_of_force", "tactic"]
    frame = pd.DataFrame(good, columns=[*ids, "line", *[h for _, h in groups]])
    frame["is_subtotal"] = _subtotals(frame) if len(frame) else pd.Series(dtype=bool)
    long, bad, blanks = melt_counts(frame, [*ids, "is_subtotal"], [h for _, h in groups], blank_is_null=True,
                                    record_columns=["force_name", "type_of_force", "tactic"])
    rejected.extend(bad)
    long["category"] = long["column"].where(
        long["column"].map(normalise_name) != "number of times tactic reported", "Total"
    )
    long = long.assign(financial_year=label, period_end=end, breakdown="ethnicity")
    long = long.rename(columns={"line": "source_line"})
    notes = [
        f"wide file: {len(text.rows):,} rows x {len(groups)} subject-group columns read; each cell is one output row",
        "counts are tactics per officer per subject, not incidents; 'Total' = 'Number of times tactic reported'",
    ]
    if blanks:
        notes.append(f"{blanks} blank cells kept as NULL (the force did not provide that breakdown)")
    return Parsed(long.drop(columns="column"), rejected, rows_read=len(text.rows), notes=notes)


_CED_SUBTOTALS = {"total", "total non-discharge", "total discharge"}


def _parse_ced_type(path: Path) -> Parsed:
    """by-ced-type-force-region: Region, Police force, Total, Total non-discharge, Drawn, ..., Not stated."""
    label, start, end = _period(path)
    _, text = read_csv(path)
    col = _index(text.header, ["Region", "Police force"], path)
    kinds = [(i, h) for i, h in enumerate(text.header) if i not in col.values() and h]
    good: list[dict[str, object]] = []
    rejected: list[Rejected] = []
    for line, cells in text.rows:
        record = dict(zip(text.header, cells, strict=False))
        if len(cells) != len(text.header):
            rejected.append(Rejected(
                line, None, None, f"expected {len(text.header)} fields, found {len(cells)}", record,
            ))
            continue
        name = cells[col["Police force"]].strip()
        region = cells[col["Region"]].strip()
        is_total = normalise_name(name).startswith("total")
        if is_total:
            # '*Total London' is the region; '*Total England and Wales' the national total.
            who: ForceName | None = resolve_force(name, prefer=("national", "region"))
            if who is not None and who.kind not in {"national", "region"}:
                who = None
        else:
            who = resolve_force(name, prefer=("force",))
        if who is None:
            rejected.append(_unknown_force(line, text.header[col["Police force"]], name, record))
            continue
        if not region:
            rejected.append(Rejected(line, text.header[col["Region"]], region, "blank region", record))
            continue
        row: dict[str, object] = {"force": who.force, "force_name": name.lstrip("*").strip() if is_total else name,
                                  "area_kind": who.kind, "line": line}
        row.update({h: cells[i] for i, h in kinds})
        good.append(row)
    ids = ["force", "force_name", "area_kind"]
    frame = pd.DataFrame(good, columns=[*ids, "line", *[h for _, h in kinds]])
    long, bad, blanks = melt_counts(frame, ids, [h for _, h in kinds], blank_is_null=True,
                                    record_columns=["force_name"])
    rejected.extend(bad)
    long = long.rename(columns={"column": "category", "line": "source_line"})
    long = long.assign(period=label, period_start=start, period_end=end, breakdown="ced_type",
                       is_subtotal=long["category"].map(normalise_name).isin(_CED_SUBTOTALS))
    notes = [f"wide file: {len(text.rows)} rows x {len(kinds)} CED-use columns read; each cell is one output row"]
    if blanks:
        notes.append(f"{blanks} blank cells kept as NULL")
    return Parsed(long, rejected, rows_read=len(text.rows), notes=notes)


def _parse_incidents(path: Path) -> Parsed:
    """incidents__<period>.csv: Region, Police Force, Total (incidents in which force was used), with
    the same force, region and national rows as the Taser tables by type."""
    parsed = _parse_ced_type(path)
    rows = parsed.rows
    unexpected = sorted(set(rows["category"]) - {"Total"}) if len(rows) else []
    if unexpected:
        raise SourceError(f"expected one count column 'Total'; found also {', '.join(unexpected)}", path=str(path))
    columns = ["financial_year", "period_start", "period_end", "force", "force_name", "area_kind", "incidents",
               "source_line"]
    rows = rows.rename(columns={"period": "financial_year", "count": "incidents"})[columns]
    notes = [n.replace("CED-use columns", "count column") for n in parsed.notes]
    notes.append("counts are incidents in which force was used (one incident can involve several tactics, "
                 "officers and people)")
    return Parsed(rows, parsed.rejected, rows_read=parsed.rows_read, notes=notes)


def _parse_taser_ethnicity(path: Path) -> Parsed:
    """Long file: Police Force, Tactic, ytd (period end), variable (ethnic group), value."""
    _, text = read_csv(path)
    col = _index(text.header, ["Police Force", "Tactic", "ytd", "variable", "value"], path)
    good: list[dict[str, object]] = []
    rejected: list[Rejected] = []
    blanks = 0
    for line, cells in text.rows:
        record = dict(zip(text.header, cells, strict=False))
        if len(cells) != len(text.header):
            rejected.append(Rejected(
                line, None, None, f"expected {len(text.header)} fields, found {len(cells)}", record,
            ))
            continue
        v = {k: cells[i].strip() for k, i in col.items()}
        who = resolve_force(v["Police Force"], prefer=("force", "national", "region", "other"))
        if who is None:
            rejected.append(_unknown_force(line, text.header[col["Police Force"]], v["Police Force"], record))
            continue
        try:
            end = date.fromisoformat(v["ytd"])
        except ValueError:
            rejected.append(Rejected(line, text.header[col["ytd"]], v["ytd"], "not an ISO date", record))
            continue
        if not normalise_name(v["Tactic"]).startswith("ced"):
            rejected.append(Rejected(line, text.header[col["Tactic"]], v["Tactic"], "not a CED (Taser) row", record))
            continue
        count: int | None
        if v["value"] == "":
            blanks += 1
            count = None
        else:
            try:
                number = float(v["value"])
            except ValueError:
                number = -0.5
            if number < 0 or number != int(number):
                rejected.append(Rejected(
                    line, text.header[col["value"]], v["value"], "not a whole number >= 0", record,
                ))
                continue
            count = int(number)
        # 'ytd' closes a year of data: the Home Office financial year ending that day.
        start = (end + timedelta(days=1)).replace(year=end.year - 1)
        label = (f"{start.year}-{str(end.year)[2:]}" if (start.month, end.month) == (4, 3)
                 else f"{start:%Y-%m} to {end:%Y-%m}")
        good.append({
            "period": label, "period_start": start, "period_end": end, "force": who.force,
            "force_name": v["Police Force"], "area_kind": who.kind, "breakdown": "ethnicity",
            "category": v["variable"], "is_subtotal": False, "count": count, "source_line": line,
        })
    notes = ["rows are the CED rows of the use-of-force tables by ethnicity (2018-19, 2019-20)"]
    if blanks:
        notes.append(f"{blanks} blank values kept as NULL (group not in that year's table)")
    columns = ["period", "period_start", "period_end", "force", "force_name", "area_kind", "breakdown", "category",
               "is_subtotal", "count", "source_line"]
    return Parsed(pd.DataFrame(good, columns=columns), rejected, notes=notes)


_AS_AT = re.compile(
    r"^(january|february|march|april|may|june|july|august|september|october|november|december) (\d{4})$"
)


def _parse_workforce(path: Path) -> Parsed:
    """officer-fte__YYYY.csv / officer-headcount__YYYY.csv: Force/Region, '<Month YYYY>' columns."""
    kind = path.name.split("__", 1)[0].lower()
    measure = {"officer-fte": "officer_fte", "officer-headcount": "officer_headcount"}.get(kind)
    if measure is None:
        raise SourceError("file name should start 'officer-fte__' or 'officer-headcount__'", path=str(path))
    _, text = read_csv(path)
    dates: list[tuple[int, str, date]] = []
    skipped: list[str] = []
    for i, h in enumerate(text.header[1:], start=1):
        m = _AS_AT.match(normalise_name(h))
        if m:
            dates.append((i, h, _month_end(int(m[2]), _MONTHS[m[1]])))
        elif h:
            skipped.append(h)
    if not dates:
        raise SourceError("no '<Month YYYY>' as-at date columns", path=str(path))
    good: list[dict[str, object]] = []
    rejected: list[Rejected] = []
    region: str | None = None
    for line, cells in text.rows:
        record = dict(zip(text.header, cells, strict=False))
        name = cells[0].strip()
        candidates = force_candidates(name)
        kinds = {c.kind for c in candidates}
        # Region rows head their forces; 'West Midlands' is the region the first time, the force after it.
        who: ForceName | None
        if "region" in kinds and normalise_name(name) != region:
            who = next(c for c in candidates if c.kind == "region")
            region = normalise_name(name)
        else:
            who = resolve_force(name, prefer=("force", "national", "other", "region"))
        if who is None:
            rejected.append(_unknown_force(line, text.header[0], name, record))
            continue
        row: dict[str, object] = {"force": who.force, "force_name": name, "area_kind": who.kind, "line": line}
        row.update({h: (cells[i] if i < len(cells) else "") for i, h, _ in dates})
        good.append(row)
    ids = ["force", "force_name", "area_kind"]
    frame = pd.DataFrame(good, columns=[*ids, "line", *[h for _, h, _ in dates]])
    long = frame.melt(id_vars=[*ids, "line"], value_vars=[h for _, h, _ in dates], var_name="column", value_name="raw")
    value = pd.to_numeric(long["raw"].str.strip(), errors="coerce")
    ok = value.notna() & (value >= 0)
    for _, r in long.loc[~ok].iterrows():
        rejected.append(Rejected(int(r["line"]), str(r["column"]), str(r["raw"]), "not a number >= 0",
                                 {"force_name": r["force_name"], r["column"]: r["raw"]}))
    as_at = {h: d for _, h, d in dates}
    out = long.loc[ok].assign(
        date=long.loc[ok, "column"].map(as_at), measure=measure, value=value[ok],
    ).rename(columns={"line": "source_line"}).drop(columns=["column", "raw"])
    notes = [f"wide file: {len(text.rows)} rows x {len(dates)} as-at dates read; each cell is one output row"]
    if skipped:
        notes.append(f"derived columns not loaded: {', '.join(skipped)}")
    return Parsed(out, rejected, rows_read=len(text.rows), notes=notes)


def rebuild_police_workforce(con: duckdb.DuckDBPyConnection) -> None:
    """`police_workforce`: for each as-at date, the figures of the latest publication holding it."""
    con.execute(WORKFORCE_PUBLISHED_DDL)
    con.execute(WORKFORCE_DDL)
    con.execute(WORKFORCE_REVISION_DDL)
    with transaction(con):
        con.execute("DELETE FROM police_workforce")
        con.execute("DELETE FROM police_workforce_revision")
        latest_run_wins(
            con,
            source="police_workforce_published",
            period="date",
            partition=("measure",),
            key={"area": "coalesce(force, area_kind || ':' || force_name)"},
            value="value",
            describe=("force", "force_name", "area_kind"),
            target="police_workforce",
            revisions="police_workforce_revision",
            absent_is_zero=False,
        )


DATASETS: tuple[Dataset, ...] = (
    Dataset(
        name="ho-use-of-force-ethnicity",
        table="use_of_force",
        ddl=USE_OF_FORCE_DDL,
        patterns=("mps/use_of_force_home_office/by-ethnicity-force__*.csv*",),
        parse=_parse_use_of_force,
        description="Home Office use of force: tactics by type, force and subject ethnicity, per financial year",
        period_column="period_end",
    ),
    Dataset(
        name="ho-taser-by-type",
        table="taser_use",
        ddl=TASER_DDL,
        patterns=("mps/use_of_force_home_office/by-ced-type-force-region__*.csv*",),
        parse=_parse_ced_type,
        description="Home Office CED (Taser) use by force and region, by how it was used (drawn, aimed, fired ...)",
        period_column="period_end",
    ),
    Dataset(
        name="ho-taser-by-ethnicity",
        table="taser_use",
        ddl=TASER_DDL,
        patterns=("mps/use_of_force_home_office/taser_use_by_ethnicity_force.csv*",),
        parse=_parse_taser_ethnicity,
        description="Home Office CED (Taser) use by force and subject ethnicity",
        period_column="period_end",
    ),
    Dataset(
        name="ho-use-of-force-incidents",
        table="use_of_force_incident",
        ddl=INCIDENT_DDL,
        patterns=("mps/use_of_force_home_office/incidents__*.csv*",),
        parse=_parse_incidents,
        description="Home Office use of force: incidents in which force was used, by force and region, per "
        "financial year",
        period_column="period_end",
    ),
    Dataset(
        name="ho-police-workforce",
        table="police_workforce_published",
        ddl=WORKFORCE_PUBLISHED_DDL,
        patterns=("mps/police_workforce_home_office/officer-*__*.csv*",),
        parse=_parse_workforce,
        description="Home Office police workforce: officers (FTE, headcount) by force and region; "
        "reconciled into police_workforce",
        after_load=rebuild_police_workforce,
        period_column="date",
    ),
)
