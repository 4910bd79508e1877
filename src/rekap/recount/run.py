"""The recount, start to end: signature, listed files, bulk data, aggregates, the change log,
every file."""

from __future__ import annotations

import bisect
import gc
import json
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import duckdb

from rekap.recount import bulk_checks
from rekap.recount.aggregate import Aggregates, recompute
from rekap.recount.completeness import absent_documents
from rekap.recount.diff_checks import check_diff
from rekap.recount.election_doc import (
    form_fields,
    holds_missing_votes,
    publishes_unlisted,
    publishes_verified_by_people,
    sirekap_ids,
    sirekap_paslon,
    table_columns,
    tps_columns,
    vote_fields,
)
from rekap.recount.files import Entry, Part, Pass, PassContext, find_unlisted, parse_index
from rekap.recount.layout import ELECTION, INDEX, SCHEMA, bulk_region, bulk_tps, locate
from rekap.recount.log_checks import check_log
from rekap.recount.manifest_counts import check_manifest_counts
from rekap.recount.names import check_tps_names
from rekap.recount.problems import Kind, Problem, RecountReport
from rekap.recount.render import Renderer
from rekap.recount.signature import (
    check_key_files,
    check_listed,
    check_manifest,
    load_pinned_key,
)

NOT_BY_PEOPLE_NOTE = (
    "This snapshot does not publish verified_by_people (the TPS whose numbers people "
    "entered; published before 2026-11-23): the figure was not recounted, the rest of each "
    "region's coverage was."
)


def _json(folder: Path, relative: str, report: RecountReport) -> Any:
    try:
        return json.loads((folder / relative).read_bytes())
    except (OSError, ValueError, RecursionError) as error:
        report.add(Kind.CORRUPTED, relative, f"unreadable: {type(error).__name__}: {error}")
        return None


Phase = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


