"""The statistics of the measures table are computed in parts (setting `finish_chunk_rows`): whole
series for intervals, comparisons and SPC, whole (measure, force) pieces for secondary suppression.
On every force's real stop and search the parts must change no figure and hide the same cells."""

from __future__ import annotations

import shutil

import duckdb
import pandas as pd
import pytest

from oversight import config
from oversight.measures import engine
from oversight.measures.catalogue import load_catalogue
from oversight.measures.engine import build
from oversight.warehouse.connection import connect

COLUMNS = "* EXCLUDE (quality_flags), list_sort(quality_flags) AS quality_flags"


def _table(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute(f"SELECT {COLUMNS} FROM measure_value ORDER BY ALL").df()


def test_small_parts_give_the_table_of_one_part(national_2019_20, tmp_path, monkeypatch):
    with duckdb.connect(str(national_2019_20), read_only=True) as con:
        whole = _table(con)
        forces = con.execute("SELECT count(DISTINCT area_code) FROM measure_value WHERE area_level = 'force'"
                             ).fetchone()[0]  # type: ignore[index]
        assert forces >= 40
        hidden_with_others = con.execute(
            "SELECT count(*) FROM measure_value WHERE suppression_reason LIKE 'hidden so that%'").fetchone()[0]  # type: ignore[index]
        assert hidden_with_others > 100  # secondary suppression has cells to hide across many forces
    # The fixture's build finished its two measures in one part of each pass.
    assert len(whole) < int(config.default("finish_chunk_rows"))  # type: ignore[call-overload]
    path = tmp_path / "parts.duckdb"
    shutil.copyfile(national_2019_20, path)
    # Parts far smaller than one force's rows: every (measure, force) piece and many series alone.
    monkeypatch.setitem(config._CHOSEN, "finish_chunk_rows", 300)
    con = connect(path)
    catalogue = load_catalogue()
    report = build(con, {k: catalogue[k] for k in ("stop_search_rate", "stop_search_rate_ratio")})
    assert not report.failed
    apart = _table(con)
    con.close()
    assert len(apart) == len(whole) > 10_000
    pd.testing.assert_frame_equal(whole, apart)


def test_memory_sizes_are_read_as_duckdb_writes_them():
    assert config.memory_bytes("2GB") == 2 * 10**9
    assert config.memory_bytes("1.5GiB") == int(1.5 * 2**30)
    assert config.memory_bytes(" 800mb ") == 800 * 10**6
    for bad in ("2", "2 GB of memory", "GB", "-1GB"):
        with pytest.raises(ValueError, match="not a memory size"):
            config.memory_bytes(bad)


def test_duckdb_gets_its_share_of_the_build_budget(monkeypatch):
    monkeypatch.setitem(config._CHOSEN, "build_memory_limit", "2GB")
    assert engine.duckdb_memory_limit() == "1200MB"
    assert engine.duckdb_memory_limit(engine.DUCKDB_SHARE_FINISHING) == "400MB"
    monkeypatch.setitem(config._CHOSEN, "build_memory_limit", "1GiB")
    assert engine.duckdb_memory_limit() == f"{int(2**30 * 0.6) // 10**6}MB"
