"""A small shared airspace for the browser tests, filed through the real API: blue's
airspace, red's protected base and engagement zone, and one pair of conflicting notices (one
alert each). Times are relative to the wall clock (the served app runs on it)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from builders import box_json


def zone(lat: float, lng: float, half_km: float, role: str, name: str) -> dict[str, Any]:
    start = datetime.now(UTC) - timedelta(minutes=5)
    return {"role": role, "name": name,
            "volumes": [box_json(lat, lng, half_km, start, hours=12, hi=15000.0)]}


def notice(lat: float, lng: float, minutes_ahead: float = 90) -> dict[str, Any]:
    start = datetime.now(UTC) + timedelta(minutes=minutes_ahead)
    return {"volumes": [box_json(lat, lng, 5, start, hours=1)]}


def put(client: httpx.Client, path: str, body: dict[str, Any]) -> dict[str, Any]:
    r = client.put(path, json=body)
    assert r.status_code in (200, 201), r.text
    answer: dict[str, Any] = r.json()
    return answer


def file_scene(blue: httpx.Client, red: httpx.Client) -> None:
    put(blue, "/v1/zones/blue-air", zone(34.6, 36.4, 35, "airspace", "Blue FIR sector"))
    put(red, "/v1/zones/red-base", zone(35.45, 37.6, 8, "protected", "Red air base"))
    put(red, "/v1/zones/red-sam", zone(35.2, 38.1, 15, "engagement", "Red SAM belt"))
    put(blue, "/v1/notices/blue-cap", notice(35.0, 37.0))
    put(red, "/v1/notices/red-patrol", notice(35.02, 37.0))
