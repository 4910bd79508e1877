"""Joint decision: fields tied by the form's identities, with a prior for a written mistake."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from tests.reading.marks import box, grid

from rekap.reading.box_seen import HiddenBox
from rekap.reading.decide import decide_fields, field_evidence
from rekap.reading.evidence import FieldEvidence
from rekap.reading.geometry import FloatArray
from rekap.reading.identities import C_HASIL_PPWP_IDENTITIES, SumIdentity, check_no_loop
from rekap.reading.joint import ANY_DISCREPANCY, MistakePrior, joint_posteriors
from rekap.reading.result import FieldReading, PageReading
from rekap.reading.tps import decide_tps

BOX = (0.0, 0.0, 10.0, 10.0)
SUM = SumIdentity("a + b = c", ("a", "b"), "c")


def written(field_id: str, text: str, p: float = 0.9999) -> FieldEvidence:
    """A field whose boxes each read `text`'s character with probability p."""
    names = {"X": "X", "_": "blank"}
    return field_evidence(field_id, BOX, [box(names.get(c, c), p) for c in text], None)


def doubtful(field_id: str, text: str, position: int, other: str, q: float) -> FieldEvidence:
    """Boxes read `text`, but box `position` gives `other` probability q."""
    boxes = [box(c, 0.9999) for c in text]
    boxes[position] = box(text[position], 0.9999 - q, other, q)
    return field_evidence(field_id, BOX, boxes, None)


def peaked(*pairs: tuple[int, float]) -> FloatArray:
    p = np.zeros(1000)
    for value, probability in pairs:
        p[value] = probability
    result: FloatArray = p / p.sum()
    return result


def by_id(readings: tuple[FieldReading, ...]) -> dict[str, FieldReading]:
    return {r.field_id: r for r in readings}


def test_the_form_identities_hold_no_loop_and_a_loop_is_refused() -> None:
    check_no_loop(C_HASIL_PPWP_IDENTITIES)
    column_l = SumIdentity(
        "L column",
        ("pengguna_dpt_l", "pengguna_dptb_l", "pengguna_dpk_l"),
        "pengguna_total_l",
    )
    with pytest.raises(ValueError, match="loop"):
        check_no_loop((*C_HASIL_PPWP_IDENTITIES, column_l))


def _brute_force(
    evidence: dict[str, FloatArray], identities: list[SumIdentity], prior: MistakePrior
) -> dict[str, FloatArray]:
    """Marginals by enumerating every combination of the values with evidence."""
    names = list(evidence)
    supports = [np.flatnonzero(evidence[n]) for n in names]
    marginals = {n: np.zeros(1000) for n in names}
    reach = prior.small_reach
    for combo in itertools.product(*supports):
        values = dict(zip(names, combo, strict=True))
        weight = float(np.prod([evidence[n][v] for n, v in values.items()]))
        for identity in identities:
            d = sum(values[p] for p in identity.parts) - values[identity.total]
            small = prior.small_share * (1 <= abs(d) <= reach) / (2 * reach)
            anything = (1 - prior.small_share) * (d != 0) / ANY_DISCREPANCY
            weight *= (1 - prior.rate) * (d == 0) + prior.rate * (small + anything)
        for n, v in values.items():
            marginals[n][v] += weight
    return {n: m / m.sum() for n, m in marginals.items()}


def test_message_passing_is_exact_on_a_chain_of_identities() -> None:
    chain = [SUM, SumIdentity("c + d = e", ("c", "d"), "e")]
    evidence = {
        "a": peaked((50, 0.7), (56, 0.2), (58, 0.1)),
        "b": peaked((68, 0.6), (63, 0.4)),
        "c": peaked((118, 0.5), (178, 0.3), (113, 0.2)),
        "d": peaked((2, 0.9), (7, 0.1)),
        "e": peaked((120, 0.55), (125, 0.25), (180, 0.2)),
    }
    prior = MistakePrior(rate=0.1)
    expected = _brute_force(evidence, chain, prior)
    joint = joint_posteriors(evidence, chain, prior)
    for name, marginal in expected.items():
        np.testing.assert_allclose(joint.posteriors[name], marginal, atol=1e-9)
    assert joint.identities["c"] == ("a + b = c", "c + d = e")


