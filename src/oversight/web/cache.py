"""What the site serves from: the newest published snapshot of the warehouse, open read-only,
and a bounded cache of what was computed from it.

The server reads published snapshots (`warehouse/snapshot.py`), never the warehouse itself, so
`oversight build` is never blocked by it. Each snapshot is opened once, through the warehouse's
`connect` (so its memory limit and settings apply), and has its own `Cache`; when a newer one
appears (looked for at most once a second) it takes over, and the old one closes once the
requests still reading it are done. A request is pinned to one snapshot (`Snapshots.serving`),
so a page never mixes two builds. Looking for, opening and closing snapshots is file work: on
the event loop (`async with serving(...)`) it is done in a worker thread.

`serving` also bounds the work of a request: a query still running at its deadline, or after its
client has gone, is interrupted, and the request ends with `Busy` (503).
"""

from __future__ import annotations

import atexit
import contextlib
import contextvars
import itertools
import logging
import sys
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, Final

import duckdb
import numpy as np
import pandas as pd
from starlette.concurrency import run_in_threadpool

from oversight.errors import OversightError, WarehouseError
from oversight.warehouse import connect
from oversight.warehouse.snapshot import latest_snapshot, publish_snapshot, snapshot_is_current

log = logging.getLogger("oversight.web")

CACHE_BYTES: Final = 256 * 1024 * 1024
"""Memory the cache of one snapshot may use (estimated); the least recently used entries go first."""
LARGEST_ENTRY: Final = CACHE_BYTES // 16
"""A result bigger than this is not kept (a whole measure at every level, say)."""
VERSION_CHECK_SECONDS: Final = 1.0
"""How often the folder is looked at for a newer snapshot."""
RETRY_AFTER_SECONDS: Final = 2
"""What a 503 asks the client to wait before trying again."""
SIZE_SAMPLE: Final = 16
"""Items of a container measured to estimate its size (a quarter as many one level down, at least two)."""
MAX_DEPTH: Final = 12
"""Containers nested deeper than this count as empty (cached values nest a few levels at most)."""
FRAME_SAMPLE_ROWS: Final = 2_000
"""A frame longer than this is weighed from every n-th row: weighing every row's objects (text,
lists) would take about as long as reading them."""


class Busy(OversightError):
    """The server cannot answer this request now (overloaded, or the request ran out of time): 503."""

    status = 503
    retry_after = RETRY_AFTER_SECONDS


class Budget:
    """How long one request may work, and whether its client is still there. Queries running
    when it runs out are interrupted; new ones are refused."""

    def __init__(self, seconds: float) -> None:
        self.deadline = time.monotonic() + seconds
        self.cancelled = False
        self._cursors: set[duckdb.DuckDBPyConnection] = set()
        self._lock = threading.Lock()

    def check(self) -> None:
        if self.cancelled:
            raise Busy("the request was abandoned")
        if time.monotonic() > self.deadline:
            raise Busy("the server is busy and could not answer in time; please try again shortly")

    def cancel(self) -> None:
        """The client has gone: stop the work done for it."""
        self.cancelled = True
        with self._lock:
            for cursor in self._cursors:
                cursor.interrupt()

    @contextlib.contextmanager
    def watching(self, cursor: duckdb.DuckDBPyConnection) -> Iterator[None]:
        self.check()
        timer = threading.Timer(max(0.0, self.deadline - time.monotonic()), cursor.interrupt)
        timer.daemon = True
        with self._lock:
            self._cursors.add(cursor)
        timer.start()
        try:
            yield
        except duckdb.InterruptException:
            self.check()
            raise Busy("the query was interrupted") from None
        finally:
            timer.cancel()
            with self._lock:
                self._cursors.discard(cursor)


# the cache ---------------------------------------------------------------------------------------


