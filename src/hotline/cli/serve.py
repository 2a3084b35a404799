"""``hotline serve --host H --port P``: run the API (settings also from ``HOTLINE_*``)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from hotline.settings import Settings


def settings_from(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {}
    for name in ("host", "port", "db", "data_dir"):
        value = getattr(args, name, None)
        if value is not None:
            overrides[name] = Path(value) if name == "data_dir" else value
    return Settings(**overrides)


def add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", dest="data_dir", help="keys and database (HOTLINE_DATA_DIR)")
    p.add_argument("--db", help="sqlite:///file.db or postgresql://... (HOTLINE_DB)")


def register(verbs: Any) -> None:
    p = verbs.add_parser("serve", help="run the API server")
    p.add_argument("--host", help="address to bind (default 127.0.0.1, HOTLINE_HOST)")
    p.add_argument("--port", type=int, help="port (default 8000, HOTLINE_PORT)")
    add_common(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from hotline.api import create_app

    settings = settings_from(args)
    app = create_app(settings)
    print(f"Hotline API on http://{settings.host}:{settings.port}  (docs: /docs)", flush=True)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="info")
    return 0
