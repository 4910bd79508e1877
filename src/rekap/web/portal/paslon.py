"""The paslon as the pages show them: number, short name, colour, and each one's share."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rekap.domain.election import BallotEntry
from rekap.domain.form import vote_field_id

# Okabe–Ito colours: told apart with every common colour-vision deficiency.
PALETTE = ("#009E73", "#0072B2", "#D55E00", "#CC79A7", "#E69F00", "#56B4E9")
NO_DATA_COLOUR = "#d9d9d9"
_TITLE = re.compile(r"^\(.*\)$|\.")


def short_name(nama: str) -> str:
    """'H. Prabowo Subianto - Gibran Rakabuming Raka' -> 'Prabowo – Gibran': each person's
    first name that is not a title (titles carry a dot, or sit in brackets, or follow a comma).
    """
    people = []
    for person in nama.split(" - "):
        words = [w for w in person.split(",")[0].split() if not _TITLE.search(w)]
        people.append(words[0] if words else person.strip())
    return " – ".join(people)


@dataclass(frozen=True, slots=True)
class Paslon:
    nomor_urut: int
    nama: str
    short: str
    colour: str

    @property
    def field_id(self) -> str:
        return vote_field_id(self.nomor_urut)

    @property
    def label(self) -> str:
        return f"{self.nomor_urut:02d} {self.short}"


def paslon_of(entries: Sequence[BallotEntry]) -> tuple[Paslon, ...]:
    return tuple(
        Paslon(e.nomor_urut, e.nama, short_name(e.nama), PALETTE[(e.nomor_urut - 1) % 6])
        for e in entries
    )


@dataclass(frozen=True, slots=True)
class Share:
    paslon: Paslon
    votes: int
    share: float | None
    held: int


def shares(
    paslon: Sequence[Paslon], counted: Mapping[str, int], held: Mapping[str, int]
) -> tuple[Share, ...]:
    """Each paslon's counted votes and share of the valid votes counted for all paslon."""
    total = sum(counted.get(p.field_id, 0) for p in paslon)
    return tuple(
        Share(
            p,
            counted.get(p.field_id, 0),
            counted.get(p.field_id, 0) / total if total else None,
            held.get(p.field_id, 0),
        )
        for p in paslon
    )


def leader(items: Sequence[Share]) -> Paslon | None:
    """The paslon with the most votes; None with no votes or a tie at the top."""
    ranked = sorted(items, key=lambda s: s.votes, reverse=True)
    if not ranked or ranked[0].votes == 0:
        return None
    if len(ranked) > 1 and ranked[1].votes == ranked[0].votes:
        return None
    return ranked[0].paslon
