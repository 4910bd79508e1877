"""The pages of one TPS decided together: identities that cross pages join the evidence.

Each page is first read on its own (`PageReader.read`), which already uses the identities
within the page. Read together, the pages share the identities that cross them (sum of
paslon votes on page 2 = suara sah on page 3; ballots used on page 1 = suara total on
page 3), so every field of the TPS is decided again on the joint posterior of all the
TPS's fields (`rekap.reading.decide.decide_fields`), with the same prior for a mistake
written on the form. Pages that were not read, and fields without evidence of their own
(outside the photo), are left as they were.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from rekap.reading.decide import DecisionPolicy, decide_fields
from rekap.reading.evidence import FieldEvidence
from rekap.reading.identities import C_HASIL_PPWP_IDENTITIES, SumIdentity
from rekap.reading.result import PageReading


def decide_tps(
    pages: Sequence[PageReading],
    identities: Sequence[SumIdentity] = C_HASIL_PPWP_IDENTITIES,
    policy: DecisionPolicy | None = None,
) -> tuple[PageReading, ...]:
    """The same pages, every field with evidence decided on all the pages' evidence.
    A field that appears on two pages (the same page photographed twice) is not joined:
    the pages are then returned unchanged."""
    evidence: dict[str, FieldEvidence] = {}
    for page in pages:
        if page.status not in ("ok", "page_incomplete"):
            continue
        for field in page.fields:
            if field.evidence is None:
                continue
            if field.field_id in evidence:
                return tuple(pages)
            evidence[field.field_id] = field.evidence
    chosen = policy or DecisionPolicy()
    decided = {f.field_id: f for f in decide_fields(list(evidence.values()), identities, chosen)}
    return tuple(
        replace(page, fields=tuple(decided.get(f.field_id, f) for f in page.fields))
        if page.status in ("ok", "page_incomplete")
        else page
        for page in pages
    )
