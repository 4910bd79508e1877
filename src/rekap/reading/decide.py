"""Decide stage: one number per field from its digit boxes, bubbles and the form's arithmetic.

First each field's own evidence (`field_evidence`): every value 0..999 is scored by how
well it explains the field's marks at once:

    P(value | marks)  ~  prod_i box_i(digit_i)  x  prod_i bubbles_i(digit_i)

where a leading position of a short number (the hundreds of 32) may be written as 'X', left
blank or written '0', and its bubble column may show 0 or nothing; a bubble column left
unmarked is weak evidence, never a contradiction. Then, for fields tied by the form's
identities, the joint posterior given every tied field's marks (`rekap.reading.joint`,
with an explicit prior that the KPPS wrote a mistake). The reader reads the best value
only when it is probable enough and no source confidently says otherwise (not the boxes
against the bubbles, not the field's own marks against the arithmetic); else it abstains
and says why. There is no fixed confusion rule (such as "a doubtful 1 is a 7").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from rekap.reading.bubbles import NONE, BubbleGridReading
from rekap.reading.classifier import (
    BLANK,
    CROSSED,
    DIGIT_BOX_LABELS,
    HIDDEN_LABEL,
    DigitBoxReading,
)
from rekap.reading.evidence import FieldEvidence
from rekap.reading.geometry import FloatArray
from rekap.reading.identities import SumIdentity
from rekap.reading.joint import DEFAULT_MISTAKE_PRIOR, MistakePrior, joint_posteriors
from rekap.reading.position_conflict import position_conflict
from rekap.reading.result import FieldReading
from rekap.reading.shared_misread import shared_misread
from rekap.reading.template import Box

VALUES = np.arange(1000)
DIGITS = np.stack([VALUES // 100, VALUES // 10 % 10, VALUES % 10])
LEADING = np.stack([VALUES < 100, VALUES < 10, np.zeros(1000, dtype=bool)])
"""Whether position i of each value is a leading zero (hundreds of 32, tens of 7)."""


@dataclass(frozen=True)
class DecisionPolicy:
    accept: float = 0.95
    """Read a value only when its probability given all evidence is at least this..."""
    accept_single_source: float = 0.99
    """...or this, when the digit boxes are the only evidence (pages 1 and 3): three boxes
    by one hand fail together, and on simulated photos a classifier 95-98% sure of a
    number was wrong about one time in twelve (7 -> 1, 9 -> 4)."""
    conflict: float = 0.8
    """Abstain when boxes and bubbles are each at least this sure of different values."""
    min_box_support: float = 0.05
    """Abstain when a digit box gives the chosen value's digit less than this."""
    leading_box: tuple[float, float, float] = (0.2, 0.5, 0.3)
    """How a leading zero's box is filled: written '0', crossed 'X', left blank."""
    unmarked_leading: float = 0.5
    """Share of leading zeros whose bubble column is left unmarked (instead of 0)."""
    unmarked_column: float = 0.2
    """Share of other digits whose bubble column is left unmarked (a skipped grid)."""
    floor: float = 1e-4
    """Every piece of evidence keeps at least this much doubt."""
    alternatives: int = 5
    mistake: MistakePrior = DEFAULT_MISTAKE_PRIOR
    """How likely the KPPS wrote numbers that break one of the form's identities."""
    shared_misread_support: float = 0.02
    """A field the arithmetic made readable abstains when a misread shared with its tied
    fields would fit the arithmetic too (`rekap.reading.shared_misread`); a box of the
    field takes part when it gives the other digit at least this share of its digit's
    likelihood..."""
    shared_misread_bubbles: float = 0.05
    """...and a bubble column unless it gives the other digit less than this share."""


def box_likelihoods(readings: Sequence[DigitBoxReading], policy: DecisionPolicy) -> FloatArray:
    """(3, 1000): how well each box's reading fits each value. The classifier's posteriors
    stand in for likelihoods (uniform class prior); a leading zero is a mixture of the ways
    it is written, so an uninformative box favours no value."""
    written, crossed, blank = policy.leading_box
    rows = []
    for position, reading in enumerate(readings):
        p = np.asarray(reading.probabilities, dtype=np.float64)
        if p.shape != (len(DIGIT_BOX_LABELS),):
            raise ValueError(f"expected {len(DIGIT_BOX_LABELS)} probabilities, got {p.shape}")
        leading = written * p[0] + crossed * p[CROSSED] + blank * p[BLANK]
        digit = p[DIGITS[position]]
        rows.append(np.where(LEADING[position], leading, digit) + policy.floor)
    return np.array(rows)


