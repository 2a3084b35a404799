"""One table from exceptions to HTTP statuses; every error body is RFC 9457 problem+json.

Contract: a problem body has ``type``, ``title``, ``status``, ``detail`` (what was wrong, where,
and how to fix it) and, for bad input, ``errors`` (one entry per problem with ``loc``, ``msg``
and ``hint``). Nothing is changed when an error is returned, except that every 401 appends one
``auth.failure`` audit record (party and officer as the token claims them, unverified, else
``unknown``; the reason and the source address) — rate-limited per source, the excess counted
in one ``auth.failure.summary`` record (:mod:`hotline.api.authlog`); failing to record it is
logged and never changes the answer.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from hotline.adapters.tokens import unverified_identity
from hotline.domain.errors import (
    Conflict,
    Forbidden,
    HotlineError,
    InvalidInput,
    NotFound,
    Unauthorized,
    Unprocessable,
)

PROBLEM = "application/problem+json"
log = logging.getLogger("hotline.api")

#: exception class → (status, problem slug, title). The first matching class wins.
STATUS_TABLE: list[tuple[type[HotlineError], int, str, str]] = [
    (Unauthorized, 401, "unauthorized", "Authentication required"),
    (Forbidden, 403, "forbidden", "Not allowed"),
    (NotFound, 404, "not-found", "Not found"),
    (Conflict, 409, "conflict", "Conflicts with the current state"),
    (Unprocessable, 422, "unprocessable", "Cannot process this request"),
    (InvalidInput, 400, "invalid-input", "Invalid input"),
    (HotlineError, 500, "internal", "Internal error"),
]


def problem(status: int, slug: str, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": f"urn:hotline:problem:{slug}", "title": title, "status": status,
            "detail": detail, **extra}
    headers = {"WWW-Authenticate": 'Bearer realm="hotline"'} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def for_exception(exc: HotlineError) -> JSONResponse:
    for cls, status, slug, title in STATUS_TABLE:
        if isinstance(exc, cls):
            extra: dict[str, Any] = {}
            if isinstance(exc, InvalidInput):
                extra["errors"] = [{"loc": exc.where, "msg": exc.detail, "hint": exc.hint}]
            return problem(status, slug, title, exc.message, **extra)
    raise AssertionError("unreachable: HotlineError is in the table")


_HINTS = {
    "extra_forbidden": "remove this field; it is not part of the schema",
    "missing": "add this required field",
    "literal_error": "use one of the allowed values",
    "enum": "use one of the allowed values",
    "float_parsing": "give a number",
    "int_parsing": "give an integer",
    "json_invalid": "send valid JSON",
    "model_attributes_type": "give a JSON object",
    "dict_type": "give a JSON object",
    "list_type": "give a JSON array",
    "string_type": "give a string",
}


def _loc(parts: tuple[Any, ...]) -> str:
    out = ""
    for p in parts:
        if p in ("body", "query", "path", "header") and not out:
            out = p
            continue
        out += f"[{p}]" if isinstance(p, int) else f".{p}"
    return out.lstrip(".")


def _audit_auth_failure(request: Request, exc: Unauthorized) -> None:
    try:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        party, officer = ("unknown", "unknown")
        if scheme.lower() == "bearer" and token.strip():
            party, officer = unverified_identity(token.strip())
        reason = f"{request.method} {request.url.path}: {exc.detail}"
        source = request.client.host if request.client is not None else "unknown"
        request.app.state.auth_failures.record(source, party, officer, reason)
    except Exception:  # the 401 stands whatever happens here
        log.exception("could not record an authentication failure in the audit log")


def install(app: FastAPI) -> None:
    @app.exception_handler(HotlineError)
    async def _hotline(request: Request, exc: HotlineError) -> JSONResponse:
        if isinstance(exc, Unauthorized):
            await run_in_threadpool(_audit_auth_failure, request, exc)
        return for_exception(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = []
        for e in exc.errors():
            loc = _loc(tuple(e.get("loc", ())))
            hint = _HINTS.get(str(e.get("type")), "see the API reference at /docs")
            errors.append({"loc": loc, "msg": str(e.get("msg")), "hint": hint})
        first = errors[0] if errors else {"loc": "", "msg": "invalid request", "hint": ""}
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        detail = f"{first['loc']}: {first['msg']}{more} ({first['hint']})"
        return problem(400, "invalid-input", "Invalid input", detail, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        slug = {404: "not-found", 405: "method-not-allowed", 413: "too-large"}.get(
            exc.status_code, "http-error"
        )
        return problem(exc.status_code, slug, str(exc.detail), str(exc.detail))
