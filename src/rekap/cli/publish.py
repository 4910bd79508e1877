"""`rekap publish` and `rekap tally`: the live tally and snapshots (`rekap recount` is in
``rekap.cli.recount``)."""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy import Connection, Engine

from rekap.adapters.keys import (
    DEFAULT_SNAPSHOT_KEY,
    NotAnEd25519Key,
    SigningKey,
    load_or_create,
)
from rekap.adapters.snapshot_dir import (
    BadPointer,
    DirectorySnapshotStore,
    ForkedRunner,
    LatestMoved,
    PublicationBusy,
    SnapshotExists,
)
from rekap.adapters.snapshot_s3 import S3SnapshotStore
from rekap.adapters.snapshot_staged import StagedBucketStore
from rekap.adapters.storage.event_store import EventLog
from rekap.adapters.storage.published_photos import PhotoRef, mark_published, publishable
from rekap.adapters.storage.snapshot_events import (
    hash_at,
    record_if_missing,
    record_published,
    signed_by,
)
from rekap.adapters.storage.tally_store import TallyStore
from rekap.cli.db import DatabaseOption, open_existing_store
from rekap.data import election_2024, region_tree
from rekap.domain.election import Contest
from rekap.domain.form import FormSpec, c_hasil_ppwp
from rekap.events.chain import Recorded
from rekap.events.model import SnapshotPublished
from rekap.publish.change_log import LogMismatch
from rekap.publish.continuity import AFTER_NOW, Refusal, log_continues, time_follows
from rekap.publish.previous import PreviousAltered
from rekap.publish.records import LogHead, PreviousSnapshot, SnapshotRequest, TpsRecord
from rekap.publish.snapshot import publish_snapshot
from rekap.tally.index import RegionIndex
from rekap.tally.layout import TallyLayout
from rekap.tally.rebuild import rebuild

console = Console(stderr=True)
DEFAULT_OUT = Path("var") / "snapshots"
WorkersOption = Annotated[int, typer.Option("--workers", min=1, help="Worker processes.")]


def _contest_parts(contest: str) -> tuple[TallyLayout, Contest, FormSpec]:
    election = election_2024()
    chosen = election.contest(contest)
    if not chosen.dapil:
        console.print(f"[red]Contest {contest} has no ballot defined yet.[/]")
        raise typer.Exit(2)
    form = c_hasil_ppwp(chosen.dapil[0])
    return TallyLayout.of_form(contest, form), chosen, form


READ_ATTEMPTS = 3
State = tuple[list[PhotoRef], list[TpsRecord], Recorded | None]


def _head(engine: Engine, lock: Connection | None = None) -> Recorded | None:
    if lock is not None:
        return EventLog(engine).head(lock, lock=True)
    with engine.connect() as connection:
        return EventLog(engine).head(connection)


def _read(
    engine: Engine, tally: TallyStore, scope: tuple[str, ...]
) -> tuple[list[PhotoRef], list[TpsRecord]]:
    # The photos first: one that changes before the results are read stays unpublished.
    photos = [
        ref
        for ref in publishable(engine, tally.contest)
        if not scope or any(ref[1].startswith(code) for code in scope)
    ]
    return photos, tally.records()


def _hash(head: Recorded | None) -> str | None:
    return None if head is None else head.hash


def read_state(engine: Engine, tally: TallyStore, scope: tuple[str, ...]) -> State | None:
    """The publishable photos, the results and the log head, as of one moment, so that the
    snapshot's numbers are exactly what its log replays to. A change and its event commit
    together, so a head that did not move while the results were read means no change came
    between. If it moves every time, PostgreSQL reads once more holding the log's writer lock
    (writers wait a few seconds); SQLite gives up (None): its reads would wait for the lock."""
    for _ in range(READ_ATTEMPTS):
        before = _head(engine)
        photos, records = _read(engine, tally, scope)
        after = _head(engine)
        if _hash(before) == _hash(after):
            return photos, records, after
    if engine.dialect.name != "postgresql":
        return None
    with engine.begin() as lock:
        head = _head(engine, lock)
        photos, records = _read(engine, tally, scope)
    return photos, records, head


def _as_typed(text: str) -> str:
    """``--out`` as typed: an ``s3://`` address must not become a ``Path`` (which folds its
    '//')."""
    return text


def now() -> datetime:
    """This machine's time: the default snapshot time, and the latest one ``--at`` may give."""
    return datetime.now(UTC)


