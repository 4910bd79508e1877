"""The public figures: every TPS's facts from the store, and the tally of every region as
the store keeps it (``rekap.adapters.storage.tally_store``: every write changes it in its own
transaction, so a page never shows a tally out of step with the results).

The TPS facts are read once, then only what changed: every change to a result, a form or a
photo writes an event naming its TPS, so the events after the last head name the TPS to read
again (``update_live``). Region figures are read from the stored tally when a page asks for
them, and kept for as long as the data version does not change.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from rekap.adapters.storage.photo_times import PhotoTimes, split
from rekap.adapters.storage.tally_store import TallyStore, stage_of
from rekap.domain.election import Election
from rekap.domain.form import FormSpec
from rekap.domain.region_tree import JenisTps, RegionTree
from rekap.domain.result import TpsResult
from rekap.domain.wilayah import InvalidKodeWilayah, KodeWilayah
from rekap.rules.finding import Finding
from rekap.rules.registry import check_tps
from rekap.tally.region_tally import RegionTally
from rekap.tally.stage import TpsStage
from rekap.web.portal.queries import (
    DataVersion,
    FormRow,
    PortalQueries,
    ResultRow,
)
from rekap.web.portal.region_voters import NONE, RegionVoters, sum_voters, tps_voters, update_voters

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
    def counted(self) -> bool:
        """In the totals: numbers without an open blocking finding (the tally's rule)."""
        return self.result is not None and bool(self.result.values) and not self.blocking

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


@dataclass
class StoredFigures:
    """The stored tally as the pages read it: each page's regions read together (one
    transaction, so a parent and its children agree), kept for one data version."""

    store: TallyStore
    _pages: dict[tuple[str, ...], Mapping[str, RegionTally]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def regions(self, codes: Sequence[str]) -> Mapping[str, RegionTally]:
        """The tally of each region named that the index covers (zero where none is stored)."""
        key = tuple(codes)
        with self._lock:
            found = self._pages.get(key)
        if found is None:
            found = self.store.regions(key)
            with self._lock:
                self._pages[key] = found
        return found

    def region(self, kode: str) -> RegionTally:
        return self.regions((kode,))[kode]


@dataclass(frozen=True)
class LiveData:
    version: DataVersion
    tps: Mapping[str, TpsFacts]
    figures: StoredFigures
    voters: Mapping[str, RegionVoters] = field(default_factory=dict)
    """Each region's DPT, voters and unlisted TPS, over its counted TPS (``region_voters``)."""

    def voters_of(self, kode: str) -> RegionVoters:
        return self.voters.get(kode, NONE)

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


def live_findings(
    kode: str,
    contest: str,
    values: Mapping[str, int],
    jenis: str,
    form: FormSpec,
    election: Election,
    times: PhotoTimes = (),
) -> tuple[Finding, ...]:
    """The per-TPS rules run over ``values`` now (the machine's reading of a form waiting
    for people), and over the times of the TPS's photos (``times``)."""
    try:
        code = KodeWilayah.parse(kode)
        kind = JenisTps(jenis)
    except (InvalidKodeWilayah, ValueError):
        return ()
    taken, received = split(times)
    result = TpsResult(code, contest, values, jenis=kind, captured_at=taken, received_at=received)
    return check_tps(result, form, election)


def collect_facts(
    queries: PortalQueries,
    form: FormSpec,
    election: Election,
    codes: Sequence[str] | None = None,
) -> dict[str, TpsFacts]:
    """Every TPS the store knows anything about (a result, a form, a photo or a finding), or
    only those of ``codes``. A result carries the findings stored with it (by its import, or
    by the capture workflow: ``result_findings``); only a form waiting for people is checked
    here, its machine reading (whose findings no one stores)."""
    results = {r.kode_tps: r for r in queries.results(codes)}
    forms = {f.kode_tps: f for f in queries.forms(codes)}
    photos = queries.photo_counts(codes)
    stored = queries.findings(codes)
    waiting = sorted(
        kode
        for kode, row in forms.items()
        if row.state in WAITING_FORM_STATES and kode not in results and kode not in stored
    )
    times = queries.photo_times(waiting) if waiting else {}
    contest = queries.contest
    facts: dict[str, TpsFacts] = {}
    for kode in sorted(set(results) | set(forms) | set(photos) | set(stored)):
        result, row = results.get(kode), forms.get(kode)
        on_reading = False
        findings: tuple[Finding, ...] = ()
        if kode in stored:
            findings = tuple(stored[kode])
        elif result is None and row is not None and row.state in WAITING_FORM_STATES:
            findings = live_findings(
                kode, contest, row.values, "tps", form, election, times.get(kode, ())
            )
            on_reading = True
        findings = tuple(sorted(findings, key=lambda f: not f.blocking))
        facts[kode] = TpsFacts(kode, result, row, photos.get(kode, 0), findings, on_reading)
    return facts


@dataclass(frozen=True)
class LiveParts:
    """What building the figures needs besides the store."""

    queries: PortalQueries
    tally: TallyStore
    form: FormSpec
    election: Election
    tree: RegionTree


def voters_share(facts: TpsFacts | None, tree: RegionTree) -> RegionVoters:
    """What a TPS adds to its regions' DPT and voters; nothing outside the tree's desa (the
    tally leaves such a TPS out too)."""
    if facts is None or facts.result is None:
        return NONE
    desa = tree.regions.get(facts.kode[:10])
    if desa is None:
        return NONE
    listed = desa.has_tps(int(facts.kode[10:]))
    return tps_voters(facts.result.values, facts.counted, listed)


def build_live(version: DataVersion, parts: LiveParts) -> LiveData:
    """Every TPS's facts from scratch; region figures from the stored tally."""
    facts = collect_facts(parts.queries, parts.form, parts.election)
    voters = sum_voters(facts, lambda kode: voters_share(facts[kode], parts.tree))
    return LiveData(version, facts, StoredFigures(parts.tally), voters)


def update_live(
    old: LiveData, version: DataVersion, parts: LiveParts, changed: Iterable[str]
) -> LiveData:
    """Only the TPS that changed read again, in a copy (readers of ``old`` never see a
    half-done update); region figures read afresh from the stored tally."""
    codes = sorted(set(changed))
    fresh = collect_facts(parts.queries, parts.form, parts.election, codes)
    tps = dict(old.tps)
    swapped = []
    for kode in codes:
        before, after = old.tps.get(kode), fresh.get(kode)
        swapped.append((kode, voters_share(before, parts.tree), voters_share(after, parts.tree)))
        if after is None:
            tps.pop(kode, None)
        else:
            tps[kode] = after
    voters = update_voters(old.voters, swapped)
    return LiveData(version, tps, StoredFigures(parts.tally), voters)
