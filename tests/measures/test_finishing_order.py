"""The finishing sorts parts of the measures table itself: its order must be SQL's ORDER BY."""

from __future__ import annotations

import datetime as dt

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from oversight.measures.finishing import _sort_order

TEXT = st.one_of(st.none(), st.sampled_from(["", "a", "A", "a b", "b", "ä", "Z", "ward=E05000026", "é"]))
DAY = st.one_of(st.none(), st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2030, 12, 31)))
NUMBER = st.one_of(st.none(), st.integers(min_value=-(2**40), max_value=2**40))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(TEXT, DAY, NUMBER, TEXT), min_size=0, max_size=200))
def test_the_order_is_duckdbs_order_by_with_ties_in_table_order(rows):
    con = duckdb.connect()
    con.execute("CREATE TABLE t (s VARCHAR, d DATE, n BIGINT, u VARCHAR, i INTEGER)")
    if rows:
        con.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?)", [(*row, i) for i, row in enumerate(rows)])
    table = con.sql("SELECT * FROM t ORDER BY i").to_arrow_table()
    wanted = [i for (i,) in con.execute("SELECT i FROM t ORDER BY s, d, n, u, i").fetchall()]
    assert table.take(_sort_order(table, ("s", "d", "n", "u")))["i"].to_pylist() == wanted
