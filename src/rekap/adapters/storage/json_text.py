"""JSON columns read as their text and decoded here, not by the driver: the standard library
decodes several times slower than orjson, which matters where every stored result is read
(the portal's first figures, the tally's rebuild)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import orjson
from sqlalchemy import Text, cast


def as_text(column: Any) -> Any:
    """A JSON column selected as its text, for ``loads``."""
    return cast(column, Text)


def loads(raw: str | bytes | None) -> Any:
    """A JSON column's text decoded by orjson, or by the standard library for what orjson
    refuses (an integer beyond 64 bits, which an older rekap could have stored); None stays
    None."""
    if raw is None:
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return json.loads(raw)


def numbers(raw: Mapping[str, Any] | None) -> dict[str, int]:
    """The numbers of a stored JSON object, those not given (null) left out. An object of
    whole numbers only, as stored, is taken as it is (its keys are text, as JSON's are)."""
    if not raw:
        return {}
    if type(raw) is dict and set(map(type, raw.values())) == {int}:
        return raw
    return {str(k): int(v) for k, v in raw.items() if v is not None}
