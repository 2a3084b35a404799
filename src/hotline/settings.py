"""Settings from flags and ``HOTLINE_*`` environment variables (pydantic-settings).

Contract: aviation units only in names (``horizontal_buffer_m``, ``vertical_buffer_ft``...);
``to_service_config`` converts to the SI service configuration. Every setting has a safe
default so that ``hotline serve`` works with none set.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from hotline.domain.units import FT, NM
from hotline.relay.escalation import AckPolicy
from hotline.service import EarlyChecks, Limits, ServiceConfig
from hotline.strategic.policy import LeadTimePolicy, SeparationPolicy
from hotline.tactical.live import LiveOptions
from hotline.tactical.profiles import get_profile
from hotline.tracking import TrackConfig


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HOTLINE_", extra="ignore")

    data_dir: Path = Field(Path(".hotline"), description="keys and the default SQLite file")
    db: str = Field("", description="sqlite:///path or postgresql://...; default: data_dir")
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = Field(1, ge=1, le=64, description="server processes sharing the port and "
                         "the database; one of them (the primary) also runs webhooks, "
                         "escalation and live tracks")

    clock_start: datetime | None = Field(
        None, description="simulate: the server clock starts at this instant and runs at "
        "real speed (demos, replays, benchmarks); unset: the system clock"
    )
    clock_start_monotonic: float | None = Field(
        None, description="set by hotline serve --workers: the time.monotonic() at which the "
        "simulated clock read clock_start, so that every worker shows the same clock")

    # Tokens
    jwt_issuer: str = "hotline-dev"
    jwt_audience: str = "hotline"
    jwks_url: str = Field("", description="validate tokens against this JWKS instead")
    jwt_public_keys: list[Path] = Field(
        default_factory=list, description="PEM public keys to trust instead of the dev key"
    )
    token_ttl_s: int = 12 * 3600
    auth_audit_burst: int = Field(20, ge=1, description="401s per source and window audited "
                                  "one by one; the rest are counted in one summary record")
    auth_audit_window_s: float = Field(60.0, gt=0, description="the window of "
                                       "auth_audit_burst (seconds)")

    # Rules
    horizontal_buffer_m: float = 0.0
    vertical_buffer_ft: float = 0.0
    pressure_tolerance_m: float = 200.0
    lead_time_min_s: float = 900.0
    lead_time_pairs: dict[str, float] = Field(
        default_factory=dict,
        description='per pair of parties, e.g. {"blue,red": 3600}',
    )
    max_area_km2: float = 1_000_000.0
    max_volumes: int = 100
    max_body_bytes: int = 8 * 1024 * 1024
    early_checks: EarlyChecks = Field(
        "never", description="always: find a write's conflicts on a snapshot before taking "
        "the write lock (for several server processes on one database); never: all under it")

    # Event streams
    events_poll_s: float = Field(0.1, gt=0, le=60, description="how often an event stream "
                                 "looks for new events without being rung (commits of this "
                                 "server ring its streams at once)")

    # Outbound webhooks
    webhook_poll_s: float = Field(0.2, gt=0, description="how often to look for events")
    webhook_timeout_s: float = Field(5.0, gt=0, description="per delivery request")
    webhook_backoff_s: float = Field(0.5, gt=0, description="first retry delay (doubles)")
    webhook_backoff_max_s: float = Field(60.0, gt=0, description="longest retry delay")

    # Ack deadlines and escalation
    ack_deadline_urgent_s: float = Field(120.0, gt=0, description="ack deadline, urgent alerts")
    ack_deadline_warning_s: float = Field(900.0, gt=0,
                                          description="ack deadline, warning alerts")
    ack_deadline_message_s: float = Field(600.0, gt=0, description="ack deadline, messages")
    unacked_after_s: float | None = Field(
        None, gt=0, description="from the ack deadline until an item is recorded "
        "unacknowledged; unset: the ack deadline's own length again (2x from creation)")
    escalation_poll_s: float = Field(0.5, gt=0, description="how often to look for overdue "
                                     "items")

    # Live tracks
    track_stale_s: float = Field(60.0, gt=0, description="a track with no report for this "
                                 "long ages out")
    track_trail_points: int = Field(120, ge=1, le=10_000, description="trail kept per track")
    track_future_tolerance_s: float = Field(5.0, ge=0, description="reports timed further "
                                            "ahead of the server clock are rejected")
    track_near_nm: float = Field(20.0, ge=0, description="need to know: another party's "
                                 "track is visible within this distance of your aircraft or "
                                 "zones")
    track_share_pairs: list[str] = Field(
        default_factory=list, description='pairs of parties that see all of each other\'s '
        'tracks, e.g. ["blue,red"]')
    track_max_batch: int = Field(10_000, ge=1, description="reports per POST /v1/tracks")
    track_digest_s: float = Field(60.0, gt=0, description="how often stored track history "
                                  "is digested into the audit log")

    track_watch_s: float = Field(1.0, gt=0, description="live detection runs after each "
                                 "batch and at least this often")
    track_profile: str = Field("live", description="well-clear alerting profile of live "
                               "encounters: live (default), military or do365")
    track_lookahead_s: float | None = Field(None, gt=0, description="override the profile's "
                                            "lookahead (also the zone-approach lookahead)")
    track_altimetry_tolerance_ft: float | None = Field(
        None, ge=0, description="override the profile's altimetry tolerance (live: 50 ft, so "
        "level traffic reported 975 ft apart raises no nuisance alert)")
    track_clear_after_s: float = Field(5.0, gt=0, description="a situation not found for "
                                       "this long closes its alert (resolved)")

    @field_validator("track_share_pairs")
    @classmethod
    def _share_pairs(cls, value: list[str]) -> list[str]:
        for key in value:
            if len([p for p in key.split(",") if p.strip()]) != 2:
                raise ValueError(f"track_share_pairs entry {key!r} must name two parties: "
                                 "'a,b'")
        return value

    @field_validator("lead_time_pairs")
    @classmethod
    def _pairs(cls, value: dict[str, float]) -> dict[str, float]:
        for key in value:
            if len([p for p in key.split(",") if p.strip()]) != 2:
                raise ValueError(f"lead_time_pairs key {key!r} must name two parties: 'a,b'")
        return value

    @property
    def db_url(self) -> str:
        return self.db or f"sqlite:///{self.data_dir / 'hotline.db'}"

    def to_service_config(self) -> ServiceConfig:
        pairs = {
            frozenset(p.strip() for p in key.split(",")): seconds
            for key, seconds in self.lead_time_pairs.items()
        }
        return ServiceConfig(
            separation=SeparationPolicy(
                horizontal_buffer_m=self.horizontal_buffer_m,
                vertical_buffer_m=self.vertical_buffer_ft * FT,
                pressure_tolerance_m=self.pressure_tolerance_m,
            ),
            lead_time=LeadTimePolicy(self.lead_time_min_s, pairs),
            limits=Limits(max_volumes=self.max_volumes, max_area_m2=self.max_area_km2 * 1e6),
            ack=self.ack_policy(),
            early_checks=self.early_checks,
        )

    def track_config(self) -> TrackConfig:
        return TrackConfig(
            stale_after_s=self.track_stale_s, trail_points=self.track_trail_points,
            future_tolerance_s=self.track_future_tolerance_s, near_m=self.track_near_nm * NM,
            share_pairs=frozenset(frozenset(p.strip() for p in key.split(","))
                                  for key in self.track_share_pairs),
            max_batch=self.track_max_batch)

    def live_options(self) -> LiveOptions:
        tol = self.track_altimetry_tolerance_ft
        profile = get_profile(self.track_profile, lookahead_s=self.track_lookahead_s,
                              altimetry_tolerance_m=None if tol is None else tol * FT)
        return LiveOptions(profile=profile, pressure_tolerance_m=self.pressure_tolerance_m)

    def ack_policy(self) -> AckPolicy:
        return AckPolicy(self.ack_deadline_urgent_s, self.ack_deadline_warning_s,
                         self.ack_deadline_message_s, self.unacked_after_s)
