"""Which numbers a contest's tally adds up, and the order they take in a contribution vector.

A contribution is a tuple of ints: the coverage flags of one TPS (``COVERAGE``), then the
numbers that count (``counted``), then the numbers held back by open blocking findings
(``held``), each in ``fields`` order. Adding vectors adds tallies.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rekap.domain.form import TOTAL_FIELDS, FormSpec

COVERAGE = (
    "received",
    "read",
    "verified",
    "verified_by_people",
    "published",
    "blocking",
    "counted",
)
"""The coverage flags, ``counted`` last (the trees read a TPS's ``counted`` just before its
numbers). ``verified_by_people``: the TPS's numbers were entered by people (two agreeing
verifiers or an adjudicator), a part of ``verified`` (decision 0006)."""
TOTAL_FIELD_IDS = tuple(field_id for field_id, *_ in TOTAL_FIELDS)


@dataclass(frozen=True, slots=True)
class TallyLayout:
    contest: str
    vote_fields: tuple[str, ...]
    total_fields: tuple[str, ...] = TOTAL_FIELD_IDS
    fields: tuple[str, ...] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "fields", (*self.vote_fields, *self.total_fields))

    @classmethod
    def of_form(cls, contest: str, form: FormSpec) -> TallyLayout:
        """The layout for a contest whose form is ``form``: its vote fields, then the totals."""
        return cls(contest, tuple(f.id for f in form.vote_fields))

    @property
    def width(self) -> int:
        return len(COVERAGE) + 2 * len(self.fields)

    @property
    def counted_offset(self) -> int:
        return len(COVERAGE)

    @property
    def held_offset(self) -> int:
        return len(COVERAGE) + len(self.fields)

    def columns(self) -> tuple[str, ...]:
        """Names of the vector's positions: coverage, then ``<field>``, then ``held_<field>``."""
        return (*COVERAGE, *self.fields, *(f"held_{f}" for f in self.fields))
