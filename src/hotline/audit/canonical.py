"""RFC 8785 JSON Canonicalization Scheme (JCS): one byte string per JSON value.

Contract: :func:`canonical_json` turns a JSON value made of ``dict`` (``str`` keys), ``list``
(or ``tuple``), ``str``, ``int``, ``float``, ``bool`` and ``None`` into UTF-8 bytes such that two
values equal as JSON give the same bytes, whichever program produced them:

- objects: members sorted by their keys compared as arrays of UTF-16 code units (RFC 8785
  §3.2.3), no whitespace anywhere;
- strings: only ``"``, ``\\`` and U+0000..U+001F are escaped — ``\\b \\f \\n \\r \\t`` short forms,
  the rest as ``\\u00xx`` in lower case; everything else is written as itself (RFC 8785 §3.2.2.2).
  A string that is not valid Unicode (a lone surrogate) is rejected;
- numbers: serialised as ECMAScript ``Number.prototype.toString`` does for the IEEE 754 double
  (RFC 8785 §3.2.2.3): shortest round-trip digits, ``-0`` → ``0``, plain notation for
  1e-6 <= |x| < 1e21, otherwise ``d.ddde±x``. NaN and ±Infinity are rejected.
  A Python ``int`` is accepted only when its decimal text *is* its canonical form (always true
  for |n| <= 2**53, the I-JSON safe range; ``10**20`` also qualifies, ``2**60`` does not, since
  as a double it would read back as 1152921504606847000): an integer is never silently changed.

Every rejection raises :class:`hotline.domain.errors.InvalidInput` naming where in the value the
problem is. ``json.loads(canonical_json(x)) == x`` for every accepted ``x`` without tuples, and
``canonical_json`` is idempotent through ``json.loads``.
"""

from __future__ import annotations

import math

import orjson

from hotline.domain.errors import InvalidInput

#: Deeper nesting than this is rejected rather than risking Python's recursion limit.
MAX_DEPTH = 100

_SAFE_INT = 2**53

_ESCAPES: dict[int, str] = {c: f"\\u{c:04x}" for c in range(0x20)}
_ESCAPES.update(
    {
        ord("\b"): "\\b",
        ord("\f"): "\\f",
        ord("\n"): "\\n",
        ord("\r"): "\\r",
        ord("\t"): "\\t",
        ord('"'): '\\"',
        ord("\\"): "\\\\",
    }
)


def canonical_json(value: object) -> bytes:
    """The RFC 8785 canonical UTF-8 serialisation of ``value`` (see the module contract).

    >>> canonical_json({"b": [1.0, -0.0, 1e21], "a": "\\u20ac\\n"}).decode()
    '{"a":"€\\\\n","b":[1,0,1e+21]}'
    """
    fast = _fast(value)
    if fast is not None:
        return fast
    parts: list[str] = []
    _write(value, parts, "$", 0)
    text = "".join(parts)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:  # only lone surrogates get here
        raise InvalidInput(
            f"string contains a lone surrogate U+{ord(text[exc.start]):04X}",
            hint="send valid Unicode text (surrogates only in pairs)",
        ) from None


def _plain(value: object, depth: int = 0) -> object | None:
    """``value`` with every float made an int when integral, if orjson's serialisation of the
    result (keys sorted) is already canonical; ``None`` when it might not be.

    orjson matches RFC 8785 for ASCII-sortable string keys, strings without lone surrogates
    (it escapes exactly ``"``, ``\\`` and the control characters, in the same forms),
    integers up to 2**53, and non-integral doubles in [1e-4, 1e16) (there its shortest
    round-trip digits and ECMAScript's toString agree; NaN and infinities never get here).
    Anything else takes the exact slow path; ``tests/audit/test_canonical_fast_path.py``
    checks the two paths agree.
    """
    if depth > MAX_DEPTH:
        return None
    t = type(value)  # exact types first: the common case, and cheaper than isinstance
    if t is str:
        return value
    if t is dict:
        out: dict[str, object] = {}
        for k, v in value.items():  # type: ignore[attr-defined]
            if not isinstance(k, str) or not k.isascii():
                return None
            # The common leaves inline (a call per leaf was most of the walk's time).
            tv = type(v)
            if tv is str or v is None or tv is bool:
                out[k] = v
                continue
            if tv is int and -_SAFE_INT <= v <= _SAFE_INT:
                out[k] = v
                continue
            inner = _plain_float(v) if tv is float else _plain(v, depth + 1)
            if inner is None:
                return None
            out[k] = inner
        return out
    if t is list or t is tuple:
        items = []
        for v in value:  # type: ignore[attr-defined]
            tv = type(v)
            if tv is str or v is None or tv is bool:
                items.append(v)
                continue
            inner = _plain_float(v) if tv is float else _plain(v, depth + 1)
            if inner is None:
                return None
            items.append(inner)
        return items
    if t is float:
        return _plain_float(value)  # type: ignore[arg-type]
    if t is int:
        return value if -(2**53) <= value <= 2**53 else None  # type: ignore[operator]
    if t is bool or value is None:
        return value
    # subclasses (str enums, int subclasses...): the general checks
    if isinstance(value, dict):
        return _plain(dict(value), depth)
    if isinstance(value, list | tuple):
        return _plain(list(value), depth)
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return int(value) if -(2**53) <= value <= 2**53 else None
    if isinstance(value, float):
        return _plain_float(float(value))
    return None


