"""``/v1/events``: the caller's party's event stream — polling, server-sent events, and
confirmation of delivery with signed receipts.

Contract: an event is an alert raised or a message sent to the caller's party, numbered by a
per-party gap-free ``seq`` (1, 2, 3...) kept in the database, so a cursor survives dropped
connections and server restarts.

- ``GET /v1/events?after=SEQ&limit=N`` (duty or admin): events with seq > SEQ (default 0), in
  order; ``cursor`` is the seq to pass as ``after`` next time, ``next`` is that seq when the
  page was full (more may wait) else null.
- ``GET /v1/events`` with ``Accept: text/event-stream``, or ``GET /v1/events/stream``
  (duty or admin): ``text/event-stream``; each event is
  ``id: <seq>``, ``event: <kind>`` (``alert``, ``message``, or a wrapped ``escalation``,
  ``unacknowledged``, ``acknowledged``...), ``data: <the event's JSON>``. It starts after the
  ``Last-Event-ID`` header (a browser's EventSource sends it on reconnecting), else after
  ``?after=``, else from the first event. A commit that appends events wakes the stream at
  once (the store's bell, rung across the worker processes of a server too; the stream
  listens from before each read, so a commit made during a read is not missed); otherwise the
  store is polled every ``events_poll_s`` (setting, 0.1 s by default); a
  comment line (``: keep-alive``) goes out after :data:`KEEPALIVE_S` without events; the
  stream ends when the client disconnects. Writing an event to the socket does not count as
  delivery. Each wake reads every new event (up to :data:`_PAGE`) in one query, as JSON text
  around the stored bodies' text (no parsing and encoding again; the same JSON values as the
  polling answer), and writes them to the socket in one chunk. The reads of all the streams
  that wake together (those one commit rang) go to one worker thread in one read transaction
  (:class:`_Reads`), not one thread hand-off each; those threads are the streams' own
  (:data:`READ_THREADS`), so reads never queue behind request handlers blocked on a write; the
  handlers are ``async`` (no worker thread needed to start a stream or answer a poll).
- ``POST /v1/events/ack`` ``{"through": SEQ}`` (duty only): confirms receipt of every event up
  to SEQ; answers ``{"through", "receipts"}`` with one signed ``hotline.receipt.v1`` receipt
  (event ``delivered``) per event this call confirmed. A repeat confirms nothing new and
  answers no receipts; receipts stay in each event's ``delivery``. ``through`` outside
  1..the party's last seq, or not an integer, is 400 and changes nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import weakref
from collections.abc import AsyncIterator, Sequence

import anyio
from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import Field, StrictInt

from hotline.adapters.bell import Bell, Listener
from hotline.api.auth import DECLARE, READ, requires
from hotline.api.schemas import Strict
from hotline.domain.errors import InvalidInput
from hotline.relay.events import EventData, event_json
from hotline.relaying import EventDesk
from hotline.service import Actor

router = APIRouter(prefix="/v1/events")

#: How long a stream may stay silent before it sends a keep-alive comment (seconds).
KEEPALIVE_S = 15.0
#: The most events one read takes (and one chunk carries).
_PAGE = 1000
#: Worker threads event streams may use for their reads at once (a limiter apart from the
#: one sync endpoints share: under a queue of writes, those threads are all blocked).
READ_THREADS = 8


class AckIn(Strict):
    through: StrictInt = Field(description="the seq of the last event received")


async def desk(request: Request) -> EventDesk:
    found: EventDesk = request.app.state.events
    return found


@router.get("", name="list_events")
async def list_events(
    request: Request,
    actor: Actor = Depends(requires(READ)),
    events: EventDesk = Depends(desk),
    after: int = Query(0, ge=0, description="the seq of the last event already seen"),
    limit: int = Query(100, ge=1, le=1000),
    last_event_id: str | None = Header(None, description="resume after this seq (SSE)"),
) -> Response:
    """Poll (JSON), or, with ``Accept: text/event-stream``, the server-sent event stream:
    DESIGN.md's ``GET /v1/events`` contract, so an ``EventSource`` can use this URL."""
    if "text/event-stream" in request.headers.get("accept", ""):
        return _streaming(request, events, actor, _start(last_event_id, after))
    page = await anyio.to_thread.run_sync(events.list, actor, after, limit,
                                          limiter=_reader(events).limiter)
    items = [event_json(e) for e in page]
    cursor = items[-1]["seq"] if items else after
    return JSONResponse({"items": items, "cursor": cursor,
                         "next": cursor if len(items) == limit else None})


@router.post("/ack", name="ack_events")
def ack_events(
    body: AckIn, actor: Actor = Depends(requires(DECLARE)), events: EventDesk = Depends(desk)
) -> JSONResponse:
    done = events.ack(actor, body.through)
    return JSONResponse({"through": done.through, "receipts": done.receipts})


def _frame(e: EventData) -> bytes:
    return f"id: {e.seq}\nevent: {e.kind}\ndata: {e.data}\n\n".encode()


