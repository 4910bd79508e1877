"""Settle one abstained field of a TPS with the form's arithmetic, across its pages.

Only when it is unambiguous: in an identity `parts = total`, every field but one was read,
the remaining one abstained, the identity then implies exactly one value for it, that
value is possible (0..999), and the field's own evidence gives it some support (it is
among its alternatives). A field with no evidence of its own (outside the photo) or whose
evidence contradicts the implied value is left abstaining, with the reason extended.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from rekap.reading.result import FieldReading, PageReading


@dataclass(frozen=True)
class SumIdentity:
    name: str
    parts: tuple[str, ...]
    total: str


PASLON_SUM = SumIdentity(
    "sum of paslon votes = suara_sah", ("paslon_1", "paslon_2", "paslon_3"), "suara_sah"
)
MIN_OWN_SUPPORT = 0.01
"""The implied value must have at least this probability in the field's own reading."""


def _implied(identity: SumIdentity, fields: dict[str, FieldReading], unknown: str) -> int:
    def value(field_id: str) -> int:
        found = fields[field_id].value
        assert found is not None
        return found

    parts = sum(value(p) for p in identity.parts if p != unknown)
    if unknown == identity.total:
        return parts
    return value(identity.total) - parts


def settle_with_identity(
    pages: Sequence[PageReading], identity: SumIdentity = PASLON_SUM
) -> tuple[PageReading, ...]:
    """The same pages, with at most one abstained field of `identity` settled."""
    fields = {f.field_id: f for page in pages if page.status == "ok" for f in page.fields}
    names = (*identity.parts, identity.total)
    if any(name not in fields for name in names):
        return tuple(pages)
    abstained = [name for name in names if fields[name].status == "abstain"]
    if len(abstained) != 1:
        return tuple(pages)
    unknown = abstained[0]
    field = fields[unknown]
    implied = _implied(identity, fields, unknown)
    own = dict(field.alternatives).get(implied, 0.0)
    if not 0 <= implied <= 999 or own < MIN_OWN_SUPPORT:
        note = f"; {identity.name} implies {implied}, which its own evidence does not support"
        settled = replace(field, reason=field.reason + note)
    else:
        others = [fields[name].confidence for name in names if name != unknown]
        settled = replace(
            field,
            value=implied,
            status="read",
            confidence=float(np.prod(others)),
            reason=f"settled by {identity.name} = {implied} (own evidence p={own:.2f}); "
            f"was: {field.reason}",
        )
    return tuple(
        replace(page, fields=tuple(settled if f.field_id == unknown else f for f in page.fields))
        if any(f.field_id == unknown for f in page.fields)
        else page
        for page in pages
    )
