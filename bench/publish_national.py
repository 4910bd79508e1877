"""A national snapshot and its recount: 823k simulated TPS results over the real region tree,
or Sirekap's own 2024 data (``--sirekap PATH``, read and checked in memory).

Usage: .venv/bin/python bench/publish_national.py [--out DIR] [--workers 2] [--sirekap PATH]
                                                   [--keep] [--no-command] [--no-recount]
                                                   [--second SHARE]
Prints the time to publish (every file written, hashed, listed and signed), the files and
bytes written, the time of a full recount in this process, and the time of the command a
reader runs, ``rekap recount SNAPSHOT`` (a fresh process: imports included). Each time is
given as wall seconds and CPU seconds (all processes), with the load average before it.
Records nothing by itself; the snapshot is deleted afterwards unless --keep.

``--second SHARE`` then publishes a second snapshot an hour later over the first, in which
every n-th TPS, n = 1 / SHARE rounded (0.5: every second; any SHARE above 0.67: every TPS),
moved a stage on: it reads the first snapshot back
and lists those TPS in its diff, as every snapshot after an election night's first does. The
recounts then check the second snapshot.

The figures in docs/tally.md ("Against the targets") come from:

    .venv/bin/python bench/publish_national.py --out /dev/shm/rekap-bench --workers 2
    .venv/bin/python bench/publish_national.py --out /work/rekap-bench --workers 2

(the first on tmpfs, the second on the machine's disk; neither folder may exist already).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rekap.adapters.keys import load_or_create
from rekap.adapters.sirekap_files import read_records
from rekap.adapters.snapshot_dir import DirectorySnapshotStore, ForkedRunner
from rekap.adapters.storage.tally_store import parse_updated_at
from rekap.data import election_2024, region_tree
from rekap.domain.form import c_hasil_ppwp
from rekap.domain.result import Provenance, SourceKind
from rekap.publish.records import SnapshotRequest, TpsRecord
from rekap.publish.snapshot import publish_snapshot
from rekap.recount.run import recount
from rekap.rules.finding import Finding
from rekap.rules.registry import rule_by_id
from rekap.rules.rule import Violation
from rekap.services.validation import validate_records
from rekap.sources.sirekap import ImportedTps, SirekapParser
from rekap.tally.contribution import TpsState
from rekap.tally.stage import TpsStage
from tally_national import simulate_values

ELECTION = election_2024()
CONTEST = ELECTION.contest("ppwp")
FORM = c_hasil_ppwp(CONTEST.dapil[0])
AT = datetime(2024, 3, 20, 12, 0, tzinfo=UTC)
STAGES = (TpsStage.READ, TpsStage.VERIFIED, TpsStage.PUBLISHED)


def simulated_records() -> list[TpsRecord]:
    tree = region_tree()
    codes = [c.value for r in tree.regions.values() if r.jenis for c in r.tps_codes()]
    jenis = {r.kode.value: (r.jenis.value if r.jenis else "tps") for r in tree.regions.values()}
    columns = simulate_values(codes)
    names = [k for k in columns if k not in ("blocking", "stage")]
    lists = {k: columns[k].tolist() for k in names}
    blocking = columns["blocking"].tolist()
    stage = columns["stage"].tolist()
    rule = rule_by_id("F-SUM-SAH")
    source = Provenance(SourceKind.IMPORT, "bench/publish_national.py simulated, seed 2024")
    records = []
    for i, kode in enumerate(codes):
        values = {k: lists[k][i] for k in names}
        findings: tuple[Finding, ...] = ()
        if blocking[i]:
            values["suara_sah"] += 1
            total = values["paslon_1"] + values["paslon_2"] + values["paslon_3"]
            evidence = {"sum_paslon": total, "suara_sah": values["suara_sah"]}
            findings = (rule.finding(Violation(("suara_sah",), evidence)),)
        photos = tuple(f"https://photos.example/{kode}-{page}.jpg" for page in (1, 2, 3))
        state = TpsState(kode, STAGES[stage[i]], blocking[i], values)
        records.append(TpsRecord(state, jenis[kode[:10]], findings, source, {}, photos, AT))
    return records


def sirekap_records(path: Path) -> list[TpsRecord]:
    items: list[ImportedTps] = []
    parser = SirekapParser(CONTEST, region_tree())
    report = validate_records(read_records(path), parser, FORM, ELECTION, sink=items.append)
    latest = {item.result.kode_tps.value: item for item in items}
    return [
        TpsRecord.from_result(
            item.result,
            report.findings.get(kode, ()),
            TpsStage.READ,
            parse_updated_at(item.published_at),
        )
        for kode, item in latest.items()
    ]


def moved_on(records: list[TpsRecord], share: float) -> list[TpsRecord]:
    """The records with every n-th a stage further, an hour later, n = 1 / ``share`` rounded
    (0.5: every second; 0.3: every third); the diff's counts, printed, are what was measured."""
    later = AT + timedelta(hours=1)
    step = max(1, round(1 / share)) if share > 0 else 0
    moved = []
    for index, record in enumerate(records):
        stage = record.state.stage
        if step and index % step == 0:
            stage = TpsStage.PUBLISHED if stage is not TpsStage.PUBLISHED else TpsStage.VERIFIED
            record = replace(record, state=replace(record.state, stage=stage), updated_at=later)
        moved.append(record)
    return moved