def bubble_likelihoods(grid: BubbleGridReading, policy: DecisionPolicy) -> FloatArray:
    """(3, 1000): how well each bubble column fits each value; an unmarked column is a
    possible way to fill any position, so it weakens but never contradicts a value."""
    rows = []
    for position, column in enumerate(grid.columns):
        p = np.asarray(column.probabilities, dtype=np.float64)
        skip_leading, skip = policy.unmarked_leading, policy.unmarked_column
        leading = (1 - skip_leading) * p[0] + skip_leading * p[NONE]
        digit = (1 - skip) * p[DIGITS[position]] + skip * p[NONE]
        rows.append(np.where(LEADING[position], leading, digit) + policy.floor)
    return np.array(rows)


def _posterior(likelihoods: FloatArray) -> FloatArray:
    log = np.log(likelihoods).sum(axis=0)
    weights = np.exp(log - log.max())
    result: FloatArray = weights / weights.sum()
    return result


def _best(posterior: FloatArray) -> tuple[int, float]:
    index = int(np.argmax(posterior))
    return index, float(posterior[index])


def _alternatives(posterior: FloatArray, count: int) -> tuple[tuple[int, float], ...]:
    order = np.argsort(posterior)[::-1][:count]
    return tuple((int(v), float(posterior[v])) for v in order)


def abstain(field_id: str, box: Box, reason: str) -> FieldReading:
    """A field with no evidence at all (outside the photo, page not read)."""
    return FieldReading(field_id, None, "abstain", 0.0, (), reason, box)


def field_evidence(
    field_id: str,
    box: Box,
    digit_readings: Sequence[DigitBoxReading],
    bubbles: BubbleGridReading | None,
    policy: DecisionPolicy = DecisionPolicy(),
) -> FieldEvidence:
    """What this field's own digit boxes and bubble grid say about its value."""
    boxes = box_likelihoods(digit_readings, policy)
    marks = bubble_likelihoods(bubbles, policy) if bubbles is not None else None
    evidence = np.concatenate([boxes, marks]) if marks is not None else boxes
    return FieldEvidence(
        field_id,
        box,
        _posterior(evidence),
        boxes,
        marks,
        tuple(r.label for r in digit_readings),
        bubbles.digits() if bubbles is not None else None,
        tuple(tuple(r.probabilities) for r in digit_readings),
        tuple(c.probabilities for c in bubbles.columns) if bubbles is not None else None,
    )


def decide_field(
    field_id: str,
    box: Box,
    digit_readings: Sequence[DigitBoxReading],
    bubbles: BubbleGridReading | None,
    policy: DecisionPolicy = DecisionPolicy(),
) -> FieldReading:
    """Combine the evidence of one field into a reading or an abstention with a reason."""
    return decide(field_evidence(field_id, box, digit_readings, bubbles, policy), policy)


def decide(
    evidence: FieldEvidence,
    policy: DecisionPolicy = DecisionPolicy(),
    joint: FloatArray | None = None,
    identities: tuple[str, ...] = (),
) -> FieldReading:
    """Read the field's most probable value, or abstain and say why. `joint` is its
    posterior given the evidence of the fields tied to it by `identities` too."""
    labels = evidence.digit_labels
    shown = "".join("_" if label == "blank" else label for label in labels)
    marks = evidence.bubble_digits
    own_value, own_p = _best(evidence.posterior)
    posterior = evidence.posterior if joint is None else joint
    value, confidence = _best(posterior)
    alternatives = _alternatives(posterior, policy.alternatives)

    def result(status: str, reason: str) -> FieldReading:
        read = status == "read"
        return FieldReading(
            evidence.field_id,
            value if read else None,
            "read" if read else "abstain",
            confidence,
            alternatives,
            reason,
            evidence.box,
            labels,
            marks,
            evidence,
        )

    if evidence.empty:
        # nothing written: no value is more likely than another, so none is offered
        extra = f"; bubbles show {marks}" if marks and marks != "---" else ""
        hidden = f" or hidden on the photo ('{shown}')" if HIDDEN_LABEL in labels else ""
        return FieldReading(
            evidence.field_id,
            None,
            "abstain",
            0.0,
            (),
            f"digit boxes are empty{hidden}{extra}",
            evidence.box,
            labels,
            marks,
            evidence,
        )
    box_value, box_p = _best(_posterior(evidence.boxes))
    if evidence.bubbles is not None:
        bubble_value, bubble_p = _best(_posterior(evidence.bubbles))
        sure = min(box_p, bubble_p) >= policy.conflict
        if sure and box_value != bubble_value:
            return result(
                "abstain",
                f"digit boxes read {box_value} (p={box_p:.2f}) but bubbles read "
                f"{bubble_value} (p={bubble_p:.2f})",
            )
        conflict = position_conflict(
            evidence.box_probabilities, evidence.bubble_probabilities, policy.conflict
        )
        if conflict is not None:
            return result("abstain", conflict)
    arithmetic = "; ".join(identities)
    if value != own_value and own_p >= policy.conflict:
        return result(
            "abstain",
            f"its own marks read {own_value} (p={own_p:.2f}) but the form's arithmetic "
            f"({arithmetic}) favours {value} (p={confidence:.2f}): a mistake on the form "
            "or a misread",
        )
    support = evidence.boxes[:, value] - policy.floor
    weakest = int(np.argmin(support))
    if support[weakest] < policy.min_box_support:
        return result(
            "abstain",
            f"best value {value} but digit box {weakest} reads '{labels[weakest]}' "
            f"(gives {value}'s digit p={support[weakest]:.3f})",
        )
    hidden = f" ({HIDDEN_LABEL}: hidden on the photo)" if HIDDEN_LABEL in labels else ""
    sources = f"boxes '{shown}'{hidden}" + (f", bubbles '{marks}'" if marks is not None else "")
    # an unmarked grid is no second source: the boxes alone must be as sure as without one
    # (a column marked more than once, '?', says no digit either)
    marked = marks is not None and any(mark.isdigit() for mark in marks)
    threshold = policy.accept if marked else policy.accept_single_source
    helped = f" and {arithmetic} (own marks p={own_p:.3f})" if identities else ""
    if confidence < threshold:
        runner_up = alternatives[1] if len(alternatives) > 1 else (value, 0.0)
        return result(
            "abstain",
            f"uncertain: {value} (p={confidence:.2f}) or {runner_up[0]} "
            f"(p={runner_up[1]:.2f}) from {sources}{helped}",
        )
    return result("read", f"read from {sources}{helped}")


