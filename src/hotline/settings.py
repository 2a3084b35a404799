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

from hotline.domain.units import FT
from hotline.relay.escalation import AckPolicy
from hotline.service import Limits, ServiceConfig
from hotline.strategic.policy import LeadTimePolicy, SeparationPolicy


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HOTLINE_", extra="ignore")

    data_dir: Path = Field(Path(".hotline"), description="keys and the default SQLite file")
    db: str = Field("", description="sqlite:///path or postgresql://...; default: data_dir")
    host: str = "127.0.0.1"
    port: int = 8000

    clock_start: datetime | None = Field(
        None, description="simulate: the server clock starts at this instant and runs at "
        "real speed (demos, replays, benchmarks); unset: the system clock"
    )

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
        )

    def ack_policy(self) -> AckPolicy:
        return AckPolicy(self.ack_deadline_urgent_s, self.ack_deadline_warning_s,
                         self.ack_deadline_message_s, self.unacked_after_s)
