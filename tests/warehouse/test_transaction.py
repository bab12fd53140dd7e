"""One transaction helper: all of the block or none of it, and the error that stopped it is the one raised."""

from __future__ import annotations

import duckdb
import pytest

from oversight.warehouse.connection import transaction


def _rows(con) -> list[tuple]:
    return con.cursor().execute("SELECT x FROM t ORDER BY x").fetchall()  # a cursor sees only what is committed


def _commits_at_once(con) -> bool:
    """No transaction is left open: a statement outside a block is committed when it ends."""
    con.execute("INSERT INTO t VALUES (4)")
    return (4,) in _rows(con)


@pytest.fixture
def con(warehouse):
    warehouse.execute("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1)")
    return warehouse


def test_a_block_that_ends_is_committed(con):
    with transaction(con):
        con.execute("DELETE FROM t")
        con.execute("INSERT INTO t VALUES (2), (3)")
        assert _rows(con) == [(1,)]  # nothing is seen outside before the end
    assert _rows(con) == [(2,), (3,)]


@pytest.mark.parametrize("error", [ValueError("a bug"), KeyboardInterrupt()])
def test_a_block_stopped_by_any_error_changes_nothing_and_raises_that_error(con, error):
    with pytest.raises(type(error)):
        with transaction(con):
            con.execute("DELETE FROM t")
            raise error
    assert _rows(con) == [(1,)]
    assert _commits_at_once(con)


def test_a_failed_statement_rolls_back_the_statements_before_it(con):
    with pytest.raises(duckdb.Error, match="no_such_table"):
        with transaction(con):
            con.execute("DELETE FROM t")
            con.execute("INSERT INTO t SELECT * FROM no_such_table")
    assert _rows(con) == [(1,)]
    assert _commits_at_once(con)


def test_a_rollback_that_cannot_run_does_not_hide_the_error_that_needed_it(con):
    """The connection may be gone by then (a closed or invalidated database): the caller is told
    what went wrong inside the block, not that the rollback failed."""
    with pytest.raises(ValueError, match="inside the block"):
        with transaction(con):
            con.execute("DELETE FROM t")
            con.close()
            raise ValueError("inside the block")
