"""Scoring the reader against the simulator's ground truth: what a person wants to know.

A field output as ``read`` with the wrong number is a *silent error* (the failure that matters);
a field the reader abstained on goes to people and costs time, not trust.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ReadingScore:
    pages: int = 0
    pages_failed: int = 0
    fields_read: int = 0
    fields_abstained: int = 0
    silent_errors: int = 0
    examples: list[str] = field(default_factory=list)
    failures: Counter[str] = field(default_factory=Counter)

    def add_page(
        self, kode_tps: str, reading: Mapping[str, Any] | None, truth: Mapping[str, int]
    ) -> None:
        self.pages += 1
        if reading is None or reading.get("status") != "ok":
            self.pages_failed += 1
            status = "missing" if reading is None else str(reading.get("status"))
            self.failures[status] += 1
            return
        for field_id, found in reading.get("fields", {}).items():
            if found.get("status") != "read":
                self.fields_abstained += 1
                continue
            self.fields_read += 1
            if field_id in truth and found.get("value") != truth[field_id]:
                self.silent_errors += 1
                if len(self.examples) < 10:
                    self.examples.append(
                        f"{kode_tps} {field_id}: read {found.get('value')}, form says "
                        f"{truth[field_id]}"
                    )

    @property
    def fields(self) -> int:
        return self.fields_read + self.fields_abstained

    @property
    def silent_error_rate(self) -> float:
        return self.silent_errors / self.fields if self.fields else 0.0

    @property
    def abstain_rate(self) -> float:
        return self.fields_abstained / self.fields if self.fields else 0.0
