"""Bearer authentication and per-route scope checks.

Contract: every ``/v1`` route needs ``Authorization: Bearer <JWT>``; a missing, malformed,
expired, forged, wrong-issuer or wrong-audience token is 401; a valid token without a scope the
route accepts is 403.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request

from hotline.adapters.tokens import SCOPES, Principal, TokenValidator
from hotline.domain.errors import Forbidden, Unauthorized
from hotline.service import Actor

DUTY = SCOPES["duty"]
FEED = SCOPES["feed"]
ADMIN = SCOPES["admin"]
READ = frozenset({DUTY, ADMIN})
DECLARE = frozenset({DUTY})


def principal(request: Request) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if not header:
        raise Unauthorized("no bearer token", hint="send 'Authorization: Bearer <token>'; "
                           "mint one with 'hotline token --party NAME'")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("authorization is not a bearer token",
                           hint="send 'Authorization: Bearer <token>'")
    validator: TokenValidator = request.app.state.validator
    return validator.validate(token.strip())


def requires(accepted: frozenset[str]) -> Callable[[Request], Awaitable[Actor]]:
    """A dependency: the caller as an :class:`Actor`, if its token has an accepted scope."""

    # async: cheap CPU work that needs no worker thread (a sync dependency costs a thread hop)
    async def dependency(request: Request) -> Actor:
        who = principal(request)
        if not (who.scopes & accepted):
            raise Forbidden(
                f"token scopes {sorted(who.scopes) or '(none)'} do not allow this",
                hint=f"use a token with one of: {', '.join(sorted(accepted))}",
            )
        return Actor(party=who.party, officer=who.officer)

    return dependency
