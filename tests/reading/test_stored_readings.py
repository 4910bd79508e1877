"""Stored readings keep each field's marks, so a TPS's pages can be decided together later."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from tests.reading.marks import field

from rekap.reading.decide import decide_fields
from rekap.reading.evidence import FieldEvidence
from rekap.reading.result import PageReading
from rekap.reading.stored import decide_stored_pages, page_from_json


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


def doubtful_pages() -> tuple[dict[str, Any], dict[str, Any]]:
    """Page 2 with a doubtful 74 (its middle box 1 or 7) and page 3 whose sums settle it."""
    page_2 = stored(
        2,
        field("paslon_1", "123"),
        field("paslon_2", "X14", (1, "7", 0.35)),
        field("paslon_3", "XX5"),
    )
    page_3 = stored(
        3, field("suara_sah", "202"), field("suara_tidak_sah", "XX3"), field("suara_total", "205")
    )
    return page_2, page_3


def test_pages_stored_apart_are_decideddecide_together() -> None:
    page_2, page_3 = doubtful_pages()
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


def test_the_form_keeps_each_fields_decision_and_the_photos_own_reading() -> None:
    from rekap.adapters.storage.forms import decide_together, machine_fields

    page_2, page_3 = doubtful_pages()
    decided = decide_together([page_2, page_3])
    machine = machine_fields(2, 41, page_2, decided[0])
    assert machine["paslon_2"]["value"] == 74
    assert (machine["paslon_2"]["status"], machine["paslon_2"]["page"]) == ("read", 2)
    assert machine["paslon_2"]["photo"] == 41
    assert machine["paslon_2"]["alone"]["status"] == "abstain"
    assert "suara sah" in machine["paslon_2"]["reason"]
    assert "alone" not in machine["paslon_1"]
    assert machine["paslon_1"]["value"] == 123
