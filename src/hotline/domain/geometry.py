"""Horizontal footprints on the WGS84 ellipsoid.

Contract: latitudes and longitudes are degrees (WGS84), lengths metres. A :class:`Polygon`'s
edges are the *shortest paths* (ellipsoidal geodesics) between consecutive vertices, as
ASTM F3548-21 defines; vertices are not repeated (a repeated closing vertex is dropped on
construction). A :class:`Circle` is the set of points within ``radius_m`` geodesic distance of
its centre. Constructors validate and raise :class:`~hotline.domain.errors.InvalidGeometry`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hotline.domain.errors import InvalidGeometry

#: ASTM F3548-21 limit on polygon vertices.
MAX_VERTICES = 10_000


@dataclass(frozen=True, slots=True)
class LatLng:
    """A point: geodetic latitude and longitude in degrees."""

    lat: float
    lng: float

    def __post_init__(self) -> None:
        if not (-90.0 <= self.lat <= 90.0):
            raise InvalidGeometry(
                f"latitude {self.lat} is out of range", hint="use -90..90 degrees"
            )
        if not (-180.0 <= self.lng <= 180.0):
            raise InvalidGeometry(
                f"longitude {self.lng} is out of range", hint="use -180..180 degrees"
            )


@dataclass(frozen=True, slots=True)
class Polygon:
    """A simple polygon whose edges are geodesics. At least 3 distinct vertices."""

    vertices: tuple[LatLng, ...]
    #: The hash, computed once: footprints key caches that are consulted per candidate pair.
    _hash: int = field(default=0, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        from hotline.domain.polygon_checks import normalise_and_check

        vertices = normalise_and_check(self.vertices)
        object.__setattr__(self, "vertices", vertices)
        object.__setattr__(self, "_hash", hash(vertices))

    def __hash__(self) -> int:
        return self._hash

    @classmethod
    def trusted(cls, vertices: tuple[LatLng, ...]) -> Polygon:
        """A polygon from vertices that were already checked (read back from storage)."""
        polygon = object.__new__(cls)
        object.__setattr__(polygon, "vertices", vertices)
        object.__setattr__(polygon, "_hash", hash(vertices))
        return polygon


@dataclass(frozen=True, slots=True)
class Circle:
    """All points within ``radius_m`` (geodesic distance) of ``center``."""

    center: LatLng
    radius_m: float

    def __post_init__(self) -> None:
        if not (self.radius_m > 0.0):
            raise InvalidGeometry(
                f"circle radius {self.radius_m} m is not positive", hint="give a radius > 0"
            )
        if self.radius_m > 2_000_000.0:
            raise InvalidGeometry(
                f"circle radius {self.radius_m:.0f} m exceeds 2000 km",
                hint="split very large areas into polygons",
            )


Footprint = Polygon | Circle