def decide_fields(
    evidence: Sequence[FieldEvidence],
    identities: Sequence[SumIdentity],
    policy: DecisionPolicy = DecisionPolicy(),
) -> tuple[FieldReading, ...]:
    """Decide several fields together: those tied by an identity whose fields all hold
    writing are decided on their joint posteriors (`rekap.reading.joint`). A field that
    only the arithmetic made readable abstains when a misread shared with its tied fields
    would fit the arithmetic as well (`rekap.reading.shared_misread`)."""
    written = {e.field_id: e.posterior for e in evidence if not e.empty}
    joint = joint_posteriors(written, identities, policy.mistake)
    chosen = {f: int(np.argmax(p)) for f, p in joint.posteriors.items()}
    by_id = {e.field_id: e for e in evidence}
    readings = []
    for e in evidence:
        posterior = joint.posteriors.get(e.field_id)
        reading = decide(e, policy, posterior, joint.identities.get(e.field_id, ()))
        if posterior is not None and reading.status == "read":
            alone = decide(e, policy)
            if alone.status != "read" or alone.value != reading.value:
                reading = _unless_shared_misread(reading, chosen, by_id, identities, policy)
                tied = joint.identities.get(e.field_id, ())
                reading = _unless_zeros_alone(reading, e, chosen, tied, identities)
        readings.append(reading)
    return tuple(readings)


def _unless_zeros_alone(
    reading: FieldReading,
    evidence: FieldEvidence,
    chosen: dict[str, int],
    tied: Sequence[str],
    identities: Sequence[SumIdentity],
) -> FieldReading:
    """A field whose every box reads `0`, made readable only by identities whose every field
    is 0, abstains: `0 + 0 = 0` holds as well when empty boxes are misread as zeros (on a
    blurred page their printed guides look like 0s to the classifier). A zero written the
    usual way (`X X 0`) is not affected."""
    if reading.status != "read" or reading.value != 0 or not tied:
        return reading
    if not evidence.digit_labels or any(label != "0" for label in evidence.digit_labels):
        return reading
    used = [i for i in identities if i.name in tied]
    if not used or any(chosen.get(f, 0) != 0 for i in used for f in i.fields):
        return reading
    return replace(
        reading,
        value=None,
        status="abstain",
        reason="boxes read '000' and every field tied to it reads 0 too: 0 + 0 = 0 holds for "
        "misread empty boxes as well, and its own marks cannot tell",
    )


def _unless_shared_misread(
    reading: FieldReading,
    chosen: dict[str, int],
    evidence: dict[str, FieldEvidence],
    identities: Sequence[SumIdentity],
    policy: DecisionPolicy,
) -> FieldReading:
    shared = shared_misread(
        reading.field_id,
        chosen,
        evidence,
        identities,
        policy.shared_misread_support,
        policy.shared_misread_bubbles,
    )
    if shared is None:
        return reading
    return replace(
        reading,
        value=None,
        status="abstain",
        reason=f"{reading.value} fits the arithmetic, but {shared.describe()}: "
        "its own marks cannot tell",
    )
