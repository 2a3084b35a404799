"""The application factory: ``create_app(settings)`` wires store, clock, tokens and service.

Contract: nothing global; everything the routes need hangs off ``app.state``. Tests and the
demo pass their own clock or store; production passes neither. ``/v1/keys`` publishes the dev
token issuer's RSA key (if any) and the Ed25519 key that signs audit tree heads and receipts.
The lifespan runs the webhook deliverer (``adapters.webhooks``), the escalator
(``adapters.escalation``), the track digester and the live watcher (``adapters.track_workers``;
the live board is rebuilt from stored history first) while the app serves, and stops them
before closing the store.
The duty-officer console (``hotline/web``) is served at ``/`` (``api.console``).

Several workers (``settings.workers > 1``, started by ``hotline serve --workers N``): each
worker process builds this app on the same database and data dir. Commits ring the other
workers' streams through :class:`~hotline.adapters.peer_bell.PeerBells`; one worker, elected
by :class:`~hotline.adapters.primary.Election`, runs the background workers and the live track
board, and serves the app on a Unix socket too, to which the other workers relay live-track
requests (:mod:`hotline.api.primary_relay`). When the primary dies another worker takes over.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from fastapi import FastAPI

from hotline import __version__
from hotline.adapters.audit_key import load_or_create_audit_signer
from hotline.adapters.bell import Bell
from hotline.adapters.clock import OffsetClock, SystemClock
from hotline.adapters.escalation import Escalator
from hotline.adapters.peer_bell import PeerBells
from hotline.adapters.primary import Election, InnerServer
from hotline.adapters.storage import open_store
from hotline.adapters.tokens import TokenValidator, key_id, load_or_create_issuer_key
from hotline.adapters.track_workers import Digester, Watcher
from hotline.adapters.webhooks import Deliverer, DeliveryConfig
from hotline.adapters.workers_dir import WorkersDir
from hotline.api import console, docs, errors, limits
from hotline.api.authlog import AuthFailureLog
from hotline.api.primary_relay import PrimaryRelay
from hotline.api.routes import alerts, audit, declarations, events, messages, meta, tracks, webhooks
from hotline.auditing import AuditTrail
from hotline.ports import Clock, Store
from hotline.relaying import AlertDesk, EscalationDesk, EventDesk, MessageDesk, WebhookDesk
from hotline.service import HotlineService
from hotline.settings import Settings
from hotline.tracking import TrackDesk
from hotline.watching import TrackWatch


def _validator(settings: Settings) -> tuple[TokenValidator, list[dict[str, Any]]]:
    if settings.jwks_url:
        return TokenValidator(issuer=settings.jwt_issuer, audience=settings.jwt_audience,
                              jwks_url=settings.jwks_url), []
    if settings.jwt_public_keys:
        keys = [serialization.load_pem_public_key(p.read_bytes())
                for p in settings.jwt_public_keys]
        return TokenValidator(issuer=settings.jwt_issuer, audience=settings.jwt_audience,
                              public_keys=keys), []
    private = load_or_create_issuer_key(settings.data_dir)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key()))
    jwk.update(kid=key_id(private), use="sig", alg="RS256")
    validator = TokenValidator(issuer=settings.jwt_issuer, audience=settings.jwt_audience,
                               public_keys=[private.public_key()])
    return validator, [jwk]


def create_app(
    settings: Settings | None = None, *, clock: Clock | None = None, store: Store | None = None
) -> FastAPI:
    settings = settings or Settings()
    owns_store = store is None
    the_store: Store = store if store is not None else open_store(settings.db_url)

    def start_background() -> None:
        app.state.deliverer.start()
        app.state.escalator.start()
        app.state.tracks.load()
        app.state.track_digester.start()
        app.state.track_watcher.start()

    def stop_background() -> None:
        watcher: Watcher = app.state.track_watcher
        digester: Digester = app.state.track_digester
        escalator: Escalator = app.state.escalator
        deliverer: Deliverer = app.state.deliverer
        watcher.stop()
        digester.stop()
        escalator.stop()
        deliverer.stop()

    shared = WorkersDir.of(settings.data_dir)
    inner: list[InnerServer] = []

    def become_primary() -> None:
        start_background()
        server = InnerServer(app, shared.primary_socket)
        server.start()
        inner.append(server)

    def resign() -> None:  # a takeover failed half way: undo it
        while inner:
            inner.pop().stop()
        stop_background()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        election: Election | None = None
        peers: PeerBells | None = None
        if settings.workers > 1:
            shared.prepare()
            bell: Bell | None = getattr(the_store, "bell", None)
            if bell is not None:
                peers = PeerBells(shared, bell)
                peers.attach()
            election = app.state.election = Election(shared.primary_lock, become_primary,
                                                     resign)
            election.start()
        else:
            start_background()
        try:
            yield
        finally:
            if election is not None:
                election.stop()
            if election is None or election.primary:
                resign()
            if election is not None:
                election.close()  # only now may another worker take over
            if peers is not None:
                peers.close()
            relay: PrimaryRelay | None = getattr(app.state, "primary_relay", None)
            if relay is not None:
                await relay.aclose()
            app.state.auth_failures.flush()  # suppressed 401s are counted, never lost
            if owns_store:
                the_store.close()

    app = FastAPI(
        title="Hotline",
        version=__version__,
        description="Deconfliction hotline: notices, zones and their conflicts.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.store = the_store
    app.state.validator, app.state.jwks = _validator(settings)
    if clock is None:
        clock = (OffsetClock(settings.clock_start, settings.clock_start_monotonic)
                 if settings.clock_start else SystemClock())
    app.state.service = HotlineService(the_store, clock, settings.to_service_config())
    signer = load_or_create_audit_signer(settings.data_dir,
                                         simulated=getattr(clock, "simulated", False))
    app.state.audit = AuditTrail(the_store, clock, signer)
    app.state.auth_failures = AuthFailureLog(app.state.audit, settings.auth_audit_burst,
                                             settings.auth_audit_window_s)
    ack = settings.ack_policy()
    app.state.alerts = AlertDesk(the_store, clock, signer, ack, trail=app.state.audit)
    app.state.messages = MessageDesk(the_store, clock, signer, ack, trail=app.state.audit)
    app.state.escalation = EscalationDesk(the_store, clock, signer, ack, trail=app.state.audit)
    app.state.escalator = Escalator(app.state.escalation, settings.escalation_poll_s)
    app.state.events = EventDesk(the_store, clock, signer, trail=app.state.audit)
    app.state.webhooks = WebhookDesk(the_store, clock, signer, trail=app.state.audit)
    app.state.deliverer = Deliverer(app.state.webhooks, clock, DeliveryConfig(
        poll_s=settings.webhook_poll_s, timeout_s=settings.webhook_timeout_s,
        backoff_s=settings.webhook_backoff_s, backoff_max_s=settings.webhook_backoff_max_s))
    app.state.tracks = TrackDesk(the_store, clock, settings.track_config())
    app.state.track_digester = Digester(app.state.tracks, settings.track_digest_s)
    app.state.track_watch = TrackWatch(app.state.tracks, the_store, clock,
                                       settings.live_options(), ack,
                                       settings.track_clear_after_s)
    app.state.track_watcher = Watcher(app.state.track_watch, settings.track_watch_s)
    errors.install(app)
    docs.install(app)
    limits.install(app, settings.max_body_bytes)
    app.include_router(meta.router)
    app.include_router(declarations.router)
    app.include_router(audit.router)
    app.include_router(alerts.router)
    app.include_router(messages.router)
    app.include_router(events.router)
    app.include_router(webhooks.router)
    app.include_router(tracks.router)
    console.install(app)  # last: it is mounted at /
    if settings.workers > 1:
        app.add_middleware(PrimaryRelay, socket_path=shared.primary_socket,
                           is_primary=lambda: bool(getattr(app.state, "election", None)
                                                   and app.state.election.primary),
                           created=lambda relay: setattr(app.state, "primary_relay", relay))
    return app
