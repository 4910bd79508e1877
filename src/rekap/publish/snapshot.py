"""Publishing a snapshot: build every document, write them into a staging area, then list,
hash and sign them, and only then make the snapshot visible in one step.

If anything fails on the way, the staging area is thrown away: a half-written snapshot is
never visible.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from rekap.events.chain import Recorded
from rekap.publish import paths
from rekap.publish.bulk import tps_data
from rekap.publish.change_log import log_files
from rekap.publish.documents import (
    province_groups,
    write_jsonl,
    write_provinces,
    write_root,
)
from rekap.publish.encode import snapshot_id
from rekap.publish.manifest import (
    TREE_PREFIXES,
    build_manifest,
    sha256_hex,
    sha256_index,
    signature_file,
)
from rekap.publish.ports import (
    FileEntry,
    InProcess,
    ShardRunner,
    Signer,
    SnapshotStore,
    SnapshotWriter,
)
from rekap.publish.records import LogHead, SnapshotRequest
from rekap.publish.view import SnapshotView


@dataclass(frozen=True)
class Published:
    snapshot_id: str
    location: str
    manifest_sha256: str
    counts: Mapping[str, int]
    unplaced: tuple[str, ...]


@contextlib.contextmanager
def cycle_collector_paused() -> Iterator[None]:
    """The view is millions of acyclic objects: while they are built, the cycle collector
    would rescan them again and again and free nothing (~1 s of a national snapshot)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def snapshot_counts(view: SnapshotView) -> dict[str, int]:
    """The manifest's summary of the nation (or the scope). ``counted_unlisted`` is in
    ``counted`` and not in ``tps_expected``: without it a reader of the manifest could not
    tell ``counted`` over ``tps_expected`` from the share of listed TPS counted."""
    nation = view.region("").coverage
    return {
        "tps_expected": nation.tps_expected,
        "tps_rows": len(view.all_tps),
        "tps_with_result": sum(1 for r in view.records.values() if r.state.values),
        "counted": nation.counted,
        "counted_unlisted": view.counted_unlisted_of(""),
        "blocking": nation.blocking,
        "unplaced": len(view.unplaced),
    }


def write_log(
    writer: SnapshotWriter, log: Iterable[Recorded], head: LogHead
) -> list[tuple[str, str, int]]:
    """The log's files up to ``head``, written; ``(path, sha256, size)`` of each."""
    written = [writer.write(p, data) for p, data in log_files(log, head)]
    return [(e.path, e.sha256, e.size) for e in written]


def publish_snapshot(
    request: SnapshotRequest,
    store: SnapshotStore,
    signer: Signer,
    runner: ShardRunner | None = None,
    workers: int = 1,
    log: Iterable[Recorded] | None = None,
) -> Published:
    """Write a complete, signed snapshot of ``request`` and make it the latest. When the
    request names a log head, ``log`` is the change log in order from its first event (e.g.
    ``EventLog.records()``): its events up to the head are written into the snapshot, and a log
    that does not reach the head exactly stops the publication (``LogMismatch``)."""
    if request.log_head is not None and log is None:
        raise ValueError("a snapshot that names a log head carries the log up to it")
    with cycle_collector_paused():
        view = SnapshotView.build(request)
        groups = province_groups(view, 4 * workers if workers > 1 else 1)
        # computed before the jobs start: the TPS listing it builds is then shared with forked
        # workers instead of being built again in each of them
        counts = snapshot_counts(view)
    identifier = snapshot_id(request.created_at)
    writer = store.begin(identifier)
    try:
        # here, before the jobs fork: the log is read from the caller's store, in this process
        head = request.log_head
        logged = [] if head is None or log is None else write_log(writer, log, head)

        def job(number: int) -> list[tuple[str, str, int]]:
            if number == 0:  # the bulk columns are built here, beside the province jobs
                data = tps_data(view)
                done = write_root(view, writer, signer, data) + write_jsonl(view, writer, data)
            else:
                done = write_provinces(view, writer, groups[number - 1])
            # plain tuples: a million of them come back from the workers, and a plain
            # tuple is rebuilt without calling any Python code
            return [(e.path, e.sha256, e.size) for e in done]

        parts = (runner or InProcess()).map(job, 1 + len(groups))
        written = sorted([*logged, *(entry for part in parts for entry in part)])
        index = writer.write(paths.INDEX_FILE, sha256_index(written))
        entries = [FileEntry(*e) for e in written if not e[0].startswith(TREE_PREFIXES)]
        previous = request.previous
        manifest = build_manifest(
            snapshot_id=identifier,
            created_at=view.ts_iso,
            contest=view.contest,
            scope=view.index.scope,
            log_head=request.log_head,
            previous=None
            if previous is None
            else {"snapshot_id": previous.snapshot_id, "manifest_sha256": previous.manifest_sha256},
            signer=signer,
            index=index,
            entries=entries,
            files=len(written),
            counts=counts,
        )
        writer.write(paths.MANIFEST_FILE, manifest)
        writer.write(paths.SIGNATURE_FILE, signature_file(signer, manifest))
        location = store.commit(identifier)
    except BaseException:
        store.abort(identifier)
        raise
    unplaced = tuple(r.kode_tps for r in view.unplaced)
    return Published(identifier, location, sha256_hex(manifest), counts, unplaced)
