"""Stored readings decided again: the pages of one TPS, read at different times, together.

A photo is read alone when it arrives; its reading is stored as the `rekap read` JSON,
whose `marks` keep what the classifier said of each digit box and the bubble reader of
each column (probabilities to `MARK_PRECISION` decimals; the labels left out share what
remains). When another page of the same TPS has been read, the form is assessed on the
pages decided together (`rekap.reading.tps.decide_tps`: the identities that cross pages,
with the same prior for a mistake written on the form and the same guard against a
misread shared by tied fields). A field stored without marks keeps its reading.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from rekap.reading.bubbles import BubbleColumnReading, BubbleGridReading
from rekap.reading.classifier import DIGIT_BOX_LABELS
from rekap.reading.decide import DecisionPolicy, field_evidence
from rekap.reading.identities import C_HASIL_PPWP_IDENTITIES, SumIdentity
from rekap.reading.result import BUBBLE_LABELS, FieldReading, PageReading
from rekap.reading.tps import decide_tps


@dataclass(frozen=True)
class StoredBoxReading:
    label: str
    confidence: float
    probabilities: tuple[float, ...]


def _dense(sparse: Mapping[str, float], labels: tuple[str, ...]) -> tuple[float, ...]:
    known = {label: float(sparse[label]) for label in labels if label in sparse}
    rest = max(0.0, 1.0 - sum(known.values())) / max(1, len(labels) - len(known))
    return tuple(known.get(label, rest) for label in labels)


def _field(field_id: str, data: Mapping[str, Any], policy: DecisionPolicy) -> FieldReading:
    box = tuple(float(v) for v in data.get("box") or (0.0, 0.0, 0.0, 0.0))
    stored = FieldReading(
        field_id,
        data.get("value"),
        "read" if data.get("status") == "read" else "abstain",
        float(data.get("confidence", 0.0)),
        tuple((int(v), float(p)) for v, p in data.get("alternatives") or ()),
        str(data.get("reason", "")),
        (box[0], box[1], box[2], box[3]),
        tuple(data.get("digit_labels") or ()),
        data.get("bubbles"),
    )
    marks = data.get("marks")
    if not marks or not marks.get("boxes"):
        return stored
    boxes = []
    for sparse in marks["boxes"]:
        probabilities = _dense(sparse, DIGIT_BOX_LABELS)
        best = max(range(len(probabilities)), key=probabilities.__getitem__)
        boxes.append(StoredBoxReading(DIGIT_BOX_LABELS[best], probabilities[best], probabilities))
    grid = None
    if marks.get("bubbles") is not None:
        grid = BubbleGridReading(
            tuple(
                BubbleColumnReading(position, (), _dense(sparse, BUBBLE_LABELS), ())
                for position, sparse in enumerate(marks["bubbles"])
            )
        )
    evidence = field_evidence(field_id, stored.box, boxes, grid, policy)
    evidence = replace(evidence, bubble_digits=stored.bubble_digits)
    return replace(stored, evidence=evidence)


def page_from_json(data: Mapping[str, Any], policy: DecisionPolicy | None = None) -> PageReading:
    """A stored page reading, its fields' own evidence rebuilt from their marks."""
    chosen = policy or DecisionPolicy()
    return PageReading(
        data["status"],
        str(data.get("reason", "")),
        data.get("page"),
        data.get("form"),
        tuple(_field(f, v, chosen) for f, v in data.get("fields", {}).items()),
    )


def pages_with_marks(readings: Sequence[Mapping[str, Any]]) -> int:
    """How many of these stored readings keep their fields' marks."""
    return sum(
        any(isinstance(f, Mapping) and f.get("marks") for f in r.get("fields", {}).values())
        for r in readings
    )


def decide_stored_pages(
    readings: Sequence[Mapping[str, Any]],
    identities: Sequence[SumIdentity] = C_HASIL_PPWP_IDENTITIES,
    policy: DecisionPolicy | None = None,
) -> list[dict[str, Any]]:
    """The stored readings of one TPS's pages, decided together, in the same JSON shape."""
    pages = [page_from_json(r, policy) for r in readings]
    decided = decide_tps(pages, identities, policy)
    return [
        {**original, **page.to_json()} for original, page in zip(readings, decided, strict=True)
    ]
