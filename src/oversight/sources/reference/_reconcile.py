"""When published files overlap in time, the one whose data run to the later period wins.

Official series are republished on a rolling window (MPS crime: the last 24 months, every
month; Home Office workforce: three as-at dates, every year), so one period can appear in
several files with different figures: later publications include late-recorded crimes and
corrections. For each partition (e.g. borough level x current categories) and period, the file
with the latest last period supplies every cell of that period (ties: the later first period,
then the later file name). Cells where another file covering the same period disagrees are
written to a revision table, so nothing is silently dropped.

The same function runs in the warehouse (building the reconciled table after a load) and in
memory while parsing (to report how many cells a new file revises).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import duckdb


@dataclass(frozen=True)
class Overlap:
    kept_file: str
    other_file: str
    periods: int  # periods both files cover, given to kept_file
    first: object
    last: object
    cells_differ: int


def latest_run_wins(
    con: duckdb.DuckDBPyConnection,
    *,
    source: str,
    period: str,
    partition: Sequence[str],
    key: dict[str, str],
    value: str,
    describe: Sequence[str],
    target: str | None,
    revisions: str | None,
    absent_is_zero: bool,
) -> list[Overlap]:
    """Fill `target` with the winning file's rows per period and `revisions` with disagreements.

    `key` maps a name to an SQL expression over `source` identifying a cell within a
    partition and period (compared NULL-safely); `describe` are the columns copied into the
    revision rows. With `absent_is_zero`, a cell missing from one file counts as 0 when deciding
    whether the files differ (MPS omits series with no crimes in the whole window), but the
    revision row still shows it as NULL.
    """
    part = ", ".join(partition)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE __runs AS
        WITH span AS (
            SELECT {part}, source_file, min({period}) AS first_p, max({period}) AS last_p
            FROM {source} GROUP BY ALL
        ), cover AS (
            SELECT DISTINCT {part}, {period}, source_file FROM {source}
        )
        SELECT c.*, s.first_p, s.last_p,
               row_number() OVER (
                   PARTITION BY {", ".join(f"c.{p}" for p in partition)}, c.{period}
                   ORDER BY s.last_p DESC, s.first_p DESC, c.source_file DESC
               ) AS run_rank
        FROM cover c JOIN span s USING ({part}, source_file)
        """
    )
    if target is not None:
        con.execute(
            f"""INSERT INTO {target} BY NAME
                SELECT s.* FROM {source} s
                JOIN __runs r ON r.source_file = s.source_file AND r.{period} = s.{period}
                     AND {" AND ".join(f"r.{p} IS NOT DISTINCT FROM s.{p}" for p in partition)}
                WHERE r.run_rank = 1"""
        )
    keys = ", ".join(f"{expr} AS __key_{name}" for name, expr in key.items())
    same_part = " AND ".join(f"s.{p} IS NOT DISTINCT FROM p.{p}" for p in partition)
    cmp = (f"coalesce(k.{value}, 0) <> coalesce(o.{value}, 0)" if absent_is_zero
           else f"k.{value} IS DISTINCT FROM o.{value}")
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE __revision AS
        WITH pairs AS (
            SELECT o.{period}, {", ".join(f"o.{p}" for p in partition)},
                   w.source_file AS kept_file, o.source_file AS other_file
            FROM __runs o JOIN __runs w ON w.{period} = o.{period}
                 AND {" AND ".join(f"w.{p} IS NOT DISTINCT FROM o.{p}" for p in partition)}
            WHERE o.run_rank > 1 AND w.run_rank = 1
        ), k AS (
            SELECT p.other_file AS __pair, s.*, {keys} FROM pairs p JOIN {source} s
                ON s.source_file = p.kept_file AND s.{period} = p.{period} AND {same_part}
        ), o AS (
            SELECT p.kept_file AS __pair, s.*, {keys} FROM pairs p JOIN {source} s
                ON s.source_file = p.other_file AND s.{period} = p.{period} AND {same_part}
        )
        SELECT coalesce(k.{period}, o.{period}) AS {period},
               {", ".join(f"coalesce(k.{c}, o.{c}) AS {c}" for c in dict.fromkeys([*partition, *describe]))},
               k.{value} AS kept_{value}, o.{value} AS other_{value},
               coalesce(k.source_file, o.__pair) AS kept_file,
               coalesce(o.source_file, k.__pair) AS other_file
        FROM k FULL OUTER JOIN o
            ON k.source_file = o.__pair AND o.source_file = k.__pair AND k.{period} = o.{period}
            AND {" AND ".join(f"k.{p} IS NOT DISTINCT FROM o.{p}" for p in partition)}
            AND {" AND ".join(f"k.__key_{n} IS NOT DISTINCT FROM o.__key_{n}" for n in key)}
        WHERE {cmp}
        """
    )
    if revisions is not None:
        con.execute(f"INSERT INTO {revisions} BY NAME SELECT * FROM __revision")
    rows = con.execute(
        f"""
        WITH pairs AS (
            SELECT w.source_file AS kept_file, o.source_file AS other_file,
                   count(*) AS periods, min(o.{period}) AS first, max(o.{period}) AS last
            FROM __runs o JOIN __runs w ON w.{period} = o.{period}
                 AND {" AND ".join(f"w.{p} IS NOT DISTINCT FROM o.{p}" for p in partition)}
            WHERE o.run_rank > 1 AND w.run_rank = 1
            GROUP BY ALL
        ), diffs AS (
            SELECT kept_file, other_file, count(*) AS cells FROM __revision GROUP BY ALL
        )
        SELECT p.kept_file, p.other_file, p.periods, p.first, p.last, coalesce(d.cells, 0)
        FROM pairs p LEFT JOIN diffs d USING (kept_file, other_file)
        ORDER BY p.kept_file, p.other_file
        """
    ).fetchall()
    con.execute("DROP TABLE IF EXISTS __runs")
    con.execute("DROP TABLE IF EXISTS __revision")
    return [Overlap(*r) for r in rows]