class Cache:
    """Values by key, the least recently used going first once their estimated sizes add up to
    more than `max_bytes`; a value bigger than `largest` is returned but not kept.

    `get` computes a value once: a thread asking for a key that another is computing waits for
    that result instead of computing it again (keys nest page > figures > lookups, never in a
    cycle, so waiting cannot deadlock)."""

    def __init__(self, max_bytes: int = CACHE_BYTES, largest: int = LARGEST_ENTRY) -> None:
        self.max_bytes = max_bytes
        self.largest = largest
        self.bytes = 0
        """The estimated size of every value kept."""
        self._entries: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._computing: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._entries

    def peek(self, key: Hashable) -> Any | None:
        """The value kept for `key`, or None: never computes, never waits."""
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            self._entries.move_to_end(key)
            return found[0]

    def get(self, key: Hashable, compute: Callable[[], Any], size: int | None = None) -> Any:
        """The value kept for `key`, else `compute()`, kept; `size` is its size in bytes when the
        caller knows it better or sooner than `size_of` would work it out."""
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                return found[0]
            computing = self._computing.setdefault(key, threading.Lock())
        with computing:
            with self._lock:
                found = self._entries.get(key)
                if found is not None:  # computed by the thread this one waited for
                    return found[0]
            try:
                value = compute()
            except BaseException:
                with self._lock:
                    self._computing.pop(key, None)
                raise
            self._keep(key, value, size_of(value) if size is None else size)  # measured outside the lock
        return value

    def _keep(self, key: Hashable, value: Any, size: int) -> None:
        with self._lock:
            self._computing.pop(key, None)
            if size > self.largest:
                return
            replaced = self._entries.pop(key, None)
            if replaced is not None:
                self.bytes -= replaced[1]
            self._entries[key] = (value, size)
            self.bytes += size
            while self.bytes > self.max_bytes:
                self.bytes -= self._entries.popitem(last=False)[1][1]


def size_of(value: Any) -> int:
    """About the bytes `value` holds, with what it refers to: enough to keep the cache bounded.
    Arrays and frames count their data (strings in object columns included); a container is
    measured from a sample of its items, fewer at each level down, so a list of a million rows
    costs no more to measure than a list of ten."""
    return _size(value, SIZE_SAMPLE, 0)


def _size(value: Any, sample: int, depth: int) -> int:
    if isinstance(value, pd.DataFrame):
        if len(value) > FRAME_SAMPLE_ROWS:
            every = len(value) // FRAME_SAMPLE_ROWS
            rows = value.iloc[::every]
            return int(rows.memory_usage(index=False, deep=True).sum() * len(value) / len(rows)
                       + value.index.memory_usage())
        return int(value.memory_usage(index=True, deep=True).sum())
    if isinstance(value, pd.Series | pd.Index):
        return int(value.memory_usage(deep=True))
    if isinstance(value, np.ndarray):
        return sys.getsizeof(np.empty(0)) + value.nbytes  # a view does not own its data, but keeps it alive
    if isinstance(value, memoryview):
        return sys.getsizeof(value) + value.nbytes
    if depth > MAX_DEPTH:
        return sys.getsizeof(value)
    if isinstance(value, dict):  # its keys are mostly names many dicts share (the columns of rows)
        return sys.getsizeof(value) + _sampled(value.values(), len(value), sample, depth)
    if isinstance(value, list | tuple | set | frozenset):
        return sys.getsizeof(value) + _sampled(value, len(value), sample, depth)
    fields = getattr(value, "__dict__", None)  # a dataclass, a response
    if isinstance(fields, dict):
        return sys.getsizeof(value) + _size(fields, sample, depth + 1)
    return sys.getsizeof(value)  # a string, bytes, a number