def _start(last_event_id: str | None, after: int | None) -> int:
    if last_event_id is None or not last_event_id.strip():
        return after or 0
    text = last_event_id.strip()
    if not text.isdigit() or len(text) > 18:
        raise InvalidInput(f"Last-Event-ID {last_event_id!r} is not an event seq",
                           hint="send the id of the last event received (a non-negative "
                           "integer), or no header to start from the first event",
                           where="header.Last-Event-ID")
    return int(text)


class _Reads:
    """The event-stream reads of one event loop, coalesced: the reads asked for while the
    loop runs its ready callbacks (typically every stream one commit woke) go to one worker
    thread together, in one read transaction, instead of one thread hand-off each."""

    def __init__(self, events: EventDesk) -> None:
        self.events = events
        self.limiter = anyio.CapacityLimiter(READ_THREADS)
        self._pending: list[tuple[Actor, int, asyncio.Future[Sequence[EventData]]]] = []
        self._running: set[asyncio.Task[None]] = set()  # (the loop keeps only weak refs)

    async def read(self, actor: Actor, after: int) -> Sequence[EventData]:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[Sequence[EventData]] = loop.create_future()
        if not self._pending:  # the first read of this round: run them all once it is over
            loop.call_soon(self._start)
        self._pending.append((actor, after, done))
        return await done

    def _start(self) -> None:
        task = asyncio.get_running_loop().create_task(self._run(self._take()))
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    def _take(self) -> list[tuple[Actor, int, asyncio.Future[Sequence[EventData]]]]:
        batch, self._pending = self._pending, []
        return batch

    async def _run(self, batch: list[tuple[Actor, int, asyncio.Future[Sequence[EventData]]]]
                   ) -> None:
        try:
            pages: Sequence[Sequence[EventData] | Exception] = await anyio.to_thread.run_sync(
                self.events.data_many, [(a, c) for a, c, _ in batch], _PAGE,
                limiter=self.limiter)
        except BaseException as exc:  # the thread hand-off itself failed: all of them
            for _, _, done in batch:
                if not done.done():
                    done.set_exception(exc if isinstance(exc, Exception) else
                                       RuntimeError("event read cancelled"))
            raise
        for (_, _, done), page in zip(batch, pages, strict=True):
            if done.done():  # that stream went away
                continue
            if isinstance(page, Exception):
                done.set_exception(page)
            else:
                done.set_result(page)


_reads: weakref.WeakKeyDictionary[
    EventDesk, weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Reads]] = (
    weakref.WeakKeyDictionary())


def _reader(events: EventDesk) -> _Reads:
    """The coalesced stream reads of this app's events on the running loop (made on first
    use; an app served by two loops, as the primary worker's is, has one per loop)."""
    loop = asyncio.get_running_loop()
    per_loop = _reads.get(events)
    if per_loop is None:
        per_loop = _reads[events] = weakref.WeakKeyDictionary()
    found = per_loop.get(loop)
    if found is None:
        found = per_loop[loop] = _Reads(events)
    return found


async def _stream(request: Request, events: EventDesk, actor: Actor,
                  after: int) -> AsyncIterator[bytes]:
    yield b"retry: 1000\n\n"
    bell: Bell | None = getattr(request.app.state.store, "bell", None)
    with contextlib.ExitStack() as stack:
        # Listening from before each read: a commit during the read wakes the next wait.
        ears = None if bell is None else stack.enter_context(bell.listen(actor.party))
        async for chunk in _chunks(request, events, actor, after, ears):
            yield chunk


async def _chunks(request: Request, events: EventDesk, actor: Actor, after: int,
                  ears: Listener | None) -> AsyncIterator[bytes]:
    cursor = after
    quiet_since = time.monotonic()
    reads = _reader(events)
    poll_s: float = request.app.state.settings.events_poll_s
    while not await request.is_disconnected():
        if ears is not None:
            ears.clear()
        page = await reads.read(actor, cursor)
        if page:
            yield b"".join(_frame(e) for e in page)
            cursor = page[-1].seq
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= KEEPALIVE_S:
            yield b": keep-alive\n\n"
            quiet_since = time.monotonic()
        if len(page) < _PAGE:
            # Woken at once by a commit that appended events (in this process or, through
            # the peer bells, in another worker); the timeout still polls the store, for
            # writes of processes that ring no bell here (another server, a CLI).
            if ears is None:
                await anyio.sleep(poll_s)
            else:
                await ears.wait(poll_s)


@router.get("/stream", name="stream_events", response_class=StreamingResponse)
async def stream_events(
    request: Request,
    actor: Actor = Depends(requires(READ)),
    events: EventDesk = Depends(desk),
    after: int | None = Query(None, ge=0, description="used when Last-Event-ID is absent"),
    last_event_id: str | None = Header(None, description="resume after this seq"),
) -> StreamingResponse:
    return _streaming(request, events, actor, _start(last_event_id, after))


def _streaming(
    request: Request, events: EventDesk, actor: Actor, start: int
) -> StreamingResponse:
    return StreamingResponse(
        _stream(request, events, actor, start), media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
