"""A snapshot of a store captured through rekap's own workflow (``rekap demo`` on one desa:
photos uploaded, read by the reader, published) agrees with its change log, photos and
sources included (each page's photo the one the store chose, replayed from the photos' ids);
one whose photos were changed in the store behind the log's back, then published and signed
by the publisher, fails naming the TPS and the page."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from rekap.adapters.storage.engine import open_engine
from rekap.adapters.storage.schema import tps_result
from rekap.cli.main import app
from rekap.recount.problems import Kind
from rekap.recount.run import recount

pytest.importorskip("rekap.reading.digits")
pytestmark = pytest.mark.slow
DESA = "3310052013"
runner = CliRunner()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("captured") / "demo"
    args = ["demo", "--region", DESA, "--workers", "1", "--out", str(out), "--no-serve"]
    done = runner.invoke(app, args)
    assert done.exit_code == 0, done.output
    return out


def _latest(snapshots: Path) -> Path:
    return snapshots / (snapshots / "latest").read_text().strip()


def test_the_captured_snapshot_agrees_with_its_log(demo: Path) -> None:
    report = recount(_latest(demo / "snapshots"), workers=1)
    assert report.ok, [str(p) for p in report.problems]
    assert report.checked["captured TPS compared with the log"] > 0
    # the log names each photo by its id: the store's choice of each page's photo replayed
    assert not [n for n in report.notes if "photo.state_changed" in n], report.notes


def test_photos_swapped_behind_the_logs_back_are_named(
    demo: Path, tmp_path: Path, publishing_in_2100: object
) -> None:
    store = tmp_path / "store"
    shutil.copytree(demo, store, ignore=shutil.ignore_patterns("snapshots", "photos"))
    url = f"sqlite:///{store / 'rekap.db'}"
    engine = open_engine(url)
    query = select(tps_result.c.kode_tps, tps_result.c.photos).where(
        tps_result.c.contest == "ppwp", tps_result.c.source_kind == "photo"
    )
    with engine.begin() as connection:
        (kode, mine), (_, theirs) = connection.execute(query.order_by("kode_tps").limit(2))
        swapped = [mine[2], theirs[1], mine[2]]  # another page's photo, another TPS's
        connection.execute(
            update(tps_result)
            .where(tps_result.c.kode_tps == kode, tps_result.c.contest == "ppwp")
            .values(photos=swapped)
        )
    engine.dispose()
    out = tmp_path / "out"
    args = ["--out", str(out), "--key", str(store / "snapshot-ed25519.pem"), "--workers", "1"]
    done = runner.invoke(app, ["publish", *args, "--db", url])
    assert done.exit_code == 0, done.output
    problems = [(p.kind, p.path, p.detail) for p in recount(_latest(out), workers=1).problems]
    assert problems == [
        (
            Kind.SOURCE,
            "data/tps-ppwp.parquet",
            f"TPS {kode} photo of page {page}: bulk data says {sha!r}, "
            "the log received no such photo of that page",
        )
        for page, sha in ((1, mine[2]), (2, theirs[1]))
    ]