def publish(
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            help="Folder of snapshots, or a bucket: s3://bucket/prefix[?endpoint=…&region=…].",
            parser=_as_typed,
        ),
    ] = DEFAULT_OUT,
    db: DatabaseOption = None,
    scope: Annotated[
        list[str] | None, typer.Option("--scope", help="Publish only these region codes.")
    ] = None,
    key: Annotated[Path, typer.Option("--key", help="Ed25519 signing key.")] = DEFAULT_SNAPSHOT_KEY,
    at: Annotated[
        str | None, typer.Option("--at", help="Snapshot time, ISO 8601 with a zone (default: now).")
    ] = None,
    workers: WorkersOption = 2,
    new_log: Annotated[
        bool,
        typer.Option(
            "--new-log",
            help="Publish even though the database's change log does not hold the previous "
            "snapshot's log head (a deliberately new database, e.g. another election's).",
        ),
    ] = False,
    new_key: Annotated[
        bool,
        typer.Option(
            "--new-key",
            help="Publish even though --key is not the key that signed the previous snapshot "
            "(a deliberate change of the publication's key).",
        ),
    ] = False,
) -> None:
    """Write a complete, signed, immutable snapshot of the stored results (PPWP), over the
    previous one in --out. Refused (exit 2) when the database does not exist or has no rekap
    schema, when its change log does not continue the previous snapshot's (see --new-log),
    when --key is not the key that signed the previous snapshot (see --new-key), and when
    the snapshot time is before the previous snapshot's or the newest event's, or after this
    machine's time."""
    started = time.perf_counter()
    try:
        created = datetime.fromisoformat(at) if at else now()
    except ValueError:
        created = datetime(1, 1, 1)  # no zone: refused below
    if created.tzinfo is None:
        console.print("[red]--at needs an ISO 8601 time with a zone, e.g. 2024-02-20T06:00:00Z[/]")
        raise typer.Exit(2)
    _refuse_unknown(scope or ())
    layout, contest, form = _contest_parts("ppwp")
    signer = _signer(key) if key.exists() else None  # a new one only once nothing refuses
    snapshots = _store(str(out))
    store = open_existing_store(db)  # never made here: a mistyped --db is no empty election
    try:
        previous = snapshots.previous(layout.contest)
    except (BadPointer, PreviousAltered) as error:
        raise _no_diff(error) from None
    except OSError as error:
        console.print(
            f"[red]Could not read the previous snapshot in {escape(str(out))}: "
            f"{escape(str(error))}; nothing was published (`latest` is as it was).[/]"
        )
        raise typer.Exit(1) from None
    _check_key(previous, signer, key, new_key)
    with store.engine.connect() as connection:
        broken = log_continues(previous, lambda sequence: hash_at(connection, sequence))
    if broken is not None and not new_log:
        raise _refuse(broken, "if this database is meant to follow it, publish with --new-log")
    if broken is not None:
        console.print(f"[yellow]{escape(broken.message)}; published anyway (--new-log).[/]")
    if at:  # checked again against the log head once it is read
        _check_time(time_follows(created, previous, None, now()))
    # an event's time is the log's clock, as every other event's; ``now`` is the snapshot's
    # (without a key yet, no previous snapshot can be this publisher's: nothing to record)
    if signer is not None and record_if_missing(
        store.engine, previous, signer.public_raw, datetime.now(UTC), "rekap publish"
    ):
        assert previous is not None
        console.print(
            f"[yellow]The publication of snapshot {escape(previous.snapshot_id)} ended before "
            "recording it in the change log: recorded now.[/]"
        )
    with console.status("Reading results and findings"):
        state = read_state(store.engine, TallyStore(store.engine, layout), tuple(scope or ()))
    if state is None:
        console.print(
            f"[red]The change log moved each of the {READ_ATTEMPTS} times the results were "
            "read: publish again when fewer changes arrive.[/]"
        )
        raise typer.Exit(1)
    photos, records, head = state
    if not at:  # now, after the reading: the snapshot reflects the log up to its head
        created = now()
    _check_time(time_follows(created, previous, None if head is None else head.at, now()))
    if signer is None:
        signer = _new_signer(key)
    try:
        request = SnapshotRequest(
            region_tree(),
            contest,
            form,
            records,
            created,
            tuple(scope or ()),
            None if head is None else LogHead(head.sequence, head.hash),
            previous,
        )
        with console.status(f"Publishing {len(records):,} results"):
            done = publish_snapshot(
                request,
                snapshots,
                signer,
                ForkedRunner(workers),
                workers,
                log=EventLog(store.engine).records(),
            )
    except (BadPointer, PreviousAltered) as error:
        raise _no_diff(error) from None
    except SnapshotExists as error:
        console.print(
            f"[red]{escape(str(error))}: snapshots are immutable; publish again later.[/]"
        )
        raise typer.Exit(2) from None
    except (PublicationBusy, LatestMoved) as error:
        console.print(f"[red]{escape(str(error))}; nothing was published: publish again.[/]")
        raise typer.Exit(1) from None
    except LogMismatch as error:
        console.print(
            f"[red]The change log does not lead to the head read: {escape(str(error))}[/]"
        )
        raise typer.Exit(1) from None
    except OSError as error:
        console.print(
            f"[red]Could not write the snapshot into {escape(str(out))}: {escape(str(error))}; "
            "nothing was published (`latest` is as it was).[/]"
        )
        for warning in _warnings(snapshots):
            console.print(f"[yellow]{escape(warning)}[/]")
        raise typer.Exit(1) from None
    for name in snapshots.removed:
        console.print(f"Removed {escape(name)}, left by a publication that was killed.")
    for warning in _warnings(snapshots):
        console.print(f"[yellow]{escape(warning)}[/]")
    with store.engine.begin() as connection:
        published = SnapshotPublished(
            snapshot=done.snapshot_id, manifest_sha256=done.manifest_sha256
        )
        detail = f"snapshot {done.snapshot_id}"
        if broken is not None:
            detail += f" (--new-log: {broken.message})"
        after = 0 if head is None else head.sequence
        log = EventLog(store.engine)
        record_published(connection, log, published, after, created, "rekap publish", detail)
        moved = mark_published(connection, layout.contest, photos, created, detail)
    seconds = time.perf_counter() - started
    counts = done.counts
    unlisted = counts["counted_unlisted"]
    apart = f" ({unlisted:,} of them not in the region tree's list)" if unlisted else ""
    console.print(
        f"Snapshot [bold]{done.snapshot_id}[/] in {escape(done.location)} ({seconds:.1f} s): "
        f"{counts['tps_expected']:,} TPS expected, {counts['tps_with_result']:,} with a result, "
        f"{counts['counted']:,} counted{apart}, {counts['blocking']:,} held by a blocking "
        f"finding, {counts['unplaced']:,} outside the region tree."
    )
    console.print(f"manifest SHA-256 {done.manifest_sha256}, signed by key {signer.key_id}.")
    if moved:
        console.print(f"{moved:,} photos moved to published.")


