"""Stored readings keep each field's marks, so a TPS's pages can be decided together later."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from rekap.reading.bubbles import NONE, BubbleColumnReading, BubbleGridReading
from rekap.reading.classifier import DIGIT_BOX_LABELS
from rekap.reading.decide import decide_fields, field_evidence
from rekap.reading.evidence import FieldEvidence
from rekap.reading.result import PageReading
from rekap.reading.stored import decide_stored_pages, page_from_json

BOX = (1.0, 2.0, 30.0, 12.0)


@dataclass(frozen=True)
class Box:
    label: str
    confidence: float
    probabilities: tuple[float, ...]


def box(label: str, p: float, runner_up: str | None = None, q: float = 0.0) -> Box:
    rest = (1.0 - p - q) / (len(DIGIT_BOX_LABELS) - (2 if runner_up else 1))
    return Box(
        label,
        p,
        tuple(p if n == label else q if n == runner_up else rest for n in DIGIT_BOX_LABELS),
    )


def grid(text: str, p: float = 0.9) -> BubbleGridReading:
    columns = []
    for position, ch in enumerate(text):
        index = NONE if ch == "-" else int(ch)
        probabilities = tuple(p if i == index else (1 - p) / 10 for i in range(11))
        columns.append(BubbleColumnReading(position, (0.0,) * 10, probabilities, ()))
    return BubbleGridReading(tuple(columns))


def field(
    field_id: str, text: str, doubt: tuple[int, str, float] | None = None, bubbles: str = ""
) -> FieldEvidence:
    names = {"X": "X", "_": "blank"}
    boxes = [box(names.get(c, c), 0.9999) for c in text]
    if doubt is not None:
        position, other, q = doubt
        boxes[position] = box(text[position], 0.9999 - q, other, q)
    return field_evidence(field_id, BOX, boxes, grid(bubbles) if bubbles else None)


def stored(page: int, *fields: FieldEvidence) -> dict[str, Any]:
    reading = PageReading("ok", "located", page, "C.HASIL-PPWP", decide_fields(list(fields), []))
    data: dict[str, Any] = json.loads(json.dumps({"path": f"p{page}.jpg", **reading.to_json()}))
    return data


def test_the_marks_of_a_field_survive_storage() -> None:
    original = field("paslon_2", "X14", (1, "7", 0.35), bubbles="-14")
    data = stored(2, original)
    marks = data["fields"]["paslon_2"]["marks"]
    assert marks["boxes"][1] == {"1": 0.6499, "7": 0.35}
    assert len(marks["bubbles"]) == 3
    rebuilt = page_from_json(data).field("paslon_2").evidence
    assert rebuilt is not None
    np.testing.assert_allclose(rebuilt.posterior, original.posterior, atol=1e-4)
    np.testing.assert_allclose(rebuilt.boxes, original.boxes, rtol=1e-3, atol=1e-6)


def test_pages_stored_apart_are_decideddecide_together() -> None:
    page_2 = stored(
        2,
        field("paslon_1", "123"),
        field("paslon_2", "X14", (1, "7", 0.35)),
        field("paslon_3", "XX5"),
    )
    page_3 = stored(
        3, field("suara_sah", "202"), field("suara_tidak_sah", "XX3"), field("suara_total", "205")
    )
    assert page_2["fields"]["paslon_2"]["status"] == "abstain"
    together = decide_stored_pages([page_2, page_3])
    paslon_2 = together[0]["fields"]["paslon_2"]
    assert (paslon_2["status"], paslon_2["value"]) == ("read", 74)
    assert "sum of paslon votes = suara sah" in paslon_2["reason"]
    assert together[0]["path"] == "p2.jpg"
    assert together[1]["fields"]["suara_sah"]["value"] == 202


def test_a_field_stored_without_marks_keeps_its_reading() -> None:
    page_2 = stored(2, field("paslon_1", "123"), field("paslon_2", "X14", (1, "7", 0.35)))
    del page_2["fields"]["paslon_2"]["marks"]
    together = decide_stored_pages([page_2])
    kept = together[0]["fields"]["paslon_2"]
    assert kept == {**page_2["fields"]["paslon_2"], "marks": None}


def test_pages_that_cannot_be_decided_again_keep_their_readings() -> None:
    from rekap.adapters.storage.forms import decide_together

    page_2 = stored(
        2,
        field("paslon_1", "123"),
        field("paslon_2", "X14", (1, "7", 0.35)),
        field("paslon_3", "XX5"),
    )
    page_3 = stored(3, field("suara_sah", "202"))
    damaged = {**page_3, "fields": {"suara_sah": {**page_3["fields"]["suara_sah"], "box": 5}}}
    assert decide_together([page_2, damaged]) == [page_2, damaged]
    assert decide_together([page_2]) == [page_2]
    assert decide_together([page_2, page_3])[0]["fields"]["paslon_2"]["value"] == 74
