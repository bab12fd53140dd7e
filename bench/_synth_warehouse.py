"""Benchmark input for `oversight build`: a national-scale synthetic street-crime warehouse.

The warehouse holds the two tables the street-crime measures read, `street_crime` (the
loader's schema) and `street_crime_place` (the geography loader's), for several synthetic
forces, each a copy of London's area structure. Counts follow real distributions:

- monthly volume, and the mix of crime types in each month: the 36 bundled City of London
  police.uk street files (data/default/police_uk/street); synthetic month i follows real
  month i mod 36, so a longer run repeats the real seasons (and the 2020 lockdown dip);
- the share of each crime type published without a location (no LSOA): the same files;
- where in the force a month's crimes fall: the real London LSOA x month counts in
  shared/data/police_uk/derived (month i follows the i mod 36-th month of that file);
- the area hierarchy: the ONS LSOA 2021 -> ward 2024 -> borough lookup for London and the
  Met's BCU -> borough table. Each synthetic force copies it with every code suffixed by the
  force number ("E05009288-3"), so seven forces give about 35,000 LSOAs as in England and
  Wales. LSOAs in a borough outside any BCU (the City of London) are 'outside force area'
  with no BCU, as the geography loader places them.

Counts are one seeded multinomial draw: rows over force x month, then over crime types by the
month's real mix, then located or not by the type's real share, then over LSOAs by the
month's real LSOA counts. Type and place are drawn independently within a month. The other
columns of each row (point, street, last outcome) are copied from a real City of London row
of the same type and the same located-or-not, chosen by a fixed formula of the row's line,
so that the table has realistic widths; the measures do not read them. Crime ids are the
SHA-256 of file, line and seed; anti-social behaviour rows have none, as published.

Rows are written as the loaders write them: one file per force x month named
YYYY-MM-<force>-street.csv, lines in LSOA-name order then type (the order of police.uk
files), unlocated rows last, places in (force, month, file, line) order. The output depends
only on (rows, months, seed, GENERATOR_VERSION) and the real files.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

# Bump when the generated warehouse would change for the same parameters.
GENERATOR_VERSION = 1

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
STREET_DIR = REPO / "data" / "default" / "police_uk" / "street"
LSOA_COUNTS = SHARED / "police_uk" / "derived" / "london_lsoa_month_street_crime_counts_2023-06_2026-05.csv.gz"
LSOA_LOOKUP = SHARED / "geo" / "lookups" / "london_LSOA21_to_WD24_to_LAD24_lookup.csv"
BCU_LOOKUP = SHARED / "geo" / "lookups" / "met_bcu_borough.csv"

# Real police.uk force ids (vocab/forces.csv) of large territorial forces, one per copy of
# London. Seven copies give about as many LSOAs as England and Wales (35,672 in 2021).
FORCES = (
    "metropolitan", "west-midlands", "greater-manchester", "west-yorkshire", "thames-valley",
    "kent", "hampshire",
)
ASB = "Anti-social behaviour"

# The geography loader's street_crime_place (oversight.sources.reference.geography_places).
PLACE_DDL = """
CREATE TABLE IF NOT EXISTS street_crime_place (
    source_file   VARCHAR NOT NULL,
    source_line   BIGINT NOT NULL,
    force         VARCHAR NOT NULL,
    month         DATE NOT NULL,
    lsoa_code     VARCHAR,
    ward_code     VARCHAR,
    borough_code  VARCHAR,
    bcu_code      VARCHAR,
    status        VARCHAR NOT NULL
)
"""


@dataclass(frozen=True)
class Warehouse:
    path: Path
    rows: int
    months: int
    first_month: str
    last_month: str
    forces: int
    lsoas: int
    wards: int
    boroughs: int
    bcus: int
    unlocated: int
    real_rows: int
    seconds: float
    reused: bool


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _inputs() -> list[Path]:
    street = sorted(STREET_DIR.glob("*-street.csv.gz"))
    if not street:
        raise SystemExit(f"no police.uk street files in {STREET_DIR}")
    for path in (LSOA_COUNTS, LSOA_LOOKUP, BCU_LOOKUP):
        if not path.exists():
            raise SystemExit(f"missing real input {path}")
    return [*street, LSOA_COUNTS, LSOA_LOOKUP, BCU_LOOKUP]


def _read_real(con: duckdb.DuckDBPyConnection) -> None:
    """Temporary tables real_row (City of London rows), real_month, real_type, area, lsoa_weight."""
    files = ", ".join(_lit(str(f)) for f in sorted(STREET_DIR.glob("*-street.csv.gz")))
    # One thread and insertion order kept: rowid is the real rows' file-then-line order.
    con.execute("SET threads = 1")
    con.execute(f"CREATE TEMP TABLE raw AS SELECT * FROM read_csv([{files}], all_varchar = true, header = true)")
    con.execute("RESET threads")
    con.execute(
        """CREATE TEMP TABLE real_row AS
        SELECT rowid AS seq, "Month" AS month, "Crime type" AS crime_type, "LSOA code" IS NOT NULL AS located,
               try_cast("Longitude" AS DOUBLE) AS longitude, try_cast("Latitude" AS DOUBLE) AS latitude,
               "Location" AS location, "Last outcome category" AS outcome_published
        FROM raw"""
    )
    # Months in order, and each type's share of a month and share without a location.
    con.execute(
        """CREATE TEMP TABLE real_month AS
        SELECT month, row_number() OVER (ORDER BY month) - 1 AS i, count(*) AS n
        FROM real_row GROUP BY month"""
    )
    con.execute(
        """CREATE TEMP TABLE real_type AS
        SELECT crime_type, row_number() OVER (ORDER BY crime_type) - 1 AS t,
               avg(CASE WHEN located THEN 0 ELSE 1 END) AS unlocated_share
        FROM real_row GROUP BY crime_type"""
    )
    # The London hierarchy: LSOA (in name order, as police.uk files list them) > ward > borough > BCU.
    con.execute(
        f"""CREATE TEMP TABLE area AS
        SELECT row_number() OVER (ORDER BY l.LSOA21NM, l.LSOA21CD) - 1 AS l, l.LSOA21CD AS lsoa_code,
               l.LSOA21NM AS lsoa_name, l.WD24CD AS ward_code, l.LAD24CD AS borough_code, b.bcu_code
        FROM read_csv({_lit(str(LSOA_LOOKUP))}, all_varchar = true) l
        LEFT JOIN read_csv({_lit(str(BCU_LOOKUP))}, all_varchar = true) b ON b.borough_code = l.LAD24CD"""
    )
    con.execute(
        f"""CREATE TEMP TABLE lsoa_count AS
        SELECT lsoa_code, month, crime_count FROM read_csv({_lit(str(LSOA_COUNTS))}, header = true,
            types = {{'lsoa_code': 'VARCHAR', 'month': 'VARCHAR', 'crime_count': 'BIGINT'}})"""
    )
    con.execute(
        """CREATE TEMP TABLE lsoa_weight AS
        SELECT a.l, m.i, coalesce(c.crime_count, 0)::DOUBLE AS w
        FROM area a
        CROSS JOIN (SELECT month, row_number() OVER (ORDER BY month) - 1 AS i
                    FROM (SELECT DISTINCT month FROM lsoa_count)) m
        LEFT JOIN lsoa_count c ON c.lsoa_code = a.lsoa_code AND c.month = m.month"""
    )


def _draw(con: duckdb.DuckDBPyConnection, rows: int, months: int, seed: int) -> pa.Table:
    """Seeded counts per (force, month, LSOA or none, type), in file order, with first lines."""
    volume = np.array([n for (n,) in con.execute("SELECT n FROM real_month ORDER BY i").fetchall()], float)
    n_types = con.execute("SELECT count(*) FROM real_type").fetchall()[0][0]  # type: ignore[index]
    mix = np.zeros((len(volume), n_types))
    for i, t, n in con.execute(
        """SELECT m.i, t.t, count(*) FROM real_row r JOIN real_month m USING (month)
        JOIN real_type t USING (crime_type) GROUP BY ALL"""
    ).fetchall():
        mix[i, t] = n
    unlocated = np.array([s for (s,) in con.execute("SELECT unlocated_share FROM real_type ORDER BY t").fetchall()])
    weights = con.execute("SELECT i, l, w FROM lsoa_weight ORDER BY i, l").fetchnumpy()
    n_weight_months = int(weights["i"].max()) + 1
    n_lsoas = int(weights["l"].max()) + 1
    place = weights["w"].reshape(n_weight_months, n_lsoas)

    cycle = np.arange(months)
    month_share = volume[cycle % len(volume)]
    month_share /= month_share.sum()
    type_share = mix[cycle % len(volume)]
    type_share /= type_share.sum(axis=1, keepdims=True)
    lsoa_share = place[cycle % n_weight_months]
    lsoa_share /= lsoa_share.sum(axis=1, keepdims=True)

    rng = np.random.default_rng(seed)
    n_forces = len(FORCES)
    by_month = rng.multinomial(rows, np.full((n_forces, months), 1 / n_forces).ravel() * np.tile(month_share, n_forces))
    by_month = by_month.reshape(n_forces, months)
    by_type = rng.multinomial(by_month, type_share)  # (force, month, type)
    no_place = rng.binomial(by_type, unlocated)
    by_lsoa = rng.multinomial(by_type - no_place, lsoa_share[:, None, :])  # (force, month, type, lsoa)
    located = np.moveaxis(by_lsoa, 2, 3)  # (force, month, lsoa, type): the order of a police.uk file

    f, m, lsoa, t = np.nonzero(located)
    n = located[f, m, lsoa, t]
    uf, um, ut = np.nonzero(no_place)
    f = np.concatenate([f, uf])
    m = np.concatenate([m, um])
    lsoa = np.concatenate([lsoa, np.full(uf.size, -1)])
    t = np.concatenate([t, ut])
    n = np.concatenate([n, no_place[uf, um, ut]])
    order = np.lexsort(((lsoa < 0).astype(np.int8), m, f))  # stable: file order within a file
    f, m, lsoa, t, n = f[order], m[order], lsoa[order], t[order], n[order]
    # First line of each cell in its file: line 1 is the header.
    ends = np.cumsum(n)
    partition_start = np.r_[True, (f[1:] != f[:-1]) | (m[1:] != m[:-1])]
    before = np.r_[0, ends[:-1]]
    first_in_file = np.maximum.accumulate(np.where(partition_start, before, 0))
    start = before - first_in_file + 2
    return pa.table({
        "f": f.astype(np.int16), "m": m.astype(np.int16), "l": lsoa.astype(np.int32),
        "t": t.astype(np.int16), "n": n.astype(np.int64), "start": start.astype(np.int64),
    })


def _write(con: duckdb.DuckDBPyConnection, cells: pa.Table, months: int, first_month: str, seed: int) -> None:
    from oversight.sources.police_uk import vocab

    names = vocab.forces()
    forces = pa.table({"f": np.arange(len(FORCES), dtype=np.int16), "force": list(FORCES),
                       "force_name": [names[x] for x in FORCES]})
    renames = vocab.crime_outcome_renames()
    outcome_map = pa.table({"published": list(renames), "outcome": list(renames.values())})
    con.register("__forces", forces)
    con.register("__renames", outcome_map)
    con.register("__cells", cells)
    con.execute(
        f"""CREATE TEMP TABLE months AS
        SELECT i::SMALLINT AS m, (DATE {_lit(first_month + '-01')} + to_months(i::INTEGER))::DATE AS month
        FROM range({months}) r(i)"""
    )
    # Real rows to copy the other columns from: per (type, located), numbered 0..size-1.
    con.execute(
        """CREATE TEMP TABLE pick AS
        SELECT t.t, r.located, row_number() OVER (PARTITION BY t.t, r.located ORDER BY r.seq) - 1 AS k,
               count(*) OVER (PARTITION BY t.t, r.located) AS size,
               r.longitude, r.latitude, r.location, r.outcome_published,
               coalesce(x.outcome, r.outcome_published) AS outcome
        FROM real_row r JOIN real_type t USING (crime_type)
        LEFT JOIN __renames x ON x.published = r.outcome_published"""
    )
    con.execute(
        "CREATE TEMP TABLE pick_size AS SELECT DISTINCT t, located, size FROM pick"
    )
    for i in range(len(FORCES)):
        suffix = f"-{i + 1}"
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE __rows AS
            SELECT x.f, mo.month, x.l, x.t, x.start + x.k AS source_line,
                   strftime(mo.month, '%Y-%m') || '-' || fo.force || '-street.csv' AS source_file,
                   fo.force, fo.force_name,
                   ((x.start + x.k) * 2654435761 + x.m * 40503 + x.l * 97) % s.size AS k
            FROM (SELECT c.*, unnest(range(c.n)) AS k FROM __cells c WHERE c.f = {i}) x
            JOIN __forces fo USING (f)
            JOIN months mo USING (m)
            JOIN pick_size s ON s.t = x.t AND s.located = (x.l >= 0)"""
        )
        con.execute(
            f"""INSERT INTO street_crime
            SELECT r.force, r.month,
                   CASE WHEN ty.crime_type <> {_lit(ASB)}
                        THEN sha256(r.source_file || ':' || r.source_line || ':' || {int(seed)}) END,
                   r.force_name, r.force_name, p.longitude, p.latitude, p.location,
                   a.lsoa_code || {_lit(suffix)}, a.lsoa_name, ty.crime_type,
                   p.outcome, p.outcome_published, NULL, r.source_file, r.source_line
            FROM __rows r
            JOIN real_type ty USING (t)
            JOIN pick p ON p.t = r.t AND p.located = (r.l >= 0) AND p.k = r.k
            LEFT JOIN area a ON a.l = r.l
            ORDER BY r.month, r.source_line"""
        )
        con.execute(
            f"""INSERT INTO street_crime_place
            SELECT r.source_file, r.source_line, r.force, r.month, a.lsoa_code || {_lit(suffix)},
                   a.ward_code || {_lit(suffix)}, a.borough_code || {_lit(suffix)}, a.bcu_code || {_lit(suffix)},
                   CASE WHEN r.l < 0 THEN 'unlocated' WHEN a.bcu_code IS NULL THEN 'outside force area'
                        ELSE 'located' END
            FROM __rows r LEFT JOIN area a ON a.l = r.l
            ORDER BY r.month, r.source_file, r.source_line"""
        )
    con.execute("DROP TABLE __rows")
    for name in ("__forces", "__renames", "__cells"):
        con.unregister(name)


