"""Settling one abstained field with the sum of paslon votes = suara sah."""

from __future__ import annotations

from rekap.reading.result import FieldReading, PageReading
from rekap.reading.settle import settle_with_identity

BOX = (0.0, 0.0, 1.0, 1.0)


def read(field_id: str, value: int, confidence: float = 0.99) -> FieldReading:
    return FieldReading(field_id, value, "read", confidence, ((value, confidence),), "read", BOX)


def doubtful(field_id: str, *alternatives: tuple[int, float]) -> FieldReading:
    best = alternatives[0][1] if alternatives else 0.0
    return FieldReading(field_id, None, "abstain", best, alternatives, "uncertain", BOX)


def pages(paslon: list[FieldReading], sah: FieldReading) -> list[PageReading]:
    others = [read("suara_tidak_sah", 3), read("suara_total", 205)]
    return [
        PageReading("ok", "", 2, "C.HASIL-PPWP", tuple(paslon)),
        PageReading("ok", "", 3, "C.HASIL-PPWP", (sah, *others)),
    ]


def test_one_doubtful_paslon_is_settled_when_its_own_evidence_agrees() -> None:
    paslon = [
        read("paslon_1", 123),
        doubtful("paslon_2", (14, 0.6), (74, 0.35)),
        read("paslon_3", 5),
    ]
    settled = settle_with_identity(pages(paslon, read("suara_sah", 202)))
    field = settled[0].field("paslon_2")
    assert (field.status, field.value) == ("read", 74)
    assert field.confidence < 0.99
    assert "settled by sum of paslon votes = suara_sah = 74" in field.reason
    assert settled[1] == pages(paslon, read("suara_sah", 202))[1]


def test_a_doubtful_suara_sah_is_settled_by_the_sum() -> None:
    paslon = [read("paslon_1", 123), read("paslon_2", 74), read("paslon_3", 5)]
    settled = settle_with_identity(pages(paslon, doubtful("suara_sah", (282, 0.7), (202, 0.25))))
    assert settled[1].field("suara_sah").value == 202


def test_evidence_against_the_implied_value_keeps_the_abstention() -> None:
    paslon = [
        read("paslon_1", 123),
        doubtful("paslon_2", (14, 0.6), (19, 0.35)),
        read("paslon_3", 5),
    ]
    settled = settle_with_identity(pages(paslon, read("suara_sah", 202)))
    field = settled[0].field("paslon_2")
    assert (field.status, field.value) == ("abstain", None)
    assert "implies 74, which its own evidence does not support" in field.reason


def test_two_doubtful_fields_are_ambiguous_and_left_alone() -> None:
    paslon = [
        read("paslon_1", 123),
        doubtful("paslon_2", (74, 0.6)),
        doubtful("paslon_3", (5, 0.9)),
    ]
    original = pages(paslon, read("suara_sah", 202))
    assert list(settle_with_identity(original)) == original


def test_a_field_without_evidence_is_not_settled() -> None:
    paslon = [read("paslon_1", 123), doubtful("paslon_2"), read("paslon_3", 5)]
    settled = settle_with_identity(pages(paslon, read("suara_sah", 202)))
    assert settled[0].field("paslon_2").status == "abstain"


def test_an_impossible_implied_value_is_not_settled() -> None:
    paslon = [read("paslon_1", 923), doubtful("paslon_2", (74, 0.6)), read("paslon_3", 5)]
    settled = settle_with_identity(pages(paslon, read("suara_sah", 202)))
    assert settled[0].field("paslon_2").status == "abstain"


def test_a_missing_page_settles_nothing() -> None:
    paslon = [read("paslon_1", 123), doubtful("paslon_2", (74, 0.6)), read("paslon_3", 5)]
    only_page_two = pages(paslon, read("suara_sah", 202))[:1]
    assert list(settle_with_identity(only_page_two)) == only_page_two
