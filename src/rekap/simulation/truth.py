"""The ground truth of one simulated TPS, and its line in the truth file (JSON Lines).

``values`` is what the form records in its digit boxes: what a perfect reader reads and
what the rules check. ``actual`` is what really happened at the TPS; the two differ only
where an arithmetic mistake was injected. ``marks`` lists, per field, only the marks that
do not repeat the value (bubbles, tally, words) and any crossed-out correction; every mark
not listed equals the value.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from rekap.domain.election import ContestKind
from rekap.domain.form import FormSpec
from rekap.domain.region_tree import JenisTps
from rekap.domain.result import TpsResult
from rekap.domain.wilayah import KodeWilayah
from rekap.simulation.errors import ErrorKind, InjectedError
from rekap.simulation.marks import FieldMarks, default_marks

__all__ = ["TRUTH_SCHEMA", "SimulatedTps"]

TRUTH_SCHEMA = "rekap.simulated-tps/1"


@dataclass(frozen=True)
class SimulatedTps:
    """One TPS of a simulated election: the form as filled, the true counts, the mistakes."""

    kode: KodeWilayah
    jenis: JenisTps
    names: tuple[str, ...]
    """Names of its provinsi, kabupaten/kota, kecamatan and desa (as written on the form)."""
    values: Mapping[str, int]
    actual: Mapping[str, int]
    marks: Mapping[str, FieldMarks] = field(default_factory=dict)
    errors: tuple[InjectedError, ...] = ()
    writer_seed: int = 0
    """Seed of the KPPS member's handwriting (one writer fills all pages of a TPS)."""
    bloc_vote: bool = False
    """A noken TPS that voted as one bloc."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", MappingProxyType(dict(self.values)))
        object.__setattr__(self, "actual", MappingProxyType(dict(self.actual)))
        object.__setattr__(self, "marks", MappingProxyType(dict(self.marks)))

    def marks_of(self, field_id: str) -> FieldMarks:
        return self.marks.get(field_id, FieldMarks())

    def to_result(self) -> TpsResult:
        """The form's numbers as a `TpsResult`, ready for `rekap.rules.registry.check_tps`."""
        return TpsResult(self.kode, ContestKind.PPWP.value, self.values, jenis=self.jenis)

    def as_json(self) -> dict[str, object]:
        line: dict[str, object] = {
            "schema": TRUTH_SCHEMA,
            "kode": self.kode.value,
            "jenis": self.jenis.value,
            "names": list(self.names),
            "writer_seed": self.writer_seed,
            "values": dict(self.values),
        }
        if self.actual != self.values:
            line["actual"] = {k: v for k, v in self.actual.items() if self.values.get(k) != v}
        marks = {f: d for f, m in self.marks.items() if (d := m.disagreements(self.values[f]))}
        if marks:
            line["marks"] = marks
        if self.errors:
            line["errors"] = [e.as_json() for e in self.errors]
        if self.bloc_vote:
            line["bloc_vote"] = True
        return line

    def to_json_line(self) -> str:
        return json.dumps(self.as_json(), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, line: Mapping[str, object], form: FormSpec) -> SimulatedTps:
        """Rebuild a TPS from its truth line (to re-render its forms later)."""
        if line.get("schema") != TRUTH_SCHEMA:
            raise ValueError(f"not a {TRUTH_SCHEMA} line: {line.get('schema')!r}")
        values = {str(k): int(v) for k, v in _mapping(line["values"]).items()}
        actual = {**values, **{str(k): int(v) for k, v in _mapping(line.get("actual")).items()}}
        marks = default_marks(values, form)
        for field_id, listed in _mapping(line.get("marks")).items():
            base = marks.get(str(field_id), FieldMarks())
            marks[str(field_id)] = replace(base, **dict(_mapping(listed)))
        errors = tuple(
            InjectedError(
                ErrorKind(str(e["kind"])),
                tuple(str(f) for f in e["fields"]),
                tuple(int(v) for v in e["true"]),
                tuple(int(v) for v in e["written"]),
            )
            for e in _list(line.get("errors"))
        )
        return cls(
            KodeWilayah(str(line["kode"])),
            JenisTps(str(line["jenis"])),
            tuple(str(n) for n in _list(line.get("names"))),
            values,
            actual,
            marks,
            errors,
            int(str(line.get("writer_seed", 0))),
            bool(line.get("bloc_vote", False)),
        )


def _mapping(raw: object) -> Mapping[str, Any]:
    return raw if isinstance(raw, Mapping) else {}


def _list(raw: object) -> list[Any]:
    return raw if isinstance(raw, list) else []