def recount(
    path: Path,
    public_key: Path | None = None,
    workers: int = 2,
    deep: bool = False,
    on_phase: Phase = _quiet,
    bulk_only: bool = False,
) -> RecountReport:
    """Check a snapshot folder (or the one its ``latest`` names); problems are in the report.
    ``on_phase`` is told, in a few words, what the recount starts doing next (a national
    recount takes a while; it is called from this process only, never from a worker).
    With ``bulk_only``, only the manifest's signature, the files it names (the bulk data,
    the change log) and the recount of the totals are checked; the JSON trees and
    ``SHA256SUMS`` are left out, and a note in the report says so.

    The cycle collector is off meanwhile: the recount makes millions of objects (the index,
    the TPS rows, the parsed documents) and no cycles worth collecting."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        if bulk_only:
            return _recount_bulk(path, public_key, on_phase)
        return _recount(path, public_key, workers, deep, on_phase)
    finally:
        if was_enabled:
            gc.enable()


def _signed(
    path: Path, public_key: Path | None, on_phase: Phase
) -> tuple[Path, RecountReport, dict[str, Any] | None]:
    """The snapshot's folder, a report, and its manifest once its signature is checked
    (``None`` when it cannot be trusted: the report says why)."""
    folder = locate(path)
    report = RecountReport(str(folder))
    pinned = load_pinned_key(public_key) if public_key is not None else None
    on_phase("checking the manifest's signature")
    return folder, report, check_manifest(folder, report, pinned)


def _recount(
    path: Path, public_key: Path | None, workers: int, deep: bool, on_phase: Phase
) -> RecountReport:
    folder, report, manifest = _signed(path, public_key, on_phase)
    if manifest is None:
        return report
    contest = str(manifest.get("contest", ""))
    index_present = (folder / INDEX).is_file()
    entries, problems = parse_index((folder / INDEX).read_bytes()) if index_present else ([], [])
    report.problems.extend(problems)
    _index_agrees(entries, manifest, report)
    # the files the manifest names (with their size and hash) are checked against it here;
    # the workers read them but do not hash them again
    skip = frozenset(manifest.get("files", {}))
    on_phase(
        f"hashing the {len(entries):,} files SHA256SUMS lists ({workers} worker"
        f"{'s' if workers > 1 else ''}), the documents among them as they are compared next, "
        "while the bulk data is checked and recounted"
    )
    # every file but the documents to compare is read and hashed in worker processes while
    # this one checks the manifest's files and recomputes the aggregates; then the documents
    # are read and compared
    plain = PassContext(folder, contest, entries, None, {}, skip, deep, {})
    files = Pass(plain, workers, Part.FILES)
    try:
        passed = check_listed(folder, manifest, report)
        check_key_files(folder, manifest, passed, report)
        election = _election(folder, passed, report)
        aggregates = _aggregates(folder, contest, passed, election, report, deep)
        check_manifest_counts(folder, contest, manifest, aggregates, passed, report)
        check_diff(folder, contest, manifest, passed, aggregates is not None, report)
    except BaseException:
        files.cancel()
        raise
    expected_files = manifest.get("index", {}).get("files")  # a count or None (shape_problem)
    if expected_files is None:
        report.add(
            Kind.MANIFEST, INDEX, f"{len(entries)} entries, the manifest gives no index.files"
        )
    elif expected_files != len(entries):
        report.add(
            Kind.MANIFEST, INDEX, f"{len(entries)} entries, the manifest says {expected_files}"
        )
    ids = sirekap_ids(election)
    context = PassContext(
        folder,
        contest,
        entries,
        aggregates,
        ids,
        skip,
        deep,
        sirekap_paslon(election),
        _renderer(aggregates, ids, contest, manifest),
    )
    on_phase("comparing every published document with the recount, checking the change log")
    documents = Pass(context, workers, Part.DOCUMENTS)
    absent: list[Problem] = []
    try:  # the change log and the trees' completeness are checked while the workers read
        check_log(folder, manifest, form_fields(election), passed, report)
        if aggregates is not None:
            absent = absent_documents(entries, contest, aggregates)
    except BaseException:
        documents.cancel()
        files.cancel()
        raise
    found, counts = documents.result()
    hashed, hashed_counts = files.result()
    found += hashed + absent
    if index_present and INDEX in passed:
        found += find_unlisted(files, documents)
    elif index_present:
        # a SHA256SUMS cut short or altered lists too few files: what it leaves out would
        # each be named unlisted (and each document it leaves out absent), thousands of
        # lines for the one problem already named
        unlisted = sum(p.kind is Kind.UNLISTED for p in found)
        left_out = set(absent)
        found = [p for p in found if p.kind is not Kind.UNLISTED and p not in left_out]
        report.notes.append(
            f"Unlisted files and absent documents were not looked for: {INDEX} failed its "
            f"check ({unlisted:,} files present it does not list, {len(absent):,} documents "
            "the recount expects it does not list)."
        )
    else:
        # without SHA256SUMS (named missing) every document would read as absent, the ones
        # on the disk too: thousands of lines that all say the one problem already named
        left_out = set(absent)
        found = [p for p in found if p not in left_out]
        report.notes.append(
            f"Unlisted files and absent documents were not looked for: there is no {INDEX}."
        )
    counts.update(hashed_counts)
    # a file the manifest names is also listed in SHA256SUMS: one problem with it, said once
    # (absent: "listed but absent" from the manifest's check, "listed in SHA256SUMS but
    # absent" from the pass's; one file, one problem)
    said = set(report.problems)
    said_of_named = {(p.kind, p.path) for p in report.problems if p.path in skip}
    report.problems.extend(
        sorted(
            (p for p in set(found) - said if (p.kind, p.path) not in said_of_named),
            key=lambda p: (p.path, p.kind.value, p.detail),
        )
    )
    report.checked.update(counts)
    _nasional(report, aggregates, manifest)
    return report


BULK_ONLY_NOTE = (
    "--bulk-only: of the {files} files SHA256SUMS lists, the {named} the manifest names were "
    "checked (the bulk data, the change log, the key); the other {trees} (the JSON trees) and "
    "SHA256SUMS itself were not, nor unlisted files looked for; the totals above are "
    "recounted from the bulk data the manifest signs."
)


def _recount_bulk(path: Path, public_key: Path | None, on_phase: Phase) -> RecountReport:
    """The signature, the files the manifest names, the totals recounted from the bulk data
    and compared with the region table, and the change log."""
    folder, report, manifest = _signed(path, public_key, on_phase)
    if manifest is None:
        return report
    contest = str(manifest.get("contest", ""))
    on_phase("checking the bulk data and recounting it (the JSON trees are left out)")
    passed = check_listed(folder, manifest, report, with_index=False)
    check_key_files(folder, manifest, passed, report)
    election = _election(folder, passed, report)
    aggregates = _aggregates(folder, contest, passed, election, report)
    check_manifest_counts(folder, contest, manifest, aggregates, passed, report)
    check_diff(folder, contest, manifest, passed, aggregates is not None, report)
    on_phase("checking the change log")
    check_log(folder, manifest, form_fields(election), passed, report)
    files = manifest.get("index", {}).get("files")
    named = len(manifest.get("files", {}))
    listed, trees = (f"{files:,}", f"{files - named:,}") if type(files) is int else ("the", "")
    report.notes.append(BULK_ONLY_NOTE.format(files=listed, named=f"{named:,}", trees=trees))
    report.problems.sort(key=lambda p: (p.path, p.kind.value, p.detail))
    _nasional(report, aggregates, manifest)
    return report


def _nasional(
    report: RecountReport, aggregates: Aggregates | None, manifest: Mapping[str, Any]
) -> None:
    """The recounted totals of the root, and the scope they are of (a snapshot published
    with ``--scope`` sums only its regions under the nation's name)."""
    scope = manifest.get("scope")
    if isinstance(scope, list):
        report.scope = [str(code) for code in scope]
    if aggregates is not None:
        report.nasional = dict(zip(aggregates.names, aggregates.vector(""), strict=True))


def _renderer(
    aggregates: Aggregates | None, ids: Mapping[str, str], contest: str, manifest: Mapping[str, Any]
) -> Renderer | None:
    """What the region documents should read, byte for byte, when the recount has numbers."""
    if aggregates is None:
        return None
    scope = manifest.get("scope")
    scope = [str(code) for code in scope] if isinstance(scope, list) else []
    return Renderer(aggregates, ids, contest, str(manifest.get("created_at", "")), scope)


def _index_agrees(entries: list[Entry], manifest: dict[str, Any], report: RecountReport) -> None:
    """SHA256SUMS's lines for the files the manifest names give the manifest's SHA-256 (the
    recount checks those files against the manifest, so a wrong line would go unseen by it
    but not by ``sha256sum -c``)."""
    for path, entry in manifest.get("files", {}).items():
        at = bisect.bisect_left(entries, (path, ""))
        if at < len(entries) and entries[at][0] == path and entries[at][1] != entry["sha256"]:
            report.add(Kind.MANIFEST, INDEX, f"{path}: another SHA-256 than the manifest's")


def _failure_of(future: Future[None] | None) -> BaseException | None:
    """What the formats thread raised (it names what it cannot read itself), or None."""
    if future is None:
        return None
    try:
        future.result()
    except (duckdb.Error, ValueError, TypeError, KeyError, OSError) as error:
        return error
    return None


def _first(error: BaseException) -> str:
    return str(error).splitlines()[0] if str(error) else type(error).__name__


def _form(election: Any, tps_schema: list[Mapping[str, str]], deep: bool) -> tuple[str, ...]:
    """The form's numbers the bulk data holds as integers (names checked by
    ``form_fields`` and ``tps_columns``), for ``--deep``; none otherwise."""
    if not deep:
        return ()
    numbers = {c["name"] for c in tps_schema if c["type"] in ("int32", "int64")}
    return tuple(name for name in form_fields(election) if name in numbers)


def _election(folder: Path, passed: set[str], report: RecountReport) -> Any:
    """``election.json`` once it passed its check (read once: the recount, the documents and
    the change log use it), or None."""
    return _json(folder, ELECTION, report) if ELECTION in passed else None


def _aggregates(
    folder: Path,
    contest: str,
    passed: set[str],
    election: Any,
    report: RecountReport,
    deep: bool = False,
) -> Aggregates | None:
    """Every aggregate recomputed from the bulk data (and, with ``deep``, every TPS's numbers
    of the form kept as given, for its documents), or None when it cannot be."""
    parquet = bulk_tps(contest, "parquet")
    needed = (parquet, ELECTION, SCHEMA)
    if any(p not in passed for p in needed):
        report.add(
            Kind.BULK, parquet, "cannot recount: the bulk data or its schema failed its check"
        )
        return None
    schema = _json(folder, SCHEMA, report)
    if election is None or schema is None:
        return None
    fields, tps_schema = vote_fields(election), tps_columns(schema)
    if fields is None or tps_schema is None:
        odd = ELECTION if fields is None else SCHEMA
        report.add(Kind.BULK, odd, "cannot recount: not the documented shape (docs/open-data.md)")
        return None
    region_schema = table_columns(schema, "region")
    formats = [bulk_tps(contest, x) for x in ("csv.gz", "jsonl.gz")]
    compared = RecountReport(report.snapshot)
    # the formats are compared in a thread while this one recounts (DuckDB lets go of the
    # interpreter while it reads): with a core to spare, as with --bulk-only, in about half
    # the time
    failed: BaseException | None = None
    with ThreadPoolExecutor(1, "rekap-formats") as pool:
        formats_checked = (
            pool.submit(bulk_checks.check_formats, folder, contest, tps_schema, compared)
            if all(p in passed for p in formats)
            else None
        )
        try:
            bulk_checks.check_rows(folder, contest, fields, report, holds_missing_votes(election))
            names = {c["name"] for c in tps_schema}
            photos = deep and "photos" in names
            sources = photos and {"source_kind", "source_ref"} <= names
            form = _form(election, tps_schema, deep)
            unlisted = publishes_unlisted(region_schema)
            by_people = publishes_verified_by_people(region_schema)
            aggregates = recompute(
                folder / parquet, fields, form, photos, unlisted, sources, by_people
            )
            if not by_people:
                report.notes.append(NOT_BY_PEOPLE_NOTE)
        except (duckdb.Error, ValueError, TypeError, KeyError) as error:
            failed = error
        formats_failed = _failure_of(formats_checked)
    # merged once the thread is done (leaving the block waits for it)
    report.problems.extend(compared.problems)
    report.checked.update(compared.checked)
    if formats_failed is not None:
        report.add(Kind.BULK, formats[0], f"cannot compare the formats: {_first(formats_failed)}")
    if failed is not None:
        # a file that passed its hash but is not what the schema says (a publisher's bug)
        report.add(Kind.BULK, parquet, f"cannot recount: {_first(failed)}")
        return None
    report.checked["regions recomputed"] = len(aggregates.regions)
    bulk_checks.check_region_table(folder, contest, aggregates, report)
    if bulk_region(contest) in passed:
        check_tps_names(folder, contest, tps_schema, report)
    if bulk_region(contest, "csv.gz") in passed and bulk_region(contest) in passed:
        if region_schema is None:
            report.add(Kind.BULK, SCHEMA, "cannot compare the region table's formats: no columns")
        else:
            bulk_checks.check_region_formats(folder, contest, region_schema, report)
    return aggregates
