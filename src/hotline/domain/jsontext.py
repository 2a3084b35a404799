"""Compact JSON text of plain JSON values, fast (orjson).

Contract: :func:`dumps` gives the compact JSON text (no spaces, non-ASCII characters as
themselves) of a value made of ``dict`` with ``str`` keys, ``list``, ``tuple``, ``str`` (and
``str`` enums), ``int`` within the 64-bit range, ``float``, ``bool`` and ``None``, and raises
:class:`TypeError` for anything else (a key that is not a string among them). It is equal as
JSON to ``json.dumps(value)``, except that a NaN or an infinity becomes ``null`` (where the
standard library writes text that is not JSON): callers pass validated, finite numbers. Key
order is the dict's, so the text is *not* canonical: for signed or hashed text use
:func:`hotline.audit.canonical.canonical_json`.

>>> dumps({"b": 1, "a": [True, None, 0.5, "€"]})
'{"b":1,"a":[true,null,0.5,"€"]}'
"""

from __future__ import annotations

import orjson


def dumps(value: object) -> str:
    return orjson.dumps(value).decode()


def dumps_bytes(value: object) -> bytes:
    """:func:`dumps` as UTF-8 bytes (for response bodies: no decoding)."""
    return orjson.dumps(value)