def _check_key(
    previous: PreviousSnapshot | None, signer: SigningKey | None, key: Path, new_key: bool
) -> None:
    """Exit 2 when the previous snapshot is signed and not by ``--key`` (or there is no key
    there, so a new one would sign): every reader who pinned the publication's key would see
    the next recount fail, and a mistyped --key would have changed it unnoticed."""
    if previous is None or previous.signature is None:
        return
    if signer is not None and signed_by(previous, signer.public_raw):
        return
    which = (
        f"the key at {escape(str(key))} (key id {signer.key_id})"
        if signer is not None
        else f"a new key (there is none at {escape(str(key))})"
    )
    said = (
        f"The previous snapshot {escape(previous.snapshot_id)} is not signed by {which} (or "
        "was altered since): a recount pinned to the publication's key would fail on this one."
    )
    if not new_key:
        console.print(
            f"[red]{said} Give the key that signed it with --key; to change the publication's "
            "key deliberately, publish with --new-key.[/]"
        )
        raise typer.Exit(2)
    console.print(f"[yellow]{said} Publishing with another key (--new-key).[/]")


def _signer(key: Path) -> SigningKey:
    """The key at ``key``, or a new one saved there (exit 2 when it cannot sign)."""
    try:
        return load_or_create(key)
    except (NotAnEd25519Key, OSError) as error:
        console.print(
            f"[red]The signing key {escape(str(key))} cannot sign: {escape(str(error))}[/]"
        )
        raise typer.Exit(2) from None


def _new_signer(key: Path) -> SigningKey:
    """A new key saved at ``key``, said aloud: a mistyped --key would otherwise sign with a
    new key unnoticed. Made only by a publication that nothing refused."""
    signer = _signer(key)
    console.print(
        f"[yellow]No signing key at {escape(str(key))}: a new one was made (key id "
        f"{signer.key_id}).[/] Keep it: later snapshots must be signed with it, or a "
        "recount pinned to it fails. If you meant an existing key, check the path."
    )
    return signer


