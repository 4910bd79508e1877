"""The findings of a result of the capture workflow, stored with it.

An imported result's findings are stored by its import (``SqlStore.replace_findings``). A
result rekap read from photos or its verifiers entered is checked here, in the transaction
that stores it or changes its photos: the per-TPS rules over its numbers and over the times
of its photos that did not fail (``W-FOTO-DINI``, ``W-FOTO-JAM``). Its findings replace those
stored for the TPS when they differ, with one ``result.findings_recorded`` event; the tally,
the portal and a snapshot then read them as they read an import's, never running the rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from sqlalchemy import Connection, delete, insert

from rekap.adapters.storage.photo_times import split
from rekap.adapters.storage.schema import finding
from rekap.adapters.storage.tally_inputs import TpsRows, read_rows
from rekap.adapters.storage.tally_store import TALLIED_CONTESTS, contest_checks
from rekap.domain.election import Election
from rekap.domain.form import FormSpec
from rekap.domain.region_tree import JenisTps
from rekap.domain.result import SourceKind, TpsResult
from rekap.domain.wilayah import InvalidKodeWilayah, KodeWilayah
from rekap.events.model import FindingsRecorded
from rekap.rules.finding import Finding
from rekap.rules.registry import check_tps


def captured_findings(
    rows: TpsRows, form: FormSpec, election: Election, contest: str
) -> tuple[Finding, ...]:
    """The per-TPS rules over a result's numbers and its photos' times (none for a TPS
    without numbers, or with a code or kind of TPS the rules cannot read)."""
    result = rows.result
    if result is None or not result.values:
        return ()
    try:
        code, jenis = KodeWilayah.parse(rows.kode_tps), JenisTps(result.jenis)
    except (InvalidKodeWilayah, ValueError):
        return ()
    taken, received = split(tuple(sorted(rows.photo_times)))
    checked = TpsResult(
        code, contest, dict(result.values), jenis=jenis, captured_at=taken, received_at=received
    )
    return check_tps(checked, form, election)


def record_findings(
    connection: Connection, contest: str, codes: Iterable[str] | None
) -> list[FindingsRecorded]:
    """Store the findings of each named TPS whose result the capture workflow made (of every
    such TPS when ``codes`` is None), in the caller's transaction and after its writes; one
    event for each TPS whose findings changed. Imported results are left as their import
    stored them."""
    if contest not in TALLIED_CONTESTS:  # no form rekap knows, so no rules to run
        return []
    wanted = None if codes is None else sorted(set(codes))
    if wanted == []:
        return []
    checks = contest_checks(contest)
    events: list[FindingsRecorded] = []
    for kode, rows in sorted(read_rows(connection, contest, wanted).items()):
        if rows.result is None or rows.result.source_kind == SourceKind.IMPORT.value:
            continue
        found = captured_findings(rows, checks.form_spec, checks.election, contest)
        if _kinds(found) == _kinds(rows.findings):
            continue
        _replace(connection, contest, kode, found)
        events.append(FindingsRecorded(kode, contest, tuple(f.rule for f in found)))
    return events


def finding_rows(contest: str, kode: str, found: Sequence[Finding]) -> list[dict[str, object]]:
    """The rows of ``found`` in the finding table (the English message, as an import's)."""
    return [
        {
            "kode_tps": kode,
            "contest": contest,
            "rule": f.rule,
            "severity": f.severity.value,
            "fields": list(f.fields),
            "message": f.message_en,
            "evidence": dict(f.evidence),
        }
        for f in found
    ]


def _replace(connection: Connection, contest: str, kode: str, found: Sequence[Finding]) -> None:
    connection.execute(
        delete(finding).where(finding.c.kode_tps == kode, finding.c.contest == contest)
    )
    if found:
        connection.execute(insert(finding), finding_rows(contest, kode, found))


def _kinds(found: Iterable[Finding]) -> list[tuple[str, str, tuple[str, ...], str]]:
    """What a stored finding keeps of a finding, in order (its messages are worded again
    from the rule and the evidence when read)."""
    return [(f.rule, f.severity.value, tuple(f.fields), _evidence(f.evidence)) for f in found]


def _evidence(evidence: Mapping[str, object]) -> str:
    return repr(sorted(evidence.items()))
