"""Live-track requests on a worker that is not the primary are relayed to the primary.

Contract: in a server of several workers (``hotline serve --workers N``) the live track board
lives in the primary worker only (:mod:`hotline.adapters.primary`), so every request under
``/v1/tracks`` that reaches another worker is passed on, unchanged (method, path, query,
headers, streamed body), over the primary's Unix socket; the primary's answer is returned as
it is. The client's address goes along as ``X-Forwarded-For`` (for the audit of
authentication failures). While no worker is the primary (it died and another is taking over,
within about a second), or when the primary died during the request, such requests get 503
problem+json with ``Retry-After: 1`` (a retried batch of reports is harmless: reports already
stored come back ``out_of_order``). Every other
request, and every request on the primary, is served where it arrived.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
from starlette.types import ASGIApp, Receive, Scope, Send

PREFIX = "/v1/tracks"
#: Headers not passed on (hop by hop, or set by the relay itself).
_DROP = {b"host", b"connection", b"keep-alive", b"transfer-encoding", b"upgrade",
         b"x-forwarded-for", b"te", b"trailer", b"proxy-connection"}


class PrimaryRelay:
    def __init__(self, app: ASGIApp, socket_path: Path, is_primary: Callable[[], bool],
                 created: Callable[[PrimaryRelay], None] | None = None,
                 timeout_s: float = 60.0) -> None:
        """``created`` is called with the new relay (so that its owner can close it)."""
        self.app = app
        self.socket_path = socket_path
        self.is_primary = is_primary
        self.timeout_s = timeout_s
        self._client: httpx.AsyncClient | None = None
        if created is not None:
            created(self)

    def _relayed(self, scope: Scope) -> bool:
        if scope["type"] != "http" or self.is_primary():
            return False
        path: str = scope["path"]
        return path == PREFIX or path.startswith(PREFIX + "/")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._relayed(scope):
            await self.app(scope, receive, send)
            return
        if self._client is None:
            self._client = httpx.AsyncClient(
                transport=httpx.AsyncHTTPTransport(uds=str(self.socket_path)),
                timeout=self.timeout_s)
        headers = [(k, v) for k, v in scope["headers"] if k.lower() not in _DROP]
        client = scope.get("client")
        if client:
            headers.append((b"x-forwarded-for", str(client[0]).encode()))
        query = scope.get("query_string", b"")
        url = "http://primary" + scope["path"] + ("?" + query.decode("latin-1") if query else "")

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

        try:
            answer = await self._client.request(scope["method"], url, headers=headers,
                                                content=body())
        except (httpx.TransportError, FileNotFoundError):  # the primary is gone (or going)
            await _unavailable(send)
            return
        out = [(k.encode("latin-1"), v.encode("latin-1"))
               for k, v in answer.headers.multi_items()
               if k.lower().encode() not in _DROP and k.lower() != "content-length"]
        out.append((b"content-length", str(len(answer.content)).encode()))
        await send({"type": "http.response.start", "status": answer.status_code,
                    "headers": out})
        await send({"type": "http.response.body", "body": answer.content})

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


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
