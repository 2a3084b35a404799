"""Live-track requests on a worker that is not the primary are relayed to the primary.

Contract: in a server of several workers (``hotline serve --workers N``) the live track board
lives in the primary worker only (:mod:`hotline.adapters.primary`), so every request under
``/v1/tracks`` that reaches another worker is passed on, unchanged (method, the path and
query exactly as sent, headers, streamed body), over the primary's Unix socket; the primary's
answer is streamed back as it is (status, headers, undecoded body), less hop-by-hop headers
and the ``Date`` and ``Server`` this worker's own server adds. The client's address and
scheme go along as ``X-Forwarded-For`` and ``X-Forwarded-Proto`` (the client's own
``X-Forwarded-*`` and ``Forwarded`` headers are dropped: the primary's socket trusts these).
Requests go through the transport alone: no cookie jar, no default headers. While no worker
is the primary (it died and another is taking over, within about a second), or when the
primary died before it answered, such requests get 503 problem+json with ``Retry-After: 1``
(a retried batch of reports is harmless: reports already stored come back
``out_of_order``). Every other request, and every request on the primary, is served where it
arrived.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
from starlette.types import ASGIApp, Receive, Scope, Send

PREFIX = "/v1/tracks"
#: Request headers not passed on: hop by hop, or set by the relay itself (the client's own
#: X-Forwarded-* and Forwarded would otherwise be trusted by the primary's socket).
_DROP_REQUEST = {b"host", b"connection", b"keep-alive", b"transfer-encoding", b"upgrade",
                 b"te", b"trailer", b"proxy-connection", b"x-forwarded-for",
                 b"x-forwarded-proto", b"x-forwarded-host", b"forwarded"}
#: Response headers not passed on: hop by hop, or added again by this worker's own server.
_DROP_RESPONSE = {b"connection", b"keep-alive", b"transfer-encoding", b"upgrade", b"trailer",
                  b"proxy-connection", b"date", b"server"}


class PrimaryRelay:
    def __init__(self, app: ASGIApp, socket_path: Path, is_primary: Callable[[], bool],
                 created: Callable[[PrimaryRelay], None] | None = None,
                 timeout_s: float = 60.0) -> None:
        """``created`` is called with the new relay (so that its owner can close it)."""
        self.app = app
        self.socket_path = socket_path
        self.is_primary = is_primary
        self.timeout_s = timeout_s
        # The transport alone: no cookie jar shared between clients, no default headers.
        self._transport: httpx.AsyncHTTPTransport | None = None
        if created is not None:
            created(self)

    def _relayed(self, scope: Scope) -> bool:
        if scope["type"] != "http" or self.is_primary():
            return False
        raw: bytes = scope.get("raw_path") or scope["path"].encode()
        path = raw.split(b"?", 1)[0]
        return path == PREFIX.encode() or path.startswith(PREFIX.encode() + b"/")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._relayed(scope):
            await self.app(scope, receive, send)
            return
        if self._transport is None:
            self._transport = httpx.AsyncHTTPTransport(uds=str(self.socket_path))
        headers = [(k, v) for k, v in scope["headers"] if k.lower() not in _DROP_REQUEST]
        client = scope.get("client")
        if client:
            headers.append((b"x-forwarded-for", str(client[0]).encode()))
        headers.append((b"x-forwarded-proto", str(scope.get("scheme", "http")).encode()))
        # The path exactly as the client sent it (not re-parsed from its decoded form).
        raw: bytes = scope.get("raw_path") or scope["path"].encode()
        query: bytes = scope.get("query_string", b"")
        url = httpx.URL("http://primary").copy_with(
            raw_path=raw + (b"?" + query if query else b""))

        async def body() -> AsyncIterator[bytes]:
            while True:
                message = await receive()
                if message["type"] != "http.request":
                    return
                chunk = message.get("body", b"")
                if chunk:
                    yield chunk
                if not message.get("more_body", False):
                    return

        request = httpx.Request(scope["method"], url, headers=headers, content=body(),
                                extensions={"timeout": httpx.Timeout(self.timeout_s).as_dict()})
        try:
            answer = await self._transport.handle_async_request(request)
        except (httpx.TransportError, FileNotFoundError):  # the primary is gone (or going)
            await _unavailable(send)
            return
        try:
            out = [(k, v) for k, v in answer.headers.raw if k.lower() not in _DROP_RESPONSE]
            await send({"type": "http.response.start", "status": answer.status_code,
                        "headers": out})
            stream = answer.stream
            assert isinstance(stream, httpx.AsyncByteStream)
            async for chunk in stream:  # as sent: not decoded, not buffered
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        finally:
            await answer.aclose()

    async def aclose(self) -> None:
        if self._transport is not None:
            await self._transport.aclose()
            self._transport = None


async def _unavailable(send: Send) -> None:
    body = json.dumps({
        "type": "urn:hotline:problem:unavailable", "title": "Temporarily unavailable",
        "status": 503,
        "detail": "live tracks are served by the server's primary worker, and none is "
                  "running at this moment (one takes over within about a second): retry",
    }).encode()
    await send({"type": "http.response.start", "status": 503,
                "headers": [(b"content-type", b"application/problem+json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"retry-after", b"1")]})
    await send({"type": "http.response.body", "body": body})
