"""The HTTP API: a thin FastAPI layer over :mod:`hotline.service`, built by ``create_app``."""

from hotline.api.app import create_app

__all__ = ["create_app"]