def _sampled(items: Iterable[Any], count: int, sample: int, depth: int) -> int:
    """The size of `count` items, estimated from the first `sample` of them."""
    taken = list(itertools.islice(items, sample))
    if not taken:
        return 0
    inner = max(2, sample // 4)
    return sum(_size(item, inner, depth + 1) for item in taken) * count // len(taken)


# snapshots ---------------------------------------------------------------------------------------


class Snapshot:
    """One published snapshot, open read-only, with its cache; closed once retired and unused."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.con: duckdb.DuckDBPyConnection | None = connect(path, read_only=True)
        except WarehouseError as exc:
            raise WarehouseError(f"cannot open the published snapshot: {exc.reason}", path=str(path)) from exc
        self.cache = Cache()
        self.users = 0
        self.retired = False
        self._closing = False
        self._lock = threading.Lock()
        _OPEN.add(self)

    def enter(self) -> bool:
        """Count one more user; False when the snapshot is closing (then it cannot be used)."""
        with self._lock:
            if self._closing:
                return False
            self.users += 1
            return True

    def leave(self) -> bool:
        """Count one user fewer; True when that was the last user of a retired snapshot, which
        the caller then closes (closing is file work: the caller knows where to do it)."""
        with self._lock:
            self.users -= 1
            return self._last_user_gone()

    def retire(self) -> bool:
        """A newer snapshot took over; True when nobody uses this one (the caller closes it)."""
        with self._lock:
            self.retired = True
            return self._last_user_gone()

    def _last_user_gone(self) -> bool:
        if self.retired and self.users == 0 and not self._closing:
            self._closing = True  # from now on nobody enters, so closing cannot pull it from under a user
            return True
        return False

    def close(self) -> None:
        con, self.con = self.con, None  # freed now, not whenever the snapshot object is
        if con is not None:
            con.close()


_OPEN: weakref.WeakSet[Snapshot] = weakref.WeakSet()


@atexit.register
def _close_open_snapshots() -> None:
    """Close what is still open when the process ends (DuckDB objects must not outlive it). A
    thread the process is leaving behind may still be reading: its query is interrupted first,
    and a connection that stays busy is left to the process's end rather than failing it."""
    for snapshot in list(_OPEN):
        con = snapshot.con
        if con is not None:
            with contextlib.suppress(duckdb.Error):
                con.interrupt()
        with contextlib.suppress(duckdb.Error):
            snapshot.close()


_PINNED: contextvars.ContextVar[Snapshot | WarehouseError | None] = contextvars.ContextVar(
    "oversight_snapshot", default=None)
"""The snapshot the current request reads, or why none could be opened; None outside a request."""
_BUDGET: contextvars.ContextVar[Budget | None] = contextvars.ContextVar("oversight_budget", default=None)


class Snapshots:
    """The published snapshots of one warehouse as the site serves them: the newest one open,
    a newer one looked for at most once a second, each request pinned to the one it began on."""

    def __init__(self, warehouse: Path) -> None:
        self.warehouse = warehouse
        self.on_new: list[Callable[[], None]] = []
        """Called (in the thread that opened it) when a newer snapshot takes over, e.g. to warm it."""
        self._lock = threading.RLock()  # held while looking for and opening a snapshot
        self._newest: Snapshot | None = None
        self._checked = 0.0  # time.monotonic() of the last look at the folder
        self._problem: WarehouseError | None = None

    def close(self) -> None:
        """Let go of the snapshot being served (requests still reading it finish first)."""
        with self._lock:
            snapshot, self._newest = self._newest, None
        if snapshot is not None and snapshot.retire():
            snapshot.close()

    def current(self) -> Snapshot:
        """The snapshot the current request is pinned to, else the newest one."""
        pinned = _PINNED.get()
        if isinstance(pinned, Snapshot):
            return pinned
        if isinstance(pinned, WarehouseError):
            raise pinned.with_traceback(None)  # the request's page reports it
        return self._refresh()

    def serving(self, budget: Budget | None = None) -> Serving:
        """Pin the calls inside to one snapshot (when one can be opened) and bound their work:
        `with` in a worker thread, `async with` on the event loop."""
        return Serving(self, budget)

    @contextlib.contextmanager
    def connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor on the snapshot being served, watched by the request's budget."""
        snapshot = self._enter()
        budget = _BUDGET.get()
        try:
            assert snapshot.con is not None, "a snapshot in use is never closed"
            cursor = snapshot.con.cursor()
            try:
                if budget is None:
                    yield cursor
                else:
                    with budget.watching(cursor):
                        yield cursor
            finally:
                cursor.close()
        finally:
            if snapshot.leave():
                snapshot.close()

    def peek(self, key: Hashable) -> Any | None:
        """The cached value for `key` in the current snapshot, or None: never computes, never waits."""
        try:
            return self.current().cache.peek(key)
        except WarehouseError:
            return None

    def cached(self, key: Hashable, compute: Callable[[], Any], size: int | None = None) -> Any:
        """`compute()` once per key and snapshot (see `Cache.get`)."""
        return self.current().cache.get(key, compute, size)

    # opening ---------------------------------------------------------------------------------

    def _enter(self) -> Snapshot:
        """`current()`, counted as in use until `leave()`, so it cannot be closed meanwhile."""
        pinned = _PINNED.get()
        if isinstance(pinned, Snapshot):
            entered = pinned.enter()
            assert entered, "a pinned snapshot is in use, so never closing"
            return pinned
        if isinstance(pinned, WarehouseError):
            raise pinned.with_traceback(None)
        return self._refresh(enter=True)

    def _enter_open(self) -> Snapshot | None:
        """The open snapshot, counted as in use, when it is not time to look for a newer one;
        else None. No file work, and no lock that file work holds: fit for the event loop."""
        snapshot = self._newest
        if snapshot is None or time.monotonic() - self._checked >= VERSION_CHECK_SECONDS:
            return None
        return snapshot if snapshot.enter() else None

    def _enter_newest(self) -> Snapshot | WarehouseError:
        """The newest snapshot, counted as in use, or why none can be opened (file work)."""
        try:
            return self._refresh(enter=True)
        except WarehouseError as exc:
            return exc

    def _refresh(self, *, enter: bool = False) -> Snapshot:
        now = time.monotonic()
        previous = None
        with self._lock:
            if now - self._checked >= VERSION_CHECK_SECONDS or self._newest is None:
                previous = self._look_for_newer(now)
            current = self._newest
            assert current is not None
            if enter:
                current.enter()  # the newest is never closing: it has not been retired
        if previous is not None:
            if previous.retire():
                previous.close()
            log.info("serving the snapshot %s", current.path.name)
            for callback in self.on_new:
                callback()
        return current

    def _look_for_newer(self, now: float) -> Snapshot | None:
        """Open a newer snapshot when there is one; returns the one it replaces. Raises
        WarehouseError only while there is nothing to serve (at most once a second)."""
        if self._newest is None and self._problem is not None and now - self._checked < VERSION_CHECK_SECONDS:
            raise self._problem
        self._checked = now
        try:
            newest = self._newest_path()
            if self._newest is not None and self._newest.path == newest:
                return None
            opened = Snapshot(newest)
        except WarehouseError as exc:
            self._problem = exc
            if self._newest is None:
                raise
            return None  # keep serving what is open
        previous, self._newest, self._problem = self._newest, opened, None
        return previous

    def _newest_path(self) -> Path:
        """The newest snapshot; on first use one is published when there is none, or when the
        warehouse changed since (the server is not serving yet, so it holds no one up)."""
        if self._newest is None and self.warehouse.exists() and not snapshot_is_current(self.warehouse):
            try:
                publish_snapshot(self.warehouse)
            except WarehouseError as exc:
                log.warning("serving the last published snapshot: %s", exc)
        newest = latest_snapshot(self.warehouse)
        if newest is None:
            raise WarehouseError(
                "no figures published yet; load data with 'oversight ingest' and run 'oversight build'",
                path=str(self.warehouse),
            )
        return newest


class Serving:
    """`Snapshots.serving`: pins a request to one snapshot and its budget while inside."""

    def __init__(self, snapshots: Snapshots, budget: Budget | None) -> None:
        self._snapshots = snapshots
        self._budget = budget
        self._pinned: Snapshot | WarehouseError | None = None
        self._tokens: tuple[contextvars.Token[Any], contextvars.Token[Any]] | None = None

    def __enter__(self) -> None:
        self._pin(self._snapshots._enter_newest())

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        snapshot = self._unpin()
        if snapshot is not None and snapshot.leave():
            snapshot.close()

    async def __aenter__(self) -> None:
        # Usually the open snapshot at once; when it is time to look for a newer one, the
        # looking (and any opening) happens in a worker thread, never on the event loop.
        pinned: Snapshot | WarehouseError | None = self._snapshots._enter_open()
        if pinned is None:
            pinned = await run_in_threadpool(self._snapshots._enter_newest)
        self._pin(pinned)

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        traceback: TracebackType | None) -> None:
        snapshot = self._unpin()
        if snapshot is not None and snapshot.leave():
            await run_in_threadpool(snapshot.close)

    def _pin(self, pinned: Snapshot | WarehouseError) -> None:
        self._pinned = pinned
        self._tokens = (_PINNED.set(pinned), _BUDGET.set(self._budget))

    def _unpin(self) -> Snapshot | None:
        assert self._tokens is not None, "left without entering"
        pinned_token, budget_token = self._tokens
        _PINNED.reset(pinned_token)
        _BUDGET.reset(budget_token)
        self._tokens = None
        return self._pinned if isinstance(self._pinned, Snapshot) else None
