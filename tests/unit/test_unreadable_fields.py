"""The pure rules of a number one cannot read: an entry answers every field with a number or
"cannot read" (None), never both; such a field is never verified, whatever the other entry
says; an adjudicator's mark sends back the photos of the pages it is on."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from rekap.capture.verification import (
    SendBack,
    TaskOutcome,
    decide_entries,
    entry_problem,
    read_numbers,
    send_back_fields,
    unreadable_fields,
)
from rekap.data import election_2024
from rekap.domain.form import c_hasil_ppwp
from rekap.domain.wilayah import KodeWilayah

ELECTION = election_2024()
FORM = c_hasil_ppwp(ELECTION.contest("ppwp").dapil[0])
KODE = KodeWilayah("3310052013001")
COHERENT = {f.id: 0 for f in FORM.fields} | {
    "dpt_l": 100,
    "dpt_p": 100,
    "dpt_j": 200,
    "pengguna_dpt_l": 50,
    "pengguna_dpt_p": 50,
    "pengguna_dpt_j": 100,
    "pengguna_total_l": 50,
    "pengguna_total_p": 50,
    "pengguna_total_j": 100,
    "surat_suara_diterima": 200,
    "surat_suara_digunakan": 100,
    "surat_suara_tidak_digunakan": 100,
    "paslon_1": 41,
    "paslon_2": 33,
    "paslon_3": 24,
    "suara_sah": 98,
    "suara_tidak_sah": 2,
    "suara_total": 100,
}


def _decide(*entries: dict[str, int | None]) -> TaskOutcome:
    return decide_entries(KODE, "ppwp", list(entries), FORM, ELECTION).outcome


def test_the_coherent_form_verifies() -> None:
    assert _decide(dict(COHERENT), dict(COHERENT)) is TaskOutcome.VERIFIED


def test_a_field_both_cannot_read_goes_to_an_adjudicator_never_verified() -> None:
    marked: dict[str, int | None] = {**COHERENT, "paslon_2": None}
    decision = decide_entries(KODE, "ppwp", [marked, dict(marked)], FORM, ELECTION)
    assert decision.outcome is TaskOutcome.ADJUDICATION
    assert decision.unreadable == ("paslon_2",)
    assert decision.disagreements == ()
    assert decision.reasons == ("paslon_2: neither verifier could read it",)
    assert "paslon_2" not in decision.values


def test_one_mark_against_a_number_is_a_disagreement() -> None:
    marked: dict[str, int | None] = {**COHERENT, "paslon_2": None}
    decision = decide_entries(KODE, "ppwp", [marked, dict(COHERENT)], FORM, ELECTION)
    assert decision.outcome is TaskOutcome.ADJUDICATION
    assert (decision.disagreements, decision.unreadable) == (("paslon_2",), ())
    assert decision.values == {}  # nothing agreed is carried on one person's word


@given(
    st.sets(st.sampled_from([f.id for f in FORM.fields]), min_size=1),
    st.sets(st.sampled_from([f.id for f in FORM.fields])),
)
def test_no_field_anyone_marked_is_ever_verified(first: set[str], second: set[str]) -> None:
    a: dict[str, int | None] = {f: (None if f in first else v) for f, v in COHERENT.items()}
    b: dict[str, int | None] = {f: (None if f in second else v) for f, v in COHERENT.items()}
    for entries in ((a, b), (b, a)):
        decision = decide_entries(KODE, "ppwp", list(entries), FORM, ELECTION)
        assert decision.outcome is TaskOutcome.ADJUDICATION
        assert set(decision.disagreements) | set(decision.unreadable) == first | second
        assert not (first | second) & set(decision.values)


def test_an_entry_splits_into_numbers_and_marks() -> None:
    entry: dict[str, int | None] = {"a": 3, "b": None, "c": 0, "d": None}
    assert unreadable_fields(entry) == ("b", "d")
    assert read_numbers(entry) == {"a": 3, "c": 0}


def test_every_field_is_answered_once() -> None:
    ids = [f.id for f in FORM.fields]
    numbers = dict.fromkeys(ids[1:], 1)
    assert entry_problem(FORM, numbers, [ids[0]]) is None
    assert entry_problem(FORM, dict.fromkeys(ids, 1), []) is None
    missing = entry_problem(FORM, numbers, [])
    assert missing is not None and ids[0] in missing and "marked unreadable" in missing
    both = entry_problem(FORM, dict.fromkeys(ids, 1), [ids[0]])
    assert both is not None and "not both" in both
    unknown = entry_problem(FORM, numbers, [ids[0], "nope"])
    assert unknown is not None and "nope" in unknown
    wrong = entry_problem(FORM, numbers | {ids[1]: 1000}, [ids[0]])
    assert wrong is not None and "0–999" in wrong


def test_an_adjudicators_mark_sends_back_every_read_photo_of_its_pages() -> None:
    page_of = {f.id: f.page for f in FORM.fields}
    shown = {11: 1, 12: 2, 13: 2, 14: 3}  # an older and a newer photo of page 2
    on_two = next(f for f, p in page_of.items() if p == 2)
    assert send_back_fields(shown, {on_two}, FORM) == SendBack((12, 13), (2,))
    on_one = next(f for f, p in page_of.items() if p == 1)
    assert send_back_fields(shown, {on_one, on_two}, FORM) == SendBack((11, 12, 13), (1, 2))
