"""Admission: cached answers go straight out; other work waits for a few slots, and is turned
away with 503 and Retry-After rather than queueing without end (#8).

Every GET or HEAD (static files aside) is pinned to one published snapshot. An answer already
sent for the same address and snapshot is replayed from the cache on the event loop, without a
worker thread, so cached pages stay fast however much uncached traffic arrives. Any other
request needs one of MAX_RUNNING work slots: it waits at most WAIT_SECONDS, behind at most
MAX_WAITING others, else it gets 503. Once running it has WORK_SECONDS (`store.Budget`); its
queries are interrupted when that runs out or when its client disconnects, so abandoned work
stops instead of holding a slot.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from oversight.errors import OversightError
from oversight.web.store import Budget, Busy, Store

MAX_RUNNING: Final = max(2, os.cpu_count() or 2)
"""Requests doing uncached work at once: about one per core, as the work is CPU-bound."""
MAX_WAITING: Final = 64
"""Requests waiting for a slot; one more is turned away at once."""
WAIT_SECONDS: Final = 5.0
"""Longest wait for a slot before a 503."""
WORK_SECONDS: Final = 15.0
"""Longest a request may work once it has a slot."""
LARGEST_ANSWER: Final = 8 * 1024 * 1024
PRIVATE: Final = ("/records/", "/records")
"""Pages for one signed-in person (the records service): never replayed to anyone else, never pinned
to a snapshot of the figures."""
"""Answers bigger than this are not kept whole (their parts are, in the store's cache)."""


@dataclass(frozen=True)
class Answer:
    """A whole response as sent: replayed for the same address until the next snapshot."""

    start: Message
    body: bytes

    def start_message(self) -> Message:
        """A fresh copy to send: middleware outside may add headers to it."""
        return _copy_start(self.start)


class Traffic:
    """ASGI middleware applying the rules above; `reject(scope, error)` renders a 503."""

    def __init__(self, app: ASGIApp, *, reject: Callable[[Scope, OversightError], Response]) -> None:
        self.app = app
        self.reject = reject
        self.slots = asyncio.Semaphore(MAX_RUNNING)
        self.max_waiting = MAX_WAITING
        self.wait_seconds = WAIT_SECONDS
        self.work_seconds = WORK_SECONDS
        self.waiting = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or scope["method"] not in ("GET", "HEAD") or scope["path"].startswith("/static/")
                or scope["path"].startswith(PRIVATE)):
            await self.app(scope, receive, send)
            return
        store: Store = scope["app"].state.store
        # One answer kept per encoding: a compressed one goes only to clients that accept gzip.
        key = ("answer", scope["method"], scope["path"], scope["query_string"], accepts_gzip(scope))
        budget = Budget(self.wait_seconds + self.work_seconds)
        async with store.serving(budget):
            found = store.peek(key)
            if isinstance(found, Answer):
                await send(found.start_message())
                await send({"type": "http.response.body", "body": found.body})
                return
            listener = _Listener(receive, on_gone=budget.cancel)
            watching = asyncio.ensure_future(listener.run())
            try:
                admitted = await self._wait_for_slot(listener.gone)
                if admitted is None:
                    return  # the client left while waiting: nothing to do for it
                if not admitted:
                    await self.reject(scope, Busy("the server is busy; please try again shortly"))(
                        scope, listener.receive, send)
                    return
                try:
                    answer = await self._run(scope, listener.receive, send)
                finally:
                    self.slots.release()
            finally:
                watching.cancel()
            if answer is not None:
                store.cached(key, lambda: answer)

    async def _wait_for_slot(self, gone: asyncio.Event) -> bool | None:
        """True with a slot held; False when the queue is full or the wait too long; None when
        the client has gone."""
        if not self.slots.locked():
            await self.slots.acquire()  # a free slot: taken at once
            return True
        if self.waiting >= self.max_waiting:
            return False
        self.waiting += 1
        acquiring = asyncio.ensure_future(self.slots.acquire())
        leaving = asyncio.ensure_future(gone.wait())
        try:
            await asyncio.wait({acquiring, leaving}, timeout=self.wait_seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self.waiting -= 1
            leaving.cancel()
            if not acquiring.done():
                acquiring.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await acquiring
        held = acquiring.done() and not acquiring.cancelled()
        if held and gone.is_set():
            self.slots.release()
            return None
        return True if held else (None if gone.is_set() else False)

    async def _run(self, scope: Scope, receive: Receive, send: Send) -> Answer | None:
        """Run the request, sending as it goes; the whole answer when it may be replayed."""
        start: Message | None = None
        chunks: list[bytes] = []
        size = 0

        async def capture(message: Message) -> None:
            nonlocal start, size
            if message["type"] == "http.response.start":
                start = _copy_start(message)  # outer middleware may add headers to the one sent
            elif message["type"] == "http.response.body" and size <= LARGEST_ANSWER:
                chunks.append(message.get("body", b""))
                size += len(chunks[-1])
            await send(message)

        await self.app(scope, receive, capture)
        if start is None or start["status"] != 200 or size > LARGEST_ANSWER:
            return None
        return Answer(start, b"".join(chunks))


def accepts_gzip(scope: Scope) -> bool:
    """Whether the client takes gzip, by the test Starlette's GZipMiddleware applies."""
    return "gzip" in Headers(scope=scope).get("accept-encoding", "")


def _copy_start(message: Message) -> Message:
    return {**message, "headers": list(message.get("headers", []))}


class _Listener:
    """Reads the client's messages for the app, and notices when the client disconnects."""

    def __init__(self, receive: Receive, on_gone: Callable[[], None]) -> None:
        self._receive = receive
        self._messages: asyncio.Queue[Message] = asyncio.Queue()
        self._on_gone = on_gone
        self.gone = asyncio.Event()

    async def run(self) -> None:
        while True:
            message = await self._receive()
            await self._messages.put(message)
            if message["type"] == "http.disconnect":
                self.gone.set()
                self._on_gone()
                return

    async def receive(self) -> Message:
        return await self._messages.get()


def retry_after(error: Any) -> dict[str, str]:
    """The Retry-After header for an error that asks the client to come back later."""
    seconds = getattr(error, "retry_after", None)
    return {"Retry-After": str(seconds)} if seconds else {}
