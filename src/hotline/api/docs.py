"""Interactive API docs served from vendored files (``fastapi-offline``'s Swagger UI and
ReDoc bundles): nothing is fetched from a CDN, so ``/docs`` works on a closed network."""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(fastapi_offline.__file__).parent / "static"


def install(app: FastAPI) -> None:
    app.mount("/_docs-static", StaticFiles(directory=STATIC), name="docs-static")

    @app.get("/docs", include_in_schema=False)
    def swagger() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="Hotline API",
            swagger_js_url="/_docs-static/swagger-ui-bundle.js",
            swagger_css_url="/_docs-static/swagger-ui.css",
            swagger_favicon_url="/_docs-static/favicon.png",
        )

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url="/openapi.json",
            title="Hotline API",
            redoc_js_url="/_docs-static/redoc.standalone.js",
            redoc_favicon_url="/_docs-static/favicon.png",
            with_google_fonts=False,
        )
