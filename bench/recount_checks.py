"""The recount's checks of the bulk data, of a province-size pair of snapshots: the diff
(``check_diff``), the manifest's counts and scope (``check_manifest_counts``) and the TPS
names (``check_tps_names``), each timed alone.

Usage: .venv/bin/python bench/recount_checks.py [--out DIR] [--provinsi 32] [--keep]
                                                 [--snapshot FOLDER] [--repeat 3]

Publishes two snapshots of one provinsi's TPS (``--scope`` that provinsi) over the real region
tree: the first with 95 % of its TPS, the second with another 95 %, half of the rest with other
numbers and most of them at another stage, so that its diff lists a change for most TPS (a
national election night's diff, at a provinsi's size). Then, in a fresh process (so that its
peak memory is the checks' own), runs each check ``--repeat`` times and prints the best wall
time, the CPU time, the changes the diff lists and the process's peak resident memory.
``--snapshot FOLDER`` times the checks of a snapshot made before (``--keep``). Records nothing
by itself; the snapshots are deleted afterwards unless --keep. Never run it nationally: a
provinsi shows the same costs a sixth the size.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

import numpy as np

from rekap.adapters.keys import SigningKey, load_or_create
from rekap.adapters.snapshot_dir import DirectorySnapshotStore, ForkedRunner
from rekap.data import election_2024, region_tree
from rekap.domain.form import c_hasil_ppwp
from rekap.domain.region_tree import RegionTree
from rekap.domain.result import Provenance, SourceKind
from rekap.publish.records import SnapshotRequest, TpsRecord
from rekap.publish.snapshot import publish_snapshot
from rekap.tally.contribution import TpsState
from rekap.tally.stage import TpsStage
from tally_national import simulate_values

ELECTION = election_2024()
CONTEST = ELECTION.contest("ppwp")
FORM = c_hasil_ppwp(CONTEST.dapil[0])
AT = datetime(2024, 2, 15, 12, 0, tzinfo=UTC)
STAGES = (TpsStage.READ, TpsStage.VERIFIED, TpsStage.PUBLISHED)


def records(codes: list[str], jenis: dict[str, str], seed: int) -> list[TpsRecord]:
    """Results of 95 % of ``codes`` (which ones, their numbers and stage by ``seed``)."""
    columns = simulate_values(codes, seed)
    names = [k for k in columns if k not in ("blocking", "stage")]
    lists = {k: columns[k].tolist() for k in names}
    stage, blocking = columns["stage"].tolist(), columns["blocking"].tolist()
    kept = (np.random.default_rng(seed).random(len(codes)) < 0.95).tolist()
    source = Provenance(SourceKind.IMPORT, f"bench/recount_checks.py simulated, seed {seed}")
    out = []
    for i, kode in enumerate(codes):
        if not kept[i]:
            continue
        state = TpsState(kode, STAGES[stage[i]], False, {k: lists[k][i] for k in names})
        pages = 1 + (i + seed) % 3 if blocking[i] else 1  # a photo replaced now and then
        photos = tuple(f"https://photos.example/{kode}-{p}.jpg" for p in range(pages))
        out.append(TpsRecord(state, jenis[kode[:10]], (), source, {}, photos, AT))
    return out


def publish(out: Path, provinsi: str, workers: int) -> Path:
    tree = region_tree()
    codes = sorted(
        c.value
        for r in tree.regions.values()
        if r.jenis and r.kode.value.startswith(provinsi)
        for c in r.tps_codes()
    )
    jenis = {r.kode.value: (r.jenis.value if r.jenis else "tps") for r in tree.regions.values()}
    store = DirectorySnapshotStore(out)
    with tempfile.TemporaryDirectory() as keys:
        key = load_or_create(Path(keys) / "bench-key.pem")
        return _publish_two(store, tree, codes, jenis, provinsi, key, workers)


def _publish_two(
    store: DirectorySnapshotStore,
    tree: RegionTree,
    codes: list[str],
    jenis: dict[str, str],
    provinsi: str,
    key: SigningKey,
    workers: int,
) -> Path:
    location = ""
    for hours, seed in ((0, 2024), (6, 2025)):
        started = time.perf_counter()
        request = replace(
            SnapshotRequest(
                tree, CONTEST, FORM, records(codes, jenis, seed), AT + timedelta(hours=hours)
            ),
            scope=(provinsi,),
            previous=store.previous("ppwp"),
        )
        location = publish_snapshot(request, store, key, ForkedRunner(workers), workers).location
        print(f"published {location} in {time.perf_counter() - started:.1f} s ({len(codes):,} TPS)")
    return Path(location)


def _cpu() -> float:
    times = os.times()
    return times.user + times.system


def time_checks(folder: Path, repeat: int) -> None:
    """Each check alone, ``repeat`` times: best wall, its CPU, and what it found."""
    from rekap.recount.aggregate import Aggregates, recompute
    from rekap.recount.diff_checks import check_diff
    from rekap.recount.election_doc import tps_columns, vote_fields
    from rekap.recount.layout import ELECTION, MANIFEST, SCHEMA, bulk_tps
    from rekap.recount.manifest_counts import check_manifest_counts
    from rekap.recount.names import check_tps_names
    from rekap.recount.problems import RecountReport

    gc.disable()  # as recount() runs them: its objects hold no cycles worth collecting
    manifest = json.loads((folder / MANIFEST).read_bytes())
    election = json.loads((folder / ELECTION).read_bytes())
    schema = tps_columns(json.loads((folder / SCHEMA).read_bytes())) or []
    contest = str(manifest["contest"])
    passed = set(manifest["files"])
    fields = vote_fields(election) or ()

    @cache
    def aggregates() -> Aggregates:  # recomputed once, after the diff's peak memory is seen
        return recompute(folder / bulk_tps(contest, "parquet"), fields)

    checks: dict[str, Callable[[RecountReport], None]] = {
        "check_diff": lambda r: check_diff(folder, contest, manifest, passed, True, r),
        "check_tps_names": lambda r: check_tps_names(folder, contest, schema, r),
        "check_manifest_counts": lambda r: check_manifest_counts(
            folder, contest, manifest, aggregates(), passed, r
        ),
    }
    summary = json.loads((folder / "diff/summary.json").read_bytes())
    print(f"diff: {summary['tps']}")
    for name, check in checks.items():
        if name == "check_manifest_counts":
            aggregates()
        best, cpu = float("inf"), 0.0
        for _ in range(repeat):
            report = RecountReport(str(folder))
            started, cpu_before = time.perf_counter(), _cpu()
            check(report)
            seconds = time.perf_counter() - started
            if seconds < best:
                best, cpu = seconds, _cpu() - cpu_before
        print(
            f"{name}: {best:.2f} s wall, {cpu:.2f} s CPU (best of {repeat}), "
            f"{len(report.problems)} problems, checked {dict(report.checked)}; peak resident "
            f"memory of the process so far {_peak_mb():,.0f} MB"
        )


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--provinsi", default="32")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--snapshot", type=Path, default=None)
    parser.add_argument("--checks-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.checks_only:
        time_checks(args.snapshot, args.repeat)
        return
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, "
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"{time.strftime('%Y-%m-%d %H:%M %Z')}, load {os.getloadavg()[0]:.1f}"
    )
    out = None
    snapshot = args.snapshot
    if snapshot is None:  # a folder only when publishing: a snapshot given is timed where it is
        out = args.out or Path(tempfile.mkdtemp(prefix="rekap-recount-checks-", dir="/dev/shm"))
        snapshot = publish(out, args.provinsi, args.workers)
    command = [sys.executable, __file__, "--checks-only", "--snapshot", str(snapshot)]
    subprocess.run([*command, "--repeat", str(args.repeat)], check=True)
    if out is not None and not args.keep:
        shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
