"""The duty-officer console: the static files of ``hotline/web`` served at ``/``.

Contract: ``GET /`` answers the console's ``index.html``; every other file under
``hotline/web`` (ES modules, CSS, vendored Leaflet, topojson-client and the Natural Earth
TopoJSON) is served by path. Nothing is fetched from elsewhere at run time, and the answers
carry a Content-Security-Policy that allows only this origin, so the page can talk to no other
host. The console holds its token in memory or ``sessionStorage`` and sends it as a bearer
header; it never appears in a URL. Installed after every API route, so ``/v1``, ``/healthz``
and ``/docs`` keep precedence.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

#: The console's files (package data: shipped in the wheel beside the code).
WEB_DIR = Path(__file__).resolve().parent.parent / "web"

CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
       "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
       "form-action 'none'")


class _ConsoleFiles(StaticFiles):
    """Static files with the console's security headers and revalidation on every load."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: dict[str, object]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))  # type: ignore[call-overload]
                headers += [(b"content-security-policy", CSP.encode()),
                            (b"x-content-type-options", b"nosniff"),
                            (b"referrer-policy", b"no-referrer"),
                            (b"cache-control", b"no-cache")]
                message = {**message, "headers": headers}
            await send(message)

        await super().__call__(scope, receive, send_with_headers)  # type: ignore[arg-type]


def install(app: FastAPI) -> None:
    """Mount the console at ``/`` (call last: a mount at ``/`` matches any path)."""
    app.mount("/", _ConsoleFiles(directory=WEB_DIR, html=True), name="console")
