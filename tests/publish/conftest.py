"""Snapshots of the small tree for publication tests, and the databases of the CLI tests."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from rekap.adapters.keys import SigningKey, load_or_create
from rekap.adapters.snapshot_dir import DirectorySnapshotStore
from rekap.data import election_2024
from rekap.domain.result import Provenance, SourceKind
from rekap.publish.records import SnapshotRequest, TpsRecord
from rekap.publish.snapshot import Published, publish_snapshot
from rekap.rules.finding import Finding, Severity
from rekap.tally.contribution import TpsState
from rekap.tally.stage import TpsStage
from tests.integration.conftest import database_url
from tests.tally.trees import FORM, TPS_CODES, TREE

__all__ = ["database_url"]
CONTEST = election_2024().contest("ppwp")
AT = datetime(2024, 2, 20, 6, 0, tzinfo=UTC)
BLOCKING = Finding("F-SUM-SAH", Severity.BLOCKING, ("suara_sah",), "tidak cocok", "mismatch")
WARNING = Finding("W-TURNOUT", Severity.WARNING, ("dpt_j",), "tinggi", "high")


UNLISTED_CODES = tuple(
    f"{region.kode.value}{region.tps_ranges[-1].last + extra:03d}"
    for region in TREE.regions.values()
    if region.jenis
    for extra in (1, 2)
)
"""Two TPS past the last one each desa of the small tree lists (Sirekap listed TPS that the
region tree did not): a result of one is in its desa's totals, not in its ``tps_expected``."""


def make_records(
    seed: int, share: float = 0.8, codes: Sequence[str] = TPS_CODES, entered: bool = False
) -> list[TpsRecord]:
    """Results for part of the small tree (of ``codes``): counted ones add up; blocked ones
    may not. With ``entered``, about a quarter of the results were entered by people (source
    ``entry``) rather than imported."""
    rng = random.Random(seed)
    records = []
    for kode in codes:
        if rng.random() > share:
            continue
        if rng.random() < 0.1:
            state = TpsState(kode, TpsStage.RECEIVED, False, {})
            records.append(TpsRecord(state, "tps", photos=(f"photo-{kode}",)))
            continue
        votes = [rng.randint(0, 150) for _ in range(3)]
        tidak_sah = rng.randint(0, 5)
        values = {f"paslon_{i + 1}": v for i, v in enumerate(votes)}
        values.update(suara_sah=sum(votes), suara_tidak_sah=tidak_sah)
        values["suara_total"] = sum(votes) + tidak_sah
        values["dpt_j"] = values["suara_total"] + rng.randint(0, 80)
        blocking = rng.random() < 0.2
        if blocking:
            values["suara_sah"] += rng.randint(1, 9)
        findings = (BLOCKING,) if blocking else ((WARNING,) if rng.random() < 0.2 else ())
        stage = rng.choice((TpsStage.READ, TpsStage.VERIFIED, TpsStage.PUBLISHED))
        line = rng.randint(2, 999)
        # drawn from the line, so the rest of each record and the records after it are what
        # this seed gives without ``entered``
        by_people = entered and line % 4 == 0
        source = (
            Provenance(SourceKind.ENTRY, f"entry-{line}")
            if by_people
            else Provenance(SourceKind.IMPORT, f"test.csv:{line}")
        )
        own = {"paslon_1": Provenance(SourceKind.ENTRY, "operator-7")} if rng.random() < 0.3 else {}
        records.append(
            TpsRecord(
                TpsState(kode, stage, blocking, values, by_people),
                "tps",
                findings,
                source,
                own,
                (f"https://photos.example/{kode}-1.jpg",),
                datetime(2024, 2, 15, 3, rng.randint(0, 59), tzinfo=UTC),
            )
        )
    return records


def request_for(
    records: Sequence[TpsRecord], at: datetime = AT, scope: tuple[str, ...] = ()
) -> SnapshotRequest:
    return SnapshotRequest(TREE, CONTEST, FORM, list(records), at, scope)


@pytest.fixture
def signer(tmp_path: Path) -> SigningKey:
    return load_or_create(tmp_path / "keys" / "snapshot.pem")


Publisher = Callable[..., Published]


@pytest.fixture
def publish_small(tmp_path: Path, signer: SigningKey) -> Publisher:
    """Publish records of the small tree into ``tmp_path/out``; returns what was published."""

    def publish(
        records: Sequence[TpsRecord], at: datetime = AT, out: Path | None = None
    ) -> Published:
        store = DirectorySnapshotStore(out or tmp_path / "out")
        request = request_for(records, at)
        previous = store.previous("ppwp")
        request = SnapshotRequest(
            request.tree, request.contest, request.form, request.records, at, (), None, previous
        )
        return publish_snapshot(request, store, signer)

    return publish
