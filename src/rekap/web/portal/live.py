"""The public figures: every TPS's facts and the tally of every region, from the store.

The tally is the pure rebuild (``rekap.tally.rebuild``) over the whole region tree, so every
page adds up exactly as ``rekap tally --rebuild`` would. After that, only what changed is read
again: every change to a result, a form or a photo writes an event naming its TPS, so the
events after the last head name the TPS to refresh (``update_live``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

from rekap.adapters.storage.tally_store import stage_of
from rekap.domain.election import Election
from rekap.domain.form import FormSpec
from rekap.domain.region_tree import JenisTps
from rekap.domain.result import TpsResult
from rekap.domain.wilayah import InvalidKodeWilayah, KodeWilayah
from rekap.rules.finding import Finding, Severity
from rekap.rules.registry import check_tps, rule_by_id
from rekap.tally.contribution import TpsState, contribution
from rekap.tally.index import RegionIndex, UnplacedTps
from rekap.tally.layout import TallyLayout
from rekap.tally.rebuild import rebuild
from rekap.tally.stage import TpsStage
from rekap.tally.table import TallyTable
from rekap.web.portal.queries import (
    DataVersion,
    FormRow,
    PortalQueries,
    ResultRow,
    StoredFinding,
)

WAITING_FORM_STATES = ("needs_verification", "adjudication")


@dataclass(frozen=True, slots=True)
class TpsFacts:
    """Everything the public pages say about one TPS."""

    kode: str
    result: ResultRow | None
    form: FormRow | None
    photos: int
    findings: tuple[Finding, ...]
    findings_on_reading: bool = False
    """True when the findings are of the machine's reading (no result published yet)."""

    @property
    def blocking(self) -> bool:
        return self.result is not None and any(
            f.blocking for f in self.findings if not self.findings_on_reading
        )

    @property
    def stage(self) -> TpsStage:
        if self.result is not None:
            has_photos = bool(self.result.external_photos) or self.photos > 0
            return stage_of(self.result.source_kind, bool(self.result.values), ("x",) * has_photos)
        return TpsStage.RECEIVED if self.photos or self.form is not None else TpsStage.NONE

    @property
    def status(self) -> str:
        """One word for the TPS's place in the workflow (a key of the portal's words)."""
        if self.form is not None and self.form.state in WAITING_FORM_STATES:
            return f"status_{self.form.state}"
        if self.result is not None and self.result.values:
            return "status_held" if self.blocking else "status_counted"
        if self.form is not None and self.form.state == "incomplete":
            return "status_incomplete"
        return "status_received" if self.stage >= TpsStage.RECEIVED else "status_none"

    def tally_state(self) -> TpsState:
        values = dict(self.result.values) if self.result is not None else {}
        return TpsState(self.kode, self.stage, self.blocking, values)


@dataclass(frozen=True)
class LiveData:
    version: DataVersion
    tps: Mapping[str, TpsFacts]
    table: TallyTable
    unplaced: tuple[str, ...]

    @property
    def head(self) -> int:
        """The change-log record the figures reflect."""
        return self.version.head

    @cached_property
    def tps_of_desa(self) -> Mapping[str, tuple[str, ...]]:
        grouped: dict[str, list[str]] = {}
        for kode in sorted(self.tps):
            grouped.setdefault(kode[:10], []).append(kode)
        return {desa: tuple(codes) for desa, codes in grouped.items()}

    @cached_property
    def by_rule(self) -> Mapping[str, tuple[tuple[str, Finding], ...]]:
        grouped: dict[str, list[tuple[str, Finding]]] = {}
        for kode in sorted(self.tps):
            for found in self.tps[kode].findings:
                grouped.setdefault(found.rule, []).append((kode, found))
        return {rule: tuple(items) for rule, items in grouped.items()}