def test_an_identity_whose_field_has_no_evidence_is_not_used() -> None:
    joint = joint_posteriors({"a": peaked((5, 1.0)), "b": peaked((6, 1.0))}, [SUM])
    assert dict(joint.posteriors) == {}


def test_sure_parts_make_a_doubtful_total_readable() -> None:
    fields = [written("a", "X50"), written("b", "X68"), doubtful("c", "118", 1, "7", 0.03)]
    alone = by_id(decide_fields(fields, []))["c"]
    assert alone.status == "abstain"
    joint = by_id(decide_fields(fields, [SUM]))["c"]
    assert (joint.status, joint.value) == ("read", 118)
    assert joint.confidence > 0.999
    assert "a + b = c" in joint.reason


def test_three_boxes_each_a_little_unsure_are_read_when_the_sum_agrees() -> None:
    fields = [written("a", "X50"), written("b", "X68"), written("c", "118", p=0.995)]
    alone = by_id(decide_fields(fields, []))["c"]
    assert alone.status == "abstain" and alone.confidence < 0.99
    assert by_id(decide_fields(fields, [SUM]))["c"].value == 118


def test_the_runner_up_is_chosen_only_when_the_arithmetic_supports_it() -> None:
    fields = [written("a", "X50"), written("b", "X68"), doubtful("c", "178", 1, "1", 0.4)]
    joint = by_id(decide_fields(fields, [SUM]))["c"]
    assert (joint.status, joint.value) == ("read", 118)
    unrelated = [written("a", "X50"), written("b", "X60"), doubtful("c", "178", 1, "1", 0.4)]
    assert by_id(decide_fields(unrelated, [SUM]))["c"].status == "abstain"


@pytest.mark.parametrize("total", ["123", "119", "178", "811"])
def test_a_mistake_written_clearly_is_never_corrected(total: str) -> None:
    """50 + 68 is 118, the KPPS wrote another total: every field is read as written or
    abstained (a misread of one box and a mistake on the form are both possible)."""
    fields = [written("a", "X50"), written("b", "X68"), written("c", total)]
    readings = by_id(decide_fields(fields, [SUM]))
    truth = {"a": 50, "b": 68, "c": int(total)}
    assert all(r.value in (None, truth[n]) for n, r in readings.items())


def test_a_small_mistake_written_clearly_is_read_as_written() -> None:
    fields = [written("a", "X50"), written("b", "X68"), written("c", "123")]
    assert by_id(decide_fields(fields, [SUM]))["c"].value == 123


def test_a_fairly_clear_mistake_is_never_corrected_by_the_arithmetic() -> None:
    fields = [written("a", "X50"), written("b", "X68"), doubtful("c", "178", 1, "1", 0.1)]
    reading = by_id(decide_fields(fields, [SUM]))["c"]
    assert (reading.status, reading.value) == ("abstain", None)
    assert "own marks read 178" in reading.reason and "favours 118" in reading.reason


def test_an_empty_field_takes_no_part_in_the_arithmetic() -> None:
    fields = [written("a", "X50"), written("b", "___"), doubtful("c", "118", 1, "7", 0.03)]
    readings = by_id(decide_fields(fields, [SUM]))
    assert readings["b"].status == "abstain" and "empty" in readings["b"].reason
    assert readings["c"].status == "abstain"


def _page(page: int, *fields: FieldEvidence) -> PageReading:
    return PageReading("ok", "", page, "C.HASIL-PPWP", decide_fields(list(fields), []))


