"""The arithmetic that ties the numbers of a C.Hasil PPWP form together, for reading.

Each identity says `sum(parts) = total` of the numbers as the KPPS should write them
(domain.md, identities 1-5). The reader uses them as evidence, never as a law: a KPPS can
write a mistake, and `rekap.reading.joint` gives that an explicit prior probability.

The joint stage computes exact probabilities only when the identities, seen as a graph of
fields and identities, hold no loop. The pengguna block is a 4 x 3 grid (DPT, DPTb, DPK,
total by L, P, J) whose row and column sums would form loops; so the reader uses each
row's `L + P = J` and the J column's sum only. The L and P column sums are left to the
blocking rules (`rekap.rules.identities`), which check every identity of the values read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class SumIdentity:
    name: str
    parts: tuple[str, ...]
    total: str

    @property
    def fields(self) -> tuple[str, ...]:
        return (*self.parts, self.total)


def _gender(group: str) -> SumIdentity:
    return SumIdentity(f"{group}: L + P = J", (f"{group}_l", f"{group}_p"), f"{group}_j")


C_HASIL_PPWP_IDENTITIES: tuple[SumIdentity, ...] = (
    _gender("dpt"),
    _gender("pengguna_dpt"),
    _gender("pengguna_dptb"),
    _gender("pengguna_dpk"),
    _gender("pengguna_total"),
    SumIdentity(
        "pengguna DPT + DPTb + DPK = total (J)",
        ("pengguna_dpt_j", "pengguna_dptb_j", "pengguna_dpk_j"),
        "pengguna_total_j",
    ),
    _gender("disabilitas"),
    SumIdentity(
        "ballots used + unused + damaged = received",
        ("surat_suara_digunakan", "surat_suara_tidak_digunakan", "surat_suara_rusak"),
        "surat_suara_diterima",
    ),
    SumIdentity("ballots used = suara total", ("surat_suara_digunakan",), "suara_total"),
    SumIdentity("suara sah + tidak sah = total", ("suara_sah", "suara_tidak_sah"), "suara_total"),
    SumIdentity(
        "sum of paslon votes = suara sah", ("paslon_1", "paslon_2", "paslon_3"), "suara_sah"
    ),
)


def check_no_loop(identities: Sequence[SumIdentity]) -> None:
    """Raise ValueError when the identities form a loop (two paths between two fields)."""
    parent: dict[str, str] = {}

    def root(node: str) -> str:
        while parent.setdefault(node, node) != node:
            node = parent[node]
        return node

    for identity in identities:
        if len(set(identity.fields)) != len(identity.fields):
            raise ValueError(f"{identity.name}: a field appears twice")
        node = f"identity:{identity.name}"
        for field in identity.fields:
            a, b = root(node), root(f"field:{field}")
            if a == b:
                raise ValueError(f"{identity.name}: the identities form a loop at {field}")
            parent[a] = b


check_no_loop(C_HASIL_PPWP_IDENTITIES)