def _plain_float(value: float) -> object | None:
    if not math.isfinite(value):
        return None
    if value == int(value):  # ECMAScript prints integral doubles without ".0"
        return int(value) if abs(value) <= 2**53 else None
    return value if 1e-4 <= abs(value) < 1e16 else None


def _fast(value: object) -> bytes | None:
    plain = _plain(value)
    if plain is None and value is not None:
        return None
    try:
        return orjson.dumps(plain, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        return None  # a lone surrogate: the slow path says so


def number_to_text(x: float) -> str:
    """ECMAScript ``Number.prototype.toString`` of the double ``x`` (finite only).

    >>> [number_to_text(v) for v in (1e30, 4.5, 0.002, 1e-27, -0.0, 1e21, 1e-7, 123.0)]
    ['1e+30', '4.5', '0.002', '1e-27', '0', '1e+21', '1e-7', '123']
    """
    if not math.isfinite(x):
        raise InvalidInput(
            f"number {x!r} has no JSON form", hint="send a finite number (no NaN or Infinity)"
        )
    if x == 0:
        return "0"
    if x < 0:
        return "-" + number_to_text(-x)
    # repr() gives the shortest digit string that reads back as x (correctly rounded), which
    # is what ECMAScript asks for; only the layout differs.
    mantissa, _, exp_text = repr(x).partition("e")
    whole, _, frac = mantissa.partition(".")
    # value = 0.<digits> * 10**n  (ECMAScript's k significant digits and exponent n)
    all_digits = whole + frac
    significant = all_digits.lstrip("0")
    n = len(whole) + int(exp_text or "0") - (len(all_digits) - len(significant))
    digits = significant.rstrip("0")
    k = len(digits)
    if k <= n <= 21:
        return digits + "0" * (n - k)
    if 0 < n <= 21:
        return digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return "0." + "0" * -n + digits
    e = n - 1
    sign = "+" if e >= 0 else "-"
    head = digits if k == 1 else digits[0] + "." + digits[1:]
    return f"{head}e{sign}{abs(e)}"


def _int_to_text(n: int, where: str) -> str:
    text = str(n)
    if -_SAFE_INT <= n <= _SAFE_INT:
        return text
    try:
        as_double = float(n)
    except OverflowError:
        as_double = math.inf
    if math.isfinite(as_double) and number_to_text(as_double) == text:
        return text
    raise InvalidInput(
        f"integer {n} cannot be represented exactly as a JSON (IEEE 754 double) number",
        hint="send integers within ±2**53, or send large values as strings",
        where=where,
    )


def _write(value: object, out: list[str], where: str, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise InvalidInput(
            f"value nested deeper than {MAX_DEPTH} levels", hint="flatten the value", where=where
        )
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append('"' + value.translate(_ESCAPES) + '"')
    elif isinstance(value, int):
        out.append(_int_to_text(value, where))
    elif isinstance(value, float):
        try:
            out.append(number_to_text(value))
        except InvalidInput as exc:
            raise exc.at(where) from None
    elif isinstance(value, list | tuple):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _write(item, out, f"{where}[{i}]", depth + 1)
        out.append("]")
    elif isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                raise InvalidInput(
                    f"object key {key!r} is not a string",
                    hint="use string keys only",
                    where=where,
                )
        out.append("{")
        for i, key in enumerate(sorted(value, key=_utf16_key)):
            if i:
                out.append(",")
            out.append('"' + key.translate(_ESCAPES) + '":')
            _write(value[key], out, f"{where}.{key}", depth + 1)
        out.append("}")
    else:
        raise InvalidInput(
            f"{type(value).__name__} is not a JSON value",
            hint="use dict, list, str, int, float, bool or None (convert times and bytes to "
            "strings first)",
            where=where,
        )


def _utf16_key(key: str) -> bytes:
    # Big-endian UTF-16 bytes compare exactly as the sequence of 16-bit code units does.
    return key.encode("utf-16-be", "surrogatepass")
