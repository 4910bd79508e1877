"""A misread shared by tied fields: when the form's arithmetic cannot tell it apart.

The joint stage treats each field's misreads as independent, and they are not: one hand's
`1` can look like a `7` to the classifier in every field of a page. Two tied fields misread
the same way keep an identity true (`794 + 1 + 0 = 795` for a written `194 + 1 + 0 = 195`),
so the arithmetic "confirms" both. This module asks, for a field that the arithmetic made
readable, whether such a shared misread would fit the arithmetic equally well:

    for a digit `a` the field shows in a box that also finds `b` plausible, is there a set
    of boxes showing `a` (that box among them, any others in the fields tied to it) such
    that reading every one of them as `b` keeps every identity the chosen values satisfy?

If so, the arithmetic is no evidence between the two readings and the field must be
decided on its own marks. A box of another field counts whatever its own confidence (the
classifier is confidently wrong on one hand's digits too), unless the field's bubbles
show `a` there (bubbles do not share the digit classifier's confusion). A box shows what
its own best label says, and takes part only when that agrees with the chosen value (a box
the arithmetic overruled is not misread in the chosen reading); a leading zero shows `0`,
or `EMPTY` when crossed out or left blank (a `1` read as X or as blank is one misread).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from rekap.reading.evidence import FieldEvidence
from rekap.reading.identities import SumIdentity

WEIGHTS = (100, 10, 1)
EMPTY = "X/blank"
"""A leading zero crossed out or left blank: one symbol, since a hand's `1` read as X in one
field and as blank in another is the same misread."""
MAX_BOXES = 14
"""Beyond this many candidate boxes the subsets are not enumerated: the misread is then
assumed possible (abstaining is the safe side)."""


@dataclass(frozen=True)
class SharedMisread:
    shown: str
    """What the boxes show ('0'..'9', or `EMPTY` for a leading zero not written as 0)..."""
    written: int
    """...and the digit they may hold instead."""
    values: Mapping[str, int]
    """The values of the changed fields under that misread (empty when too many boxes
    showed the digit to enumerate)."""

    def describe(self) -> str:
        if not self.values:
            return (
                f"too many boxes show '{self.shown}' to rule out that each holds '{self.written}'"
            )
        changed = ", ".join(f"{f} = {v}" for f, v in sorted(self.values.items()))
        return (
            f"a '{self.written}' misread as '{self.shown}' in every tied field would fit "
            f"the arithmetic too ({changed})"
        )


def _digit(value: int, position: int) -> int:
    return value // WEIGHTS[position] % 10


def _shown(evidence: FieldEvidence, value: int, position: int) -> str | None:
    """What box `position` shows, when its own best label agrees with `value`: the digit,
    or for a leading zero `0` or `EMPTY` (crossed out or left blank). None when the box
    reads something else: the arithmetic overruled it, so it shares no misread."""
    label = evidence.digit_labels[position]
    if value >= WEIGHTS[position] or position == len(WEIGHTS) - 1:
        return label if label == str(_digit(value, position)) else None
    if label in ("X", "blank"):
        return EMPTY
    return "0" if label == "0" else None


def _satisfied(identity: SumIdentity, values: Mapping[str, int]) -> bool:
    return sum(values[p] for p in identity.parts) == values[identity.total]


def _tied_fields(
    field_id: str, identities: Sequence[SumIdentity]
) -> tuple[set[str], list[SumIdentity]]:
    """The fields reachable from `field_id` through `identities`, and those identities."""
    fields, used, frontier = {field_id}, [], [field_id]
    while frontier:
        current = frontier.pop()
        for identity in identities:
            if current in identity.fields and identity not in used:
                used.append(identity)
                fresh = [f for f in identity.fields if f not in fields]
                fields.update(fresh)
                frontier.extend(fresh)
    return fields, used


def _plausible(row: np.ndarray, value: int, other: int, floor: float) -> bool:
    return bool(row[other] >= floor * row[value])


def shared_misread(
    field_id: str,
    values: Mapping[str, int],
    evidence: Mapping[str, FieldEvidence],
    identities: Sequence[SumIdentity],
    support: float = 0.02,
    bubble_support: float = 0.05,
) -> SharedMisread | None:
    """A shared misread that fits every identity the chosen `values` satisfy as well as
    they do, changing `field_id`; None when there is none. `support`: how much of the
    shown digit's likelihood a box of `field_id` must give the other digit; `bubble_support`
    the same for a bubble column (below it the bubbles rule the misread out)."""
    satisfied = [
        i for i in identities if all(f in values for f in i.fields) and _satisfied(i, values)
    ]
    tied, used = _tied_fields(field_id, satisfied)
    if not used:
        return None
    names = sorted(tied)
    coefficients = np.array(
        [[(1 if f in i.parts else -1 if f == i.total else 0) for f in names] for i in used]
    )
    own, value = evidence[field_id], values[field_id]
    pairs = {
        (shown, b)
        for q in range(len(WEIGHTS))
        if (shown := _shown(own, value, q)) is not None
        for b in range(10)
        if b != _digit(value, q) and _plausible(own.boxes[q], value, _swapped(value, q, b), support)
    }
    for shown, written in sorted(pairs):
        found = _search(
            field_id, shown, written, names, values, evidence, coefficients, support, bubble_support
        )
        if found is not None:
            return found
    return None


def _swapped(value: int, position: int, digit: int) -> int:
    return value + (digit - _digit(value, position)) * WEIGHTS[position]


def _search(
    field_id: str,
    shown: str,
    written: int,
    names: list[str],
    values: Mapping[str, int],
    evidence: Mapping[str, FieldEvidence],
    coefficients: np.ndarray,
    support: float,
    bubble_support: float,
) -> SharedMisread | None:
    boxes: list[tuple[int, int]] = []  # (field index, position)
    for index, name in enumerate(names):
        value, marks = values[name], evidence[name]
        for q in range(len(WEIGHTS)):
            if _shown(marks, value, q) != shown:
                continue
            other = _swapped(value, q, written)
            if name == field_id and not _plausible(marks.boxes[q], value, other, support):
                continue
            if marks.bubbles is not None and not _plausible(
                marks.bubbles[q], value, other, bubble_support
            ):
                continue
            boxes.append((index, q))
    own = [k for k, (index, _) in enumerate(boxes) if names[index] == field_id]
    if not own:
        return None
    if len(boxes) > MAX_BOXES:
        return SharedMisread(shown, written, {})
    delta = np.zeros((len(boxes), len(names)), dtype=np.int64)
    for k, (index, q) in enumerate(boxes):
        value = values[names[index]]
        delta[k, index] = _swapped(value, q, written) - value
    masks = np.arange(1, 1 << len(boxes), dtype=np.int64)
    chosen = (masks[:, None] >> np.arange(len(boxes))) & 1
    changes = chosen @ delta
    fits = ~np.any(changes @ coefficients.T, axis=1)
    fits &= np.any(chosen[:, own], axis=1)
    hits = np.flatnonzero(fits)
    if not len(hits):
        return None
    change = changes[hits[0]]
    return SharedMisread(
        shown,
        written,
        {name: values[name] + int(change[i]) for i, name in enumerate(names) if change[i]},
    )
