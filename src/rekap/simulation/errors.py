"""Mistakes a real KPPS makes, injected on purpose, each with the finding it must raise.

Arithmetic mistakes change what is written in the digit boxes, so the form breaks exactly
one blocking identity (``expected_rule``). Marking mistakes leave the digit boxes right
but make another record of the same number disagree: bubbles left empty or blackened for
another digit, a tally that does not add up, words that say another number. No rule sees
those (rules read values); a reader that uses the redundancy must.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum

import numpy as np

from rekap.simulation.marks import TALLY_CAPACITY, FieldMarks
from rekap.simulation.tps_sampler import MAX_CELL

__all__ = ["EXPECTED_RULE", "ErrorKind", "InjectedError", "inject_error", "misremember"]


class ErrorKind(StrEnum):
    PASLON_MISCOUNT = "paslon_miscount"
    TIDAK_SAH_MISCOUNT = "tidak_sah_miscount"
    PENGGUNA_MISCOUNT = "pengguna_miscount"
    GENDER_MISSUM = "gender_missum"
    BALLOT_MISCOUNT = "ballot_miscount"
    BALLOTS_USED_MISMATCH = "ballots_used_mismatch"
    BUBBLES_EMPTY = "bubbles_empty"
    BUBBLES_DISAGREE = "bubbles_disagree"
    TALLY_MISCOUNT = "tally_miscount"
    WORDS_DISAGREE = "words_disagree"


EXPECTED_RULE: Mapping[ErrorKind, str | None] = {
    ErrorKind.PASLON_MISCOUNT: "F-SUM-SAH",
    ErrorKind.TIDAK_SAH_MISCOUNT: "F-SUM-TOTAL",
    ErrorKind.PENGGUNA_MISCOUNT: "F-PENGGUNA-SUM",
    ErrorKind.GENDER_MISSUM: "F-GENDER-SUM",
    ErrorKind.BALLOT_MISCOUNT: "F-SURAT-SUARA-SUM",
    ErrorKind.BALLOTS_USED_MISMATCH: "F-SURAT-SUARA-DIGUNAKAN",
    ErrorKind.BUBBLES_EMPTY: None,
    ErrorKind.BUBBLES_DISAGREE: None,
    ErrorKind.TALLY_MISCOUNT: None,
    ErrorKind.WORDS_DISAGREE: None,
}


@dataclass(frozen=True, slots=True)
class InjectedError:
    """One injected mistake: the fields it touched, their true and their written values.

    For a marking mistake ``written`` is what the bubbles, tally or words say (−1: bubbles
    left empty), while the digit boxes keep the true value."""

    kind: ErrorKind
    fields: tuple[str, ...]
    true: tuple[int, ...]
    written: tuple[int, ...]

    @property
    def expected_rule(self) -> str | None:
        return EXPECTED_RULE[self.kind]

    def as_json(self) -> dict[str, object]:
        return {
            "kind": self.kind.value,
            "fields": list(self.fields),
            "true": list(self.true),
            "written": list(self.written),
            "expected_rule": self.expected_rule,
        }


def _delta(rng: np.random.Generator, value: int, low: int = 0, high: int = MAX_CELL) -> int | None:
    """A small non-zero change that keeps ``value`` within low..high, or None."""
    size = int(rng.integers(1, 11))
    for step in (size, -size) if rng.random() < 0.5 else (-size, size):
        if low <= value + step <= high:
            return step
    return None


def misremember(value: int, rng: np.random.Generator) -> int:
    """Another number a hand might write for ``value``: one digit changed (0..999)."""
    digits = list(f"{value:03d}")
    first = next((i for i, d in enumerate(digits) if d != "0"), 2)
    position = int(rng.integers(first, 3)) if value else 2
    options = [d for d in "0123456789" if d != digits[position]]
    digits[position] = options[int(rng.integers(len(options)))]
    return int("".join(digits))


def inject_error(
    kind: ErrorKind,
    values: dict[str, int],
    marks: dict[str, FieldMarks],
    vote_fields: tuple[str, ...],
    rng: np.random.Generator,
) -> InjectedError | None:
    """Apply one mistake to ``values``/``marks`` in place; None when this TPS cannot have it."""
    if kind in (ErrorKind.PASLON_MISCOUNT, ErrorKind.TIDAK_SAH_MISCOUNT, ErrorKind.GENDER_MISSUM):
        field = {
            ErrorKind.PASLON_MISCOUNT: vote_fields[int(rng.integers(len(vote_fields)))],
            ErrorKind.TIDAK_SAH_MISCOUNT: "suara_tidak_sah",
            ErrorKind.GENDER_MISSUM: "dpt_j",
        }[kind]
        return _shift(kind, values, (field,), rng, same_sign=True)
    if kind is ErrorKind.PENGGUNA_MISCOUNT:
        gender = "lp"[int(rng.integers(2))]
        return _shift(kind, values, (f"pengguna_dptb_{gender}", "pengguna_dptb_j"), rng, True)
    if kind is ErrorKind.BALLOT_MISCOUNT:
        return _shift(kind, values, ("surat_suara_tidak_digunakan",), rng, same_sign=True)
    if kind is ErrorKind.BALLOTS_USED_MISMATCH:
        fields = ("surat_suara_digunakan", "surat_suara_tidak_digunakan")
        return _shift(kind, values, fields, rng, same_sign=False)
    return _mark_error(kind, values, marks, rng)


def _shift(
    kind: ErrorKind,
    values: dict[str, int],
    fields: tuple[str, ...],
    rng: np.random.Generator,
    same_sign: bool,
) -> InjectedError | None:
    """Add δ to every field (or +δ to the first and −δ to the second)."""
    signs = [1] * len(fields) if same_sign else [1, -1]
    low = max(
        -values[f] * s if s > 0 else values[f] - MAX_CELL
        for f, s in zip(fields, signs, strict=True)
    )
    high = min(
        MAX_CELL - values[f] if s > 0 else values[f] for f, s in zip(fields, signs, strict=True)
    )
    step = _delta(rng, 0, low, high)
    if step is None:
        return None
    true = tuple(values[f] for f in fields)
    for f, s in zip(fields, signs, strict=True):
        values[f] += s * step
    return InjectedError(kind, fields, true, tuple(values[f] for f in fields))


def _mark_error(
    kind: ErrorKind, values: dict[str, int], marks: dict[str, FieldMarks], rng: np.random.Generator
) -> InjectedError | None:
    attribute = {
        ErrorKind.BUBBLES_EMPTY: "bubbles",
        ErrorKind.BUBBLES_DISAGREE: "bubbles",
        ErrorKind.TALLY_MISCOUNT: "tally",
        ErrorKind.WORDS_DISAGREE: "words",
    }[kind]
    candidates = sorted(f for f, m in marks.items() if getattr(m, attribute) is not None)
    if not candidates:
        return None
    field = candidates[int(rng.integers(len(candidates)))]
    value = values[field]
    if kind is ErrorKind.BUBBLES_EMPTY:
        written = -1
        marks[field] = replace(marks[field], bubbles=None)
    elif kind is ErrorKind.TALLY_MISCOUNT:
        step = _delta(rng, value, 0, min(value + 10, TALLY_CAPACITY))
        if step is None:
            return None
        written = value + step
        marks[field] = replace(marks[field], tally=written)
    elif kind is ErrorKind.BUBBLES_DISAGREE:
        written = misremember(value, rng)
        marks[field] = replace(marks[field], bubbles=written)
    else:
        written = misremember(value, rng)
        marks[field] = replace(marks[field], words=written)
    return InjectedError(kind, (field,), (value,), (written,))
