"""Time buckets of the cell index: which index rows a space-time query must look at.

Contract: times are epoch microseconds, windows half-open ``[start, end)``. The time axis is
cut into buckets of :data:`BUCKET_US` (6 h, aligned to the epoch). An index row is stored once
per bucket its window touches — or, if that is more than :data:`MAX_STORED_BUCKETS` buckets
(a long-lived zone, say), once in the bucket :data:`LONG`, which every query also reads. A
query reads the buckets its own window touches plus :data:`LONG`; a query window touching
more than :data:`MAX_QUERY_BUCKETS` buckets reads every bucket (``None``).

Why it is exact: if a stored window and a query window share an instant ``t``, the bucket of
``t`` is among the stored row's buckets (or the row is in ``LONG``) and among the query's.

Why it pays: the cell ranges of a query are index range scans; without buckets they read
every row in the range whatever its time, and with notices spread over days most of those
rows are far from the query's window. With 6 h buckets a query of a few hours reads 2-3
buckets' share of each range.

>>> H = 3_600_000_000
>>> stored_buckets(0, 6 * H), stored_buckets(5 * H, 7 * H), stored_buckets(0, 100 * H) == (LONG,)
((0,), (0, 1), True)
>>> query_buckets(6 * H, 6 * H + 1) == (LONG, 1), query_buckets(0, 1000 * H) is None
(True, True)
"""

from __future__ import annotations

from typing import Final

#: Bucket width: 6 hours.
BUCKET_US: Final = 6 * 3600 * 1_000_000
#: Windows touching more buckets than this (over 2 days) are stored in LONG instead.
MAX_STORED_BUCKETS: Final = 8
#: Query windows touching more buckets than this (over 16 days) read every bucket.
MAX_QUERY_BUCKETS: Final = 64
#: The bucket of long windows (read by every query); far below any real bucket number.
LONG: Final = -(2**62)


def _span(t_start_us: int, t_end_us: int) -> range:
    """The buckets the half-open window touches."""
    return range(t_start_us // BUCKET_US, max(t_end_us - 1, t_start_us) // BUCKET_US + 1)


def stored_buckets(t_start_us: int, t_end_us: int) -> tuple[int, ...]:
    """The buckets an index row with this window is stored in."""
    span = _span(t_start_us, t_end_us)
    return (LONG,) if len(span) > MAX_STORED_BUCKETS else tuple(span)


def query_buckets(t_start_us: int, t_end_us: int) -> tuple[int, ...] | None:
    """The buckets a query with this window reads (sorted), or ``None``: all of them."""
    span = _span(t_start_us, t_end_us)
    return None if len(span) > MAX_QUERY_BUCKETS else (LONG, *span)
