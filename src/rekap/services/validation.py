"""Validate a stream of Sirekap records: parse, keep the newest version of each TPS, run rules.

Memory stays small at national scale: results are checked as they stream past; only the
findings, the TPS codes and what the batch rules need are kept.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from rekap.domain.election import Election
from rekap.domain.form import FormSpec
from rekap.rules.finding import Finding, Severity
from rekap.rules.registry import BatchChecker, check_tps
from rekap.sources.sirekap import (
    EmptyTps,
    ImportedTps,
    RejectedRow,
    SirekapParser,
    SourceRecord,
    ts_order,
)


@dataclass
class ValidationReport:
    """What a validation run saw: counts of every row's fate, and every finding by TPS."""

    rows_read: int = 0
    empty: list[EmptyTps] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)
    """The rows rejected, every one; or, when they went to a ``Reject`` sink as they came,
    only the first ``SHOWN_REJECTED`` (``rejected_count`` counts them all)."""
    rejected_count: int = 0
    superseded: int = 0
    synthetic_kode: int = 0
    accepted: dict[str, str] = field(default_factory=dict)  # kode → origin, in order of arrival
    unnumbered: set[str] = field(default_factory=set)
    """Accepted TPS whose record has no number at all (Sirekap published its photos, or an
    empty chart, but no numbers): stored with what they have, counted in no total."""
    bare: set[str] = field(default_factory=set)
    """Those of ``unnumbered`` with no photo either (a CSV row with only its TPS and ``ts``:
    Sirekap listed the TPS with nothing yet), stored as listed."""
    published_at: dict[str, str] = field(default_factory=dict)
    findings: dict[str, tuple[Finding, ...]] = field(default_factory=dict)

    @property
    def accepted_count(self) -> int:
        return len(self.accepted)

    def tps_per_rule(self) -> Counter[str]:
        counts: Counter[str] = Counter()
        for found in self.findings.values():
            counts.update({f.rule for f in found})
        return counts

    def findings_per_rule(self) -> Counter[str]:
        return Counter(f.rule for found in self.findings.values() for f in found)

    def blocking_tps(self) -> int:
        return sum(1 for found in self.findings.values() if any(f.blocking for f in found))

    def per_provinsi(self) -> dict[str, Counter[str]]:
        """Per provinsi code: TPS accepted, TPS with a blocking finding, TPS with a warning."""
        table: dict[str, Counter[str]] = {}
        for kode in self.accepted:
            row = table.setdefault(kode[:2], Counter())
            row["accepted"] += 1
            found = self.findings.get(kode, ())
            if any(f.severity is Severity.BLOCKING for f in found):
                row["blocking"] += 1
            if any(f.severity is Severity.WARNING for f in found):
                row["warning"] += 1
        return table


Progress = Callable[[int], None]
Sink = Callable[[ImportedTps], None]
Reject = Callable[[RejectedRow], None]
SHOWN_REJECTED = 10
"""Rejected rows a report keeps when they go to a ``Reject`` sink (a file of garbage would
otherwise fill the memory with one row per line)."""


def validate_records(
    records: Iterable[SourceRecord],
    parser: SirekapParser,
    form: FormSpec,
    election: Election,
    progress: Progress | None = None,
    sink: Sink | None = None,
    reject: Reject | None = None,
) -> ValidationReport:
    """Check every record; ``sink`` receives each accepted result (e.g. to store it) and
    ``reject`` each rejected row as it comes (the report then keeps only the first few)."""
    report = ValidationReport()
    batch = BatchChecker()
    for record in records:
        report.rows_read += 1
        if progress is not None and report.rows_read % 5000 == 0:
            progress(report.rows_read)
        parsed = parser.parse(record)
        if isinstance(parsed, RejectedRow):
            report.rejected_count += 1
            if reject is not None:
                reject(parsed)
            if reject is None or len(report.rejected) < SHOWN_REJECTED:
                report.rejected.append(parsed)
        elif isinstance(parsed, EmptyTps):
            report.empty.append(parsed)
        else:
            if _accept(report, batch, parsed, form, election) and sink is not None:
                sink(parsed)
    # An empty record of a TPS that also has numbers is an older version, not a missing TPS.
    still_empty = [e for e in report.empty if e.kode not in report.accepted]
    report.superseded += len(report.empty) - len(still_empty)
    report.empty = still_empty
    for kode, found in batch.findings().items():
        report.findings[kode] = (*report.findings.get(kode, ()), *found)
    if progress is not None:
        progress(report.rows_read)
    return report


def _accept(
    report: ValidationReport,
    batch: BatchChecker,
    item: ImportedTps,
    form: FormSpec,
    election: Election,
) -> bool:
    kode = item.result.kode_tps.value
    if kode in report.accepted:
        report.superseded += 1
        if ts_order(item.published_at) < report.published_at.get(kode, ""):
            return False  # an older version of a TPS already seen
    report.accepted[kode] = item.origin
    report.published_at[kode] = ts_order(item.published_at)
    if item.result.values:
        report.unnumbered.discard(kode)
    else:
        report.unnumbered.add(kode)
    if item.result.values or any(item.result.photos):
        report.bare.discard(kode)
    else:
        report.bare.add(kode)
    report.synthetic_kode += item.synthetic_kode
    found = check_tps(item.result, form, election)
    if found:
        report.findings[kode] = found
    else:
        report.findings.pop(kode, None)
    batch.add(item.result)
    return True
