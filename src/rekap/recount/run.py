"""The recount, start to end: signature, listed files, bulk data, aggregates, the change log,
every file."""

from __future__ import annotations

import gc
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rekap.recount import bulk_checks
from rekap.recount.aggregate import Aggregates, columns, recompute
from rekap.recount.files import Part, Pass, PassContext, find_unlisted, parse_index
from rekap.recount.layout import ELECTION, INDEX, SCHEMA, TOTALS, bulk_tps, locate
from rekap.recount.log_checks import check_log
from rekap.recount.problems import Kind, RecountReport
from rekap.recount.signature import check_listed, check_manifest, load_pinned_key


def _json(folder: Path, relative: str, report: RecountReport) -> Any:
    try:
        return json.loads((folder / relative).read_bytes())
    except (OSError, ValueError) as error:
        report.add(Kind.CORRUPTED, relative, f"unreadable: {error}")
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
) -> RecountReport:
    """Check a snapshot folder (or the one its ``latest`` names); problems are in the report.
    ``on_phase`` is told, in a few words, what the recount starts doing next (a national
    recount takes a while; it is called from this process only, never from a worker).

    The cycle collector is off meanwhile: the recount makes millions of objects (the index,
    the TPS rows, the parsed documents) and no cycles worth collecting."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _recount(path, public_key, workers, deep, on_phase)
    finally:
        if was_enabled:
            gc.enable()


def _recount(
    path: Path, public_key: Path | None, workers: int, deep: bool, on_phase: Phase
) -> RecountReport:
    folder = locate(path)
    report = RecountReport(str(folder))
    pinned = load_pinned_key(public_key) if public_key is not None else None
    on_phase("checking the manifest's signature")
    manifest = check_manifest(folder, report, pinned)
    if manifest is None:
        return report
    contest = str(manifest.get("contest", ""))
    entries, problems = (
        parse_index((folder / INDEX).read_bytes()) if (folder / INDEX).is_file() else ([], [])
    )
    report.problems.extend(problems)
    # the files the manifest names (with their size and hash) are checked against it here;
    # the workers read them but do not hash them again
    skip = frozenset(manifest.get("files", {}))
    on_phase(
        f"hashing the {len(entries):,} listed files ({workers} worker"
        f"{'s' if workers > 1 else ''}), the documents among them as they are compared next, "
        "while the bulk data is checked and recounted"
    )
    # every file but the documents to compare is read and hashed in worker processes while
    # this one checks the manifest's files and recomputes the aggregates; then the documents
    # are read and compared
    files = Pass(PassContext(folder, contest, entries, None, {}, skip, deep), workers, Part.FILES)
    try:
        passed = check_listed(folder, manifest, report)
        aggregates = _aggregates(folder, contest, passed, report)
    except BaseException:
        files.cancel()
        raise
    expected_files = manifest.get("index", {}).get("files")
    if expected_files != len(entries):
        report.add(
            Kind.MANIFEST, INDEX, f"{len(entries)} entries, the manifest says {expected_files}"
        )
    election = _json(folder, ELECTION, report) if ELECTION in passed else None
    ids = {
        str(e["field"]): str(e["sirekap_id"])
        for e in (election or {}).get("entries", [])
        if e.get("sirekap_id")
    }
    context = PassContext(folder, contest, entries, aggregates, ids, skip, deep)
    on_phase("comparing every published document with the recount, checking the change log")
    documents = Pass(context, workers, Part.DOCUMENTS)
    try:  # the change log is checked here while the workers read the documents
        check_log(folder, manifest, _form_fields(election), passed, report)
    except BaseException:
        documents.cancel()
        files.cancel()
        raise
    found, counts = documents.result()
    hashed, hashed_counts = files.result()
    found += hashed
    found += find_unlisted(files, documents)
    counts.update(hashed_counts)
    found.sort(key=lambda p: (p.path, p.kind.value, p.detail))
    report.problems.extend(found)
    report.checked.update(counts)
    if aggregates is not None:
        report.nasional = dict(zip(columns(aggregates.fields), aggregates.vector(""), strict=True))
    return report


def _form_fields(election: Any) -> tuple[str, ...]:
    """Every number of the form (``election.json`` ``fields``), or at least the votes."""
    if not isinstance(election, dict):
        return TOTALS
    listed = tuple(str(f["id"]) for f in election.get("fields", []))
    return listed or (*(str(e["field"]) for e in election.get("entries", [])), *TOTALS)


def _aggregates(
    folder: Path, contest: str, passed: set[str], report: RecountReport
) -> Aggregates | None:
    parquet = bulk_tps(contest, "parquet")
    needed = (parquet, ELECTION, SCHEMA)
    if any(p not in passed for p in needed):
        report.add(
            Kind.BULK, parquet, "cannot recount: the bulk data or its schema failed its check"
        )
        return None
    election = _json(folder, ELECTION, report)
    schema = _json(folder, SCHEMA, report)
    if election is None or schema is None:
        return None
    fields = (*(str(e["field"]) for e in election.get("entries", [])), *TOTALS)
    bulk_checks.check_rows(folder, contest, fields, report)
    formats = [bulk_tps(contest, x) for x in ("csv.gz", "jsonl.gz")]
    if all(p in passed for p in formats):
        bulk_checks.check_formats(folder, contest, schema["tps"], report)
    aggregates = recompute(folder / parquet, fields)
    report.checked["regions recomputed"] = len(aggregates.regions)
    bulk_checks.check_region_table(folder, contest, aggregates, report)
    return aggregates