def publish_timed(
    request: SnapshotRequest, out: Path, key_path: Path, workers: int, label: str
) -> Path:
    """Publish ``request`` under ``out``, print its time, files and bytes; its folder."""
    key = load_or_create(key_path)
    print(f"load average before publishing: {load()}")
    started, cpu = time.perf_counter(), cpu_seconds()
    done = publish_snapshot(
        request, DirectorySnapshotStore(out), key, ForkedRunner(workers), workers
    )
    seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    files, size = folder_size(Path(done.location))
    print(f"{label}: {seconds:.1f} s wall, {cpu:.1f} s CPU (all processes)")
    print(f"  {files:,} files, {size / 1e9:.2f} GB, counts {done.counts}")
    return Path(done.location)


def cpu_seconds() -> float:
    """CPU time of this process and of its finished worker processes."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def command_recount(snapshot: Path, workers: int) -> tuple[float, float, int]:
    """``rekap recount SNAPSHOT`` as a reader runs it: wall and CPU seconds, exit status."""
    command = Path(sys.executable).parent / "rekap"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [str(command), "recount", str(snapshot), "--workers", str(workers)],
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    if done.returncode:
        print(done.stdout[-2000:], done.stderr[-2000:])
    return seconds, cpu, done.returncode


def load() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


def folder_size(folder: Path) -> tuple[int, int]:
    files = size = 0
    for root, _, names in os.walk(folder):
        for name in names:
            files += 1
            size += os.stat(os.path.join(root, name)).st_size
    return files, size


def recount_in_process(out: Path, workers: int) -> None:
    print(f"load average before the recount: {load()}")
    started, cpu = time.perf_counter(), cpu_seconds()
    report = recount(out, workers=workers)
    seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    print(f"recount: {seconds:.1f} s wall, {cpu:.1f} s CPU, ok={report.ok}")
    print(f"  {len(report.problems)} problems")
    print(f"  checked: {dict(report.checked)}")
    for problem in report.problems[:10]:
        print(f"  {problem}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--sirekap", type=Path, default=None)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument(
        "--no-command", action="store_true", help="Skip the `rekap recount` command's run."
    )
    parser.add_argument(
        "--no-recount", action="store_true", help="Publish only: no recount of any kind."
    )
    parser.add_argument(
        "--second",
        type=float,
        default=None,
        metavar="SHARE",
        help="Then publish a second snapshot with every n-th TPS a stage on, n = 1 / SHARE "
        "rounded (above 0.67: every TPS).",
    )
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, "
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"{time.strftime('%Y-%m-%d %H:%M %Z')}"
    )
    started = time.perf_counter()
    records = sirekap_records(args.sirekap) if args.sirekap else simulated_records()
    source = f"Sirekap {args.sirekap.name}" if args.sirekap else "simulated"
    print(f"{len(records):,} {source} results prepared in {time.perf_counter() - started:.1f} s")
    out = args.out or Path(tempfile.mkdtemp(prefix="rekap-snapshots-"))
    out.mkdir(parents=True, exist_ok=True)
    print(f"writing under {out}")
    key_folder = Path(tempfile.mkdtemp())
    key_path = key_folder / "bench-key.pem"
    request = SnapshotRequest(region_tree(), CONTEST, FORM, records, AT)
    location = publish_timed(request, out, key_path, args.workers, "publish")
    if args.second is not None:
        later = moved_on(records, args.second)
        previous = DirectorySnapshotStore(out).previous(CONTEST.kind.value)
        second = replace(request, records=later, created_at=AT + timedelta(hours=1))
        location = publish_timed(
            replace(second, previous=previous), out, key_path, args.workers, "second publish"
        )
        summary = json.loads((location / "diff" / "summary.json").read_text())
        print(f"  diff: {summary['tps']}")
    if not args.no_recount:
        recount_in_process(out, args.workers)
    if not (args.no_command or args.no_recount):
        print(f"load average before `rekap recount`: {load()}")
        seconds, cpu, status = command_recount(location, args.workers)
        print(f"rekap recount: {seconds:.1f} s wall, {cpu:.1f} s CPU, exit status {status}")
    print(f"load average at the end: {load()}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory of the main process: {peak:,.0f} MB")
    shutil.rmtree(key_folder, ignore_errors=True)
    if not args.keep:
        shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
