"""What a snapshot is made from: one record per TPS result, and the request that names the rest."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import pyarrow as pa

from rekap.domain.election import Contest
from rekap.domain.form import FormSpec
from rekap.domain.region_tree import RegionTree
from rekap.domain.result import Provenance, SourceKind, TpsResult
from rekap.rules.finding import Finding
from rekap.tally.contribution import TpsState
from rekap.tally.stage import TpsStage


@dataclass(frozen=True, slots=True)
class TpsRecord:
    """One TPS result as published: its tally state, its findings and where its numbers came
    from. ``provenance`` names only the fields whose source differs from ``source``."""

    state: TpsState
    jenis: str
    findings: tuple[Finding, ...] = ()
    source: Provenance | None = None
    provenance: Mapping[str, Provenance] = field(default_factory=dict)
    photos: tuple[str | None, ...] = ()
    """Each page's photo at its position (``TpsResult.photos``)."""
    updated_at: datetime | None = None

    @property
    def kode_tps(self) -> str:
        return self.state.kode_tps

    @classmethod
    def from_result(
        cls,
        result: TpsResult,
        findings: Sequence[Finding],
        stage: TpsStage,
        updated_at: datetime | None = None,
    ) -> TpsRecord:
        own = {k: p for k, p in result.provenance.items() if p != result.source}
        state = TpsState(
            result.kode_tps.value,
            stage,
            any(f.blocking for f in findings),
            dict(result.values),
            result.source is not None and result.source.kind is SourceKind.ENTRY,
        )
        return cls(
            state,
            result.jenis.value,
            tuple(findings),
            result.source,
            own,
            result.photos,
            updated_at,
        )


@dataclass(frozen=True, slots=True)
class LogHead:
    """The change-log position a snapshot reflects."""

    sequence: int
    hash: str


@dataclass(frozen=True)
class PreviousSnapshot:
    """What the diff needs of the snapshot before: its id, manifest and its bulk TPS table
    (as read back from its Parquet file)."""

    snapshot_id: str
    manifest: bytes
    table: pa.Table
    log_head: tuple[int, str] | None = None
    """The change-log position (sequence, hash) its manifest says it reflects."""
    signature: bytes | None = None
    """``manifest.sig`` as found (None: absent), to tell whether this publisher signed it."""

    @property
    def manifest_sha256(self) -> str:
        return hashlib.sha256(self.manifest).hexdigest()


@dataclass(frozen=True)
class SnapshotRequest:
    tree: RegionTree
    contest: Contest
    form: FormSpec
    records: Sequence[TpsRecord]
    created_at: datetime
    scope: tuple[str, ...] = ()
    log_head: LogHead | None = None
    previous: PreviousSnapshot | None = None

    def __post_init__(self) -> None:
        if self.created_at.tzinfo is None or self.created_at.utcoffset() is None:
            raise ValueError("a snapshot's time must be timezone-aware")
