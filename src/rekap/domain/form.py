"""The C.Hasil form as data: every field of pages 1–3, and the field ids used everywhere.

Vote fields are derived from the contest's ballot entries (``paslon_1``, ``paslon_2``…), so
the same machinery serves any number of paslon. Field ids are also the reader's and the
public API's names.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property

from rekap.domain.election import Dapil


class FieldKind(StrEnum):
    VOTERS = "voters"
    BALLOTS = "ballots"
    VOTES = "votes"
    TOTALS = "totals"


@dataclass(frozen=True, slots=True)
class FormField:
    """One number on the form: where it is and what it means."""

    id: str
    page: int
    section: str
    kind: FieldKind
    label_id: str
    label_en: str
    nomor_urut: int | None = None


GENDERS = (("l", "laki-laki", "men"), ("p", "perempuan", "women"), ("j", "jumlah", "total"))
VOTER_GROUPS = (
    ("dpt", "I.A", "Jumlah pemilih dalam DPT", "Registered voters (DPT)"),
    ("pengguna_dpt", "I.B.1", "Pengguna hak pilih dalam DPT", "Voters from the DPT"),
    ("pengguna_dptb", "I.B.2", "Pengguna hak pilih dalam DPTb", "Voters moved in (DPTb)"),
    ("pengguna_dpk", "I.B.3", "Pengguna hak pilih dalam DPK", "Voters with ID only (DPK)"),
    ("pengguna_total", "I.B.4", "Jumlah pengguna hak pilih", "Total voters"),
    ("disabilitas", "III", "Pemilih disabilitas", "Voters with disabilities"),
)
BALLOT_FIELDS = (
    (
        "surat_suara_diterima",
        "II.1",
        "Surat suara diterima (termasuk cadangan 2%)",
        "Ballots received (incl. 2% reserve)",
    ),
    ("surat_suara_digunakan", "II.2", "Surat suara digunakan", "Ballots used"),
    ("surat_suara_rusak", "II.3", "Surat suara rusak/keliru coblos", "Ballots damaged or miscast"),
    ("surat_suara_tidak_digunakan", "II.4", "Surat suara tidak digunakan", "Ballots unused"),
)
TOTAL_FIELDS = (
    ("suara_sah", "V.A", "Jumlah seluruh suara sah", "Valid votes"),
    ("suara_tidak_sah", "V.B", "Jumlah suara tidak sah", "Invalid votes"),
    ("suara_total", "V.C", "Jumlah suara sah dan tidak sah", "Total votes cast"),
)


def voter_field_id(group: str, gender: str) -> str:
    return f"{group}_{gender}"


def vote_field_id(nomor_urut: int) -> str:
    return f"paslon_{nomor_urut}"


def _page1_fields() -> Iterator[FormField]:
    for group, section, label_id, label_en in VOTER_GROUPS:
        for gender, gender_id, gender_en in GENDERS:
            yield FormField(
                voter_field_id(group, gender),
                1,
                section,
                FieldKind.VOTERS,
                f"{label_id} ({gender_id})",
                f"{label_en} ({gender_en})",
            )
    for field_id, section, label_id, label_en in BALLOT_FIELDS:
        yield FormField(field_id, 1, section, FieldKind.BALLOTS, label_id, label_en)


@dataclass(frozen=True)
class FormSpec:
    """The fields of one contest's C.Hasil form for one dapil."""

    kode: str
    fields: tuple[FormField, ...]

    def __post_init__(self) -> None:
        ids = [f.id for f in self.fields]
        if len(ids) != len(set(ids)):
            raise ValueError(f"form {self.kode} repeats a field id")

    @cached_property
    def by_id(self) -> Mapping[str, FormField]:
        return {f.id: f for f in self.fields}

    @cached_property
    def vote_fields(self) -> tuple[FormField, ...]:
        return tuple(f for f in self.fields if f.kind is FieldKind.VOTES)

    def page(self, number: int) -> tuple[FormField, ...]:
        return tuple(f for f in self.fields if f.page == number)


def c_hasil_ppwp(dapil: Dapil) -> FormSpec:
    """Form C.Hasil PPWP: page 1 voters and ballots, page 2 paslon votes, page 3 totals."""
    votes = tuple(
        FormField(
            vote_field_id(entry.nomor_urut),
            2,
            f"IV.{entry.nomor_urut}",
            FieldKind.VOTES,
            f"Perolehan suara paslon {entry.nomor_urut}",
            f"Votes for ticket {entry.nomor_urut} ({entry.nama})",
            nomor_urut=entry.nomor_urut,
        )
        for entry in dapil.entries
    )
    totals = tuple(FormField(i, 3, s, FieldKind.TOTALS, li, le) for i, s, li, le in TOTAL_FIELDS)
    return FormSpec("c_hasil_ppwp", (*_page1_fields(), *votes, *totals))
