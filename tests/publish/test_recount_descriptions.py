"""The recount holds what the trees say of each paslon and region to ``election.json``, the
codes and the region table: a community script maps each ``chart`` id to its paslon by
``pemilu/ppwp.json`` and walks the regions by the ``wilayah`` lists, and a reader goes by the
names, so a wrong paslon, ``id``, ``tingkat`` or ``nama`` misleads as much as a wrong number."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from rekap.adapters.keys import SigningKey
from rekap.recount.problems import Kind
from rekap.recount.run import recount
from tests.publish.conftest import Publisher, make_records
from tests.publish.test_recount import _reseal


@pytest.fixture
def snapshot(publish_small: Publisher) -> Path:
    return Path(publish_small(make_records(9)).location)


def _rewrite(folder: Path, signer: SigningKey, path: str, change: Callable[[Any], None]) -> None:
    document = json.loads((folder / path).read_text())
    change(document)
    (folder / path).write_text(json.dumps(document, ensure_ascii=False))
    _reseal(folder, signer, path)


def _swap_nomor_urut(document: dict[str, Any]) -> None:
    document["100025"]["nomor_urut"], document["100026"]["nomor_urut"] = 2, 1


PASLON_CHANGES: dict[str, Callable[[Any], None]] = {
    "two pairs' nomor_urut swapped": _swap_nomor_urut,
    "a pair left out": lambda d: d.pop("100027"),
    "a pair no election has": lambda d: d.update({"100099": {"nomor_urut": 4}}),
    "nomor_urut as text": lambda d: d["100025"].update(nomor_urut="1"),
    "not an object": lambda d: d.clear() or d.update({"100025": 1}),
}


@pytest.mark.parametrize("name", sorted(PASLON_CHANGES))
def test_a_signed_but_wrong_sirekap_paslon_file_is_named(
    snapshot: Path, signer: SigningKey, name: str
) -> None:
    _rewrite(snapshot, signer, "pemilu/ppwp.json", PASLON_CHANGES[name])
    report = recount(snapshot, workers=1)
    named = {(p.kind, p.path) for p in report.problems}
    assert named == {(Kind.MISMATCH, "pemilu/ppwp.json")}, [str(p) for p in report.problems]


def _desa_list(folder: Path) -> str:
    """A desa's list of TPS in the wilayah tree (the path, relative to the snapshot)."""
    found = next(p for p in (folder / "wilayah").rglob("*.json") if len(p.stem) == 10)
    return str(found.relative_to(folder))


def _first(change: Callable[[dict[str, Any]], None]) -> Callable[[list[dict[str, Any]]], None]:
    return lambda items: change(items[0])


WILAYAH_CHANGES: dict[str, tuple[Callable[[Path], str], Callable[[Any], None], str]] = {
    "a provinsi's tingkat": (
        lambda s: "wilayah/pemilu/ppwp/0.json",
        _first(lambda i: i.update(tingkat=2)),
        "tingkat 2",
    ),
    "a provinsi's id": (
        lambda s: "wilayah/pemilu/ppwp/0.json",
        _first(lambda i: i.update(id=i["id"] + 1)),
        "id ",
    ),
    "a provinsi's id as text": (
        lambda s: "wilayah/pemilu/ppwp/0.json",
        _first(lambda i: i.update(id=str(i["id"]))),
        "id '",
    ),
    "a provinsi's tingkat as a fraction (equal as a number)": (
        lambda s: "wilayah/pemilu/ppwp/0.json",
        _first(lambda i: i.update(tingkat=float(i["tingkat"]))),
        "tingkat 1.0",
    ),
    "a provinsi's name": (
        lambda s: "wilayah/pemilu/ppwp/0.json",
        _first(lambda i: i.update(nama="NEGERI ANTAH")),
        "nama 'NEGERI ANTAH'",
    ),
    "a TPS's name": (_desa_list, _first(lambda i: i.update(nama="TPS 999")), "nama 'TPS 999'"),
    "a TPS's id": (_desa_list, _first(lambda i: i.update(id=1)), "id 1"),
}


@pytest.mark.parametrize("name", sorted(WILAYAH_CHANGES))
def test_a_signed_but_wrong_wilayah_entry_is_named(
    snapshot: Path, signer: SigningKey, name: str
) -> None:
    where, change, said = WILAYAH_CHANGES[name]
    path = where(snapshot)
    _rewrite(snapshot, signer, path, change)
    report = recount(snapshot, workers=1)
    assert [(p.kind, p.path) for p in report.problems] == [(Kind.MISMATCH, path)]
    assert said in report.problems[0].detail


def test_a_fresh_snapshots_sirekap_descriptions_agree(snapshot: Path) -> None:
    report = recount(snapshot, workers=1, deep=True)
    assert report.ok, [str(p) for p in report.problems]


def _rename_child(document: dict[str, Any]) -> None:
    document["children"][0]["nama"] = "NEGERI ANTAH"


REKAP_CHANGES: dict[str, Callable[[Any], None]] = {
    "its own name": lambda d: d.update(nama="NEGERI ANTAH"),
    "a child's name": _rename_child,
}


@pytest.mark.parametrize("name", sorted(REKAP_CHANGES))
def test_a_signed_but_wrong_name_in_a_rekap_region_file_is_named(
    snapshot: Path, signer: SigningKey, name: str
) -> None:
    path = "rekap/ppwp/11.json"
    _rewrite(snapshot, signer, path, REKAP_CHANGES[name])
    report = recount(snapshot, workers=1)
    assert [(p.kind, p.path) for p in report.problems] == [(Kind.MISMATCH, path)]
    assert "nama 'NEGERI ANTAH'" in report.problems[0].detail
