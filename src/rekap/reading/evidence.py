"""What one field's own marks say about its value, before the form's arithmetic is used.

The decide stage turns a field's digit boxes and bubble grid into a `FieldEvidence`: a
probability for every value 0..999 from this field's marks alone. The joint stage
(`rekap.reading.joint`) then combines the evidence of several fields through the form's
identities, and the decision reads or abstains from the result.
"""

from __future__ import annotations

from dataclasses import dataclass

from rekap.reading.classifier import HIDDEN_LABEL
from rekap.reading.geometry import FloatArray
from rekap.reading.template import Box


@dataclass(frozen=True, eq=False)
class FieldEvidence:
    field_id: str
    box: Box
    """The field's crop, in template millimetres."""
    posterior: FloatArray
    """(1000,) P(value | this field's boxes and bubbles), uniform prior over 0..999."""
    boxes: FloatArray
    """(3, 1000) how well each digit box fits each value (floored likelihoods)."""
    bubbles: FloatArray | None
    """(3, 1000) the same for each bubble column; None where the field has no grid."""
    digit_labels: tuple[str, ...]
    bubble_digits: str | None
    box_probabilities: tuple[tuple[float, ...], ...] = ()
    """What the classifier said of each digit box (per label of `DIGIT_BOX_LABELS`)..."""
    bubble_probabilities: tuple[tuple[float, ...], ...] | None = None
    """...and the bubble reader of each column (digits 0..9, then none): the raw marks the
    likelihoods above come from, kept so that a stored reading can be decided again."""

    @property
    def empty(self) -> bool:
        """No writing is seen here: every digit box reads as blank, or some are hidden on
        the photo (`rekap.reading.box_seen`, `rekap.reading.box_border`) and every other
        one, the units box among them, reads as blank. A number fills its boxes from the
        right, so a blank units box means that the hidden boxes left of it hold no number
        that the form's arithmetic could fill in (with its tied fields empty too, it would
        read 0 for a field left empty). A hidden units box may hold a one-digit number
        (`__?`): its bubbles and the arithmetic still settle it."""
        labels = self.digit_labels
        return (
            bool(labels)
            and labels[-1] == "blank"
            and all(label in ("blank", HIDDEN_LABEL) for label in labels)
        )