def stored_finding(row: StoredFinding) -> Finding:
    """A stored finding; the Indonesian message re-derived from its rule when possible."""
    message_id = row.message_en
    with contextlib.suppress(KeyError, IndexError, ValueError):
        message_id = rule_by_id(row.rule).message_id.format(**row.evidence)
    return Finding(
        row.rule, Severity(row.severity), row.fields, message_id, row.message_en, row.evidence
    )


def live_findings(
    kode: str,
    contest: str,
    values: Mapping[str, int],
    jenis: str,
    form: FormSpec,
    election: Election,
) -> tuple[Finding, ...]:
    """The per-TPS rules run over ``values`` now (results the capture workflow published)."""
    try:
        code = KodeWilayah.parse(kode)
        kind = JenisTps(jenis)
    except (InvalidKodeWilayah, ValueError):
        return ()
    return check_tps(TpsResult(code, contest, values, jenis=kind), form, election)


def collect_facts(
    queries: PortalQueries,
    form: FormSpec,
    election: Election,
    codes: Sequence[str] | None = None,
) -> dict[str, TpsFacts]:
    """Every TPS the store knows anything about (a result, a form, a photo or a finding), or
    only those of ``codes``. Imported results carry the findings stored at import; results of
    the capture workflow are checked here."""
    results = {r.kode_tps: r for r in queries.results(codes)}
    forms = {f.kode_tps: f for f in queries.forms(codes)}
    photos = queries.photo_counts(codes)
    stored = queries.findings(codes)
    contest = queries.contest
    facts: dict[str, TpsFacts] = {}
    for kode in sorted(set(results) | set(forms) | set(photos) | set(stored)):
        result, row = results.get(kode), forms.get(kode)
        on_reading = False
        findings: tuple[Finding, ...] = ()
        if kode in stored:
            findings = tuple(stored_finding(f) for f in stored[kode])
        elif result is not None and result.values and result.source_kind != "import":
            findings = live_findings(kode, contest, result.values, result.jenis, form, election)
        elif result is None and row is not None and row.state in WAITING_FORM_STATES:
            findings = live_findings(kode, contest, row.values, "tps", form, election)
            on_reading = True
        findings = tuple(sorted(findings, key=lambda f: not f.blocking))
        facts[kode] = TpsFacts(kode, result, row, photos.get(kode, 0), findings, on_reading)
    return facts


@dataclass(frozen=True)
class LiveParts:
    """What building the figures needs besides the store."""

    queries: PortalQueries
    index: RegionIndex
    layout: TallyLayout
    form: FormSpec
    election: Election


def build_live(version: DataVersion, parts: LiveParts) -> LiveData:
    """Everything from scratch: every TPS, then the pure rebuild of the tally."""
    facts = collect_facts(parts.queries, parts.form, parts.election)
    rebuilt = rebuild(parts.index, parts.layout, [f.tally_state() for f in facts.values()])
    return LiveData(version, facts, rebuilt.table, rebuilt.unplaced)


def update_live(
    old: LiveData, version: DataVersion, parts: LiveParts, changed: Iterable[str]
) -> LiveData:
    """Only the TPS that changed: their facts read again, their old contribution replaced by
    the new one in a copy of the tally (readers of ``old`` never see a half-done update)."""
    codes = sorted(set(changed))
    fresh = collect_facts(parts.queries, parts.form, parts.election, codes)
    table = TallyTable(parts.index, parts.layout, old.table.matrix.copy())
    tps = dict(old.tps)
    unplaced = set(old.unplaced)
    for kode in codes:
        before, after = old.tps.get(kode), fresh.get(kode)
        try:
            table.apply(
                kode,
                None if before is None else contribution(before.tally_state(), parts.layout),
                None if after is None else contribution(after.tally_state(), parts.layout),
            )
        except UnplacedTps:
            unplaced.add(kode)
        if after is None:
            tps.pop(kode, None)
        else:
            tps[kode] = after
    return LiveData(version, tps, table, tuple(sorted(unplaced)))