def _refuse_unknown(codes: Iterable[str]) -> None:
    """Exit 2 naming every code that is not a region of the tree (nasional … desa)."""
    unknown = [code for code in codes if code not in region_tree().regions]
    if unknown:
        console.print(f"[red]Not in the region tree: {escape(', '.join(unknown))}[/]")
        raise typer.Exit(2)


def _refuse(refusal: Refusal, hint: str) -> typer.Exit:
    console.print(
        f"[red]{escape(refusal.message)}: nothing was published (`latest` is as it was); "
        f"{escape(hint)}.[/]"
    )
    return typer.Exit(2)


def _check_time(refusal: Refusal | None) -> None:
    if refusal is not None:
        later = "an earlier" if refusal.reason == AFTER_NOW else "a later"
        raise _refuse(refusal, f"give --at {later} time, or leave it out (now)")


def _no_diff(error: Exception) -> typer.Exit:
    console.print(
        f"[red]{escape(str(error))}: no diff against the previous snapshot can be made; "
        "nothing was published.[/]"
    )
    return typer.Exit(2)


def _warnings(snapshots: DirectorySnapshotStore | StagedBucketStore) -> list[str]:
    return snapshots.warnings if isinstance(snapshots, StagedBucketStore) else []


def _store(out: str) -> DirectorySnapshotStore | StagedBucketStore:
    """A folder, or a bucket written through a private folder of this machine (in
    ``TMPDIR``; nationally about 2 GB, removed once uploaded)."""
    if not out.startswith("s3://"):
        return DirectorySnapshotStore(Path(out))
    try:
        bucket = S3SnapshotStore.from_url(out)
    except ValueError as error:
        console.print(f"[red]--out {escape(out)}: {escape(str(error))}[/]")
        raise typer.Exit(2) from None
    return StagedBucketStore(bucket)


def tally(
    db: DatabaseOption = None,
    region: Annotated[str, typer.Option("--region", help="Region code ('' = nasional).")] = "",
    scope: Annotated[
        list[str] | None, typer.Option("--scope", help="Keep the tally of these regions only.")
    ] = None,
    do_rebuild: Annotated[
        bool, typer.Option("--rebuild", help="Recompute the stored tally from every result.")
    ] = False,
    check: Annotated[
        bool, typer.Option("--check", help="Exit 1 if the stored tally differs from a rebuild.")
    ] = False,
) -> None:
    """Show the live tally of a region and its children (PPWP). A code that is not a region of
    the tree (nasional … desa), in --region or --scope, is refused (exit 2)."""
    _refuse_unknown((region, *(scope or ())))
    layout, _, _ = _contest_parts("ppwp")
    store = open_existing_store(db)  # a mistyped --db is no election with nothing counted
    tallies = TallyStore(store.engine, layout)
    if do_rebuild or check:
        started = time.perf_counter()
        index = RegionIndex.build(region_tree(), scope or ())
        rebuilt = rebuild(index, layout, tallies.states())
        if check:
            same = tallies.table(index).same_totals(rebuilt.table)
            console.print("Stored tally = rebuild." if same else "[red]Stored tally differs.[/]")
            if not same:
                raise typer.Exit(1)
        else:
            tallies.replace(rebuilt.table)
            console.print(f"Tally rebuilt in {time.perf_counter() - started:.1f} s.")
    own = tallies.region(region)
    if own is None:
        console.print("No stored tally yet: run `rekap tally --rebuild`.")
        raise typer.Exit(1)
    tree = region_tree()
    table = Table(
        title=f"Tally PPWP: {tree.regions[region].nama}",
        caption="TPS: expected; counted: TPS in the totals; held: TPS held by a blocking finding",
    )
    for column in ("kode", "nama", "TPS", "counted", "held", *layout.vote_fields):
        table.add_column(column, justify="left" if column in ("kode", "nama") else "right")
    for kode in (region, *tree.children_of.get(region, ())):
        found = tallies.region(kode)
        if found is None:
            continue
        cover = found.coverage
        table.add_row(
            kode or "—",
            tree.regions[kode].nama,
            f"{cover.tps_expected:,}",
            f"{cover.counted:,}",
            f"{cover.blocking:,}",
            *(f"{found.counted[f]:,}" for f in layout.vote_fields),
        )
    Console().print(table)