def test_the_pages_of_one_tps_are_decided_together() -> None:
    page_2 = _page(
        2,
        written("paslon_1", "123"),
        doubtful("paslon_2", "X14", 1, "7", 0.35),
        written("paslon_3", "XX5"),
    )
    page_3 = _page(
        3,
        written("suara_sah", "202"),
        written("suara_tidak_sah", "XX3"),
        written("suara_total", "205"),
    )
    assert page_2.field("paslon_2").status == "abstain"
    together = decide_tps([page_2, page_3])
    field = together[0].field("paslon_2")
    assert (field.status, field.value) == ("read", 74)
    assert "sum of paslon votes = suara sah" in field.reason
    assert together[1].field("suara_sah").value == 202


def test_the_same_page_twice_is_not_joined() -> None:
    page = _page(2, written("paslon_1", "123"), doubtful("paslon_2", "X14", 1, "7", 0.35))
    assert decide_tps([page, page]) == (page, page)


def test_zeros_read_in_every_box_of_tied_fields_are_no_evidence_of_each_other() -> None:
    # A blurred page's empty boxes read as '0' at p 0.993: each field alone is unsure
    # (p 0.83), and 0 + 0 = 0 made them all "readable" from nothing.
    blurred = [written(f, "000", p=0.993) for f in ("a", "b", "c")]
    assert all(r.status == "abstain" for r in decide_fields(blurred, []))
    joint = decide_fields(blurred, [SUM])
    assert all(r.status == "abstain" and "'000'" in r.reason for r in joint)
    # zeros written the usual way (X X 0) are read with the same doubt and the same sum
    usual = [written(f, "XX0", p=0.993) for f in ("a", "b", "c")]
    assert [(r.status, r.value) for r in decide_fields(usual, [SUM])] == [("read", 0)] * 3
    # and a '000' field tied to a field that is not 0 is not affected
    mixed = [written("a", "000", p=0.993), written("b", "X68"), written("c", "X68", p=0.993)]
    assert by_id(decide_fields(mixed, [SUM]))["a"].value == 0


def test_blank_boxes_beside_a_hidden_one_are_an_empty_field() -> None:
    """A page left empty, a finger over the leading box of one field: '?__' is no number,
    and the arithmetic of its tied fields (`0 + ? = 0`) must not make it one (an empty
    units box that gave a `0` some probability was read as 0)."""
    empty_units = box("blank", 0.9, "0", 0.08)
    marks = [HiddenBox(), box("blank", 0.99), empty_units]
    fields = [written("a", "XX0"), field_evidence("b", BOX, marks, None), written("c", "XX0")]
    readings = by_id(decide_fields(fields, [SUM]))
    assert (readings["b"].status, readings["b"].value) == ("abstain", None)
    assert "hidden" in readings["b"].reason and "'?__'" in readings["b"].reason
    units_hidden = field_evidence("b", BOX, [box("X", 0.999), box("1", 0.999), HiddenBox()], None)
    assert not units_hidden.empty  # a number whose units box is hidden is no empty field


def test_a_hidden_units_box_after_blank_ones_is_read_from_its_bubbles_and_arithmetic() -> None:
    """'__?' is no empty field: a one-digit number fills the units box alone, and a finger
    over it leaves the bubbles and the arithmetic to read it (they did before blank boxes
    beside a hidden one were taken for an empty field)."""
    marks = [box("blank", 0.9999), box("blank", 0.9999), HiddenBox()]
    hidden_units = field_evidence("b", BOX, marks, grid("007", 0.99))
    assert not hidden_units.empty
    readings = by_id(decide_fields([written("a", "X10"), hidden_units, written("c", "X17")], [SUM]))
    assert (readings["b"].status, readings["b"].value) == ("read", 7)
    blank_units = field_evidence("b", BOX, [HiddenBox(), HiddenBox(), box("blank", 0.99)], None)
    assert blank_units.empty  # nothing in the units box: the hidden ones hold no number
