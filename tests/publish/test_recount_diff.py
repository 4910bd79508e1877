"""The recount holds the diff to itself, the manifest and the bulk data: a summary that
counts other changes than it lists, or a change that ends at another value than the one
published, would let a public number change silently."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from rekap.adapters.keys import SigningKey
from rekap.adapters.snapshot_dir import DirectorySnapshotStore
from rekap.publish.snapshot import publish_snapshot
from rekap.recount import diff_checks
from rekap.recount.problems import Kind
from rekap.recount.run import recount
from tests.publish.conftest import AT, make_records, request_for
from tests.publish.test_recount import _reseal

LINES = "diff/tps-ppwp.jsonl.gz"
SUMMARY = "diff/summary.json"


def _publish(
    out: Path, signer: SigningKey, seed: int, hours: int, scope: tuple[str, ...] = ()
) -> Path:
    store = DirectorySnapshotStore(out)
    request = replace(
        request_for(make_records(seed), AT + timedelta(hours=hours), scope),
        previous=store.previous("ppwp"),
    )
    return Path(publish_snapshot(request, store, signer).location)


@pytest.fixture
def second(tmp_path: Path, signer: SigningKey) -> Path:
    """A snapshot after another one, with other results: changes, additions, removals."""
    _publish(tmp_path / "out", signer, 9, 0)
    return _publish(tmp_path / "out", signer, 10, 1)


def _changes(folder: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in gzip.open(folder / LINES)]


def _write_changes(folder: Path, changes: list[dict[str, Any]]) -> None:
    text = "".join(json.dumps(c, separators=(",", ":")) + "\n" for c in changes)
    (folder / LINES).write_bytes(gzip.compress(text.encode(), mtime=0))


def test_diffs_of_every_kind_recount_clean(tmp_path: Path, signer: SigningKey) -> None:
    out = tmp_path / "out"
    folders = [
        _publish(out, signer, 9, 0),  # the first: every row added, nothing listed
        _publish(out, signer, 10, 1),  # results changed, added, removed
        _publish(out, signer, 10, 2, ("11",)),  # another scope: rows removed by it
        _publish(out, signer, 10, 3),  # and back: rows added by it
    ]
    kinds = {c["change"] for folder in folders for c in _changes(folder)}
    assert kinds == {"added", "removed", "changed"}
    for folder in folders:
        report = recount(folder, workers=1)
        assert report.ok, [str(p) for p in report.problems]
        assert recount(folder, workers=1, bulk_only=True).ok


def _summary_edit(change: Callable[[dict[str, Any]], None]) -> Callable[[Path], str]:
    def edit(folder: Path) -> str:
        summary = json.loads((folder / SUMMARY).read_text())
        change(summary)
        (folder / SUMMARY).write_text(json.dumps(summary))
        return SUMMARY

    return edit


def _lines_edit(change: Callable[[list[dict[str, Any]]], None]) -> Callable[[Path], str]:
    def edit(folder: Path) -> str:
        changes = _changes(folder)
        change(changes)
        _write_changes(folder, changes)
        return LINES

    return edit


def _first_changed(changes: list[dict[str, Any]]) -> dict[str, Any]:
    return next(c for c in changes if c["change"] == "changed")


def _other_end(changes: list[dict[str, Any]]) -> None:
    fields = _first_changed(changes)["fields"]
    name = next(iter(fields))
    before, after = fields[name]
    fields[name] = [before, (after + 1) if isinstance(after, int) else 7]


EDITS: dict[str, Callable[[Path], str]] = {
    "a change count": _summary_edit(lambda s: s["tps"].update(changed=s["tps"]["changed"] - 1)),
    "an unchanged count": _summary_edit(lambda s: s["tps"].update(unchanged=0)),
    "fields changed": _summary_edit(lambda s: s["fields_changed"].clear()),
    "the previous snapshot": _summary_edit(lambda s: s["previous"].update(snapshot_id="x")),
    "the scope": _summary_edit(lambda s: s.update(scope=["11"])),
    "a change left out": _lines_edit(lambda c: c.remove(_first_changed(c))),
    "a change that ends elsewhere": _lines_edit(_other_end),
    "a removed TPS that is there": _lines_edit(
        lambda c: c.append({"kode_tps": _first_changed(c)["kode_tps"], "change": "removed"})
    ),
}


@pytest.mark.parametrize("name", sorted(EDITS))
def test_a_signed_but_wrong_diff_is_named(second: Path, signer: SigningKey, name: str) -> None:
    changed = EDITS[name](second)
    _reseal(second, signer, changed)
    for bulk_only in (False, True):
        problems = recount(second, workers=1, bulk_only=bulk_only).problems
        assert problems, name
        assert {p.kind for p in problems} == {Kind.BULK}, [str(p) for p in problems]
        assert {p.path for p in problems} <= {SUMMARY, LINES}


def test_a_first_snapshot_that_lists_changes_is_named(tmp_path: Path, signer: SigningKey) -> None:
    first = _publish(tmp_path / "out", signer, 9, 0)
    _write_changes(first, [{"kode_tps": "1101012001001", "change": "changed", "fields": {}}])
    _reseal(first, signer, LINES)
    details = [p.detail for p in recount(first, workers=1).problems]
    assert details == ["1 changes listed for a first snapshot"]


ODD: dict[str, Callable[[Path], str]] = {
    "fields_changed as a list": _summary_edit(lambda s: s.update(fields_changed=[1, 2])),
    "a summary that is a list": lambda f: (f / SUMMARY).write_text("[]") and SUMMARY,
    "a line nested beyond reason": lambda f: (
        (f / LINES).write_bytes(gzip.compress(b"[" * 100_000 + b"\n", mtime=0)) and LINES
    ),
    "a line that is not JSON": lambda f: (
        (f / LINES).write_bytes(gzip.compress(b"{kode\n", mtime=0)) and LINES
    ),
}


@pytest.mark.parametrize("name", sorted(ODD))
def test_a_diff_of_another_shape_is_named_not_a_crash(
    second: Path, signer: SigningKey, name: str
) -> None:
    _reseal(second, signer, ODD[name](second))
    problems = recount(second, workers=1).problems
    assert problems and {p.kind for p in problems} == {Kind.BULK}, [str(p) for p in problems]


def test_a_diff_read_a_few_changes_at_a_time_gives_the_same_answers(
    second: Path, signer: SigningKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(diff_checks, "CHUNK", 2)
    assert len(_changes(second)) > 4
    assert recount(second, workers=1).ok
    _reseal(second, signer, EDITS["a change that ends elsewhere"](second))
    details = [p.detail for p in recount(second, workers=1).problems]
    assert len(details) == 1 and "the diff says it is now" in details[0]