def generate(workdir: Path, rows: int, months: int, seed: int, log=print) -> Warehouse:
    """Generate (or reuse) the warehouse for (rows, months, seed) under `workdir`."""
    sources = _inputs()
    params = {
        "generator_version": GENERATOR_VERSION,
        "duckdb": duckdb.__version__,
        "rows": rows,
        "months": months,
        "seed": seed,
        "real_files": [[p.name, p.stat().st_size] for p in sources],
    }
    path = workdir / f"warehouse-{rows}-{months}m-seed{seed}.duckdb"
    manifest = path.with_suffix(".json")
    if manifest.exists() and path.exists():
        saved = json.loads(manifest.read_text())
        if saved["params"] == params and saved["bytes"] == path.stat().st_size:
            return Warehouse(path=path, reused=True, **saved["summary"])
    for leftover in (path, Path(str(path) + ".wal"), manifest):
        leftover.unlink(missing_ok=True)
    workdir.mkdir(parents=True, exist_ok=True)
    log(f"generating {rows:,} street-crime rows over {months} months into {path} ...")
    started = time.perf_counter()

    con = duckdb.connect(str(path))
    con.execute("SET preserve_insertion_order = true")
    con.execute("SET enable_progress_bar = false")
    con.execute(resources.files("oversight.warehouse").joinpath("schema.sql").read_text())
    con.execute(PLACE_DDL)
    _read_real(con)  # temporary tables, gone when the connection closes
    cells = _draw(con, rows, months, seed)
    first_month = con.execute("SELECT min(month) FROM real_month").fetchall()[0][0]  # type: ignore[index]
    _write(con, cells, months, first_month, seed)
    con.execute("CHECKPOINT")
    summary = con.execute(
        """SELECT count(*), count(DISTINCT month), strftime(min(month), '%Y-%m'), strftime(max(month), '%Y-%m'),
                  count(DISTINCT force)
        FROM street_crime"""
    ).fetchall()[0]
    areas = con.execute(
        """SELECT count(DISTINCT lsoa_code), count(DISTINCT ward_code), count(DISTINCT borough_code),
                  count(DISTINCT bcu_code), count(*) FILTER (WHERE status = 'unlocated')
        FROM street_crime_place"""
    ).fetchall()[0]
    real_rows = con.execute("SELECT count(*) FROM real_row").fetchall()[0][0]  # type: ignore[index]
    con.close()
    if summary[0] != rows:  # type: ignore[index]
        raise SystemExit(f"generated {summary[0]:,} rows, not {rows:,}")  # type: ignore[index]
    result = {
        "rows": rows, "months": int(summary[1]), "first_month": summary[2], "last_month": summary[3],  # type: ignore[index]
        "forces": int(summary[4]), "lsoas": int(areas[0]), "wards": int(areas[1]),  # type: ignore[index]
        "boroughs": int(areas[2]), "bcus": int(areas[3]), "unlocated": int(areas[4]),  # type: ignore[index]
        "real_rows": int(real_rows), "seconds": time.perf_counter() - started,
    }
    manifest.write_text(json.dumps({"params": params, "bytes": path.stat().st_size, "summary": result}, indent=1))
    return Warehouse(path=path, reused=False, **result)


def copy_of(warehouse: Warehouse, target: Path) -> Path:
    """A fresh copy of the generated warehouse to build in (so every round starts the same)."""
    for leftover in (target, Path(str(target) + ".wal")):
        leftover.unlink(missing_ok=True)
    shutil.copyfile(warehouse.path, target)
    return target
