"""The change log from a real store (SQLite and PostgreSQL) into the snapshot: a number changed
without its event fails the recount, and a change that lands while the results are read is
never published half (the numbers of one moment, the head of another)."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, update
from typer.testing import CliRunner

from rekap.adapters.storage.engine import open_engine
from rekap.adapters.storage.event_store import EventLog
from rekap.adapters.storage.forms import publish_values
from rekap.adapters.storage.schema import tps_result
from rekap.adapters.storage.tally_store import TallyStore
from rekap.cli import publish as publish_cli
from rekap.cli.main import app
from rekap.events.model import Event, VerificationClosed
from rekap.publish.records import TpsRecord
from rekap.recount.problems import Kind
from rekap.recount.run import recount

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sirekap-raw-sample"
runner = CliRunner()
pytestmark = pytest.mark.usefixtures("publishing_in_2100")


def _imported(database_url: str) -> Engine:
    zipped = str(SAMPLE / "sample_tingkat6_tps.zip")
    done = runner.invoke(app, ["import", "sirekap", zipped, "--db", database_url])
    assert done.exit_code == 0, done.output
    return open_engine(database_url)


def _publish(
    database_url: str, out: Path, at: str = "2099-02-20T06:00:00+00:00", *more: str
) -> Path:
    args = ["--out", str(out), "--scope", "3101", "--key", str(out.parent / "key.pem"), *more]
    done = runner.invoke(
        app, ["publish", *args, "--workers", "1", "--at", at, "--db", database_url]
    )
    assert done.exit_code == 0, done.output
    return out / (out / "latest").read_text().strip()


def _first_result(engine: Engine) -> tuple[str, dict[str, int]]:
    query = select(tps_result.c.kode_tps, tps_result.c.fields).where(tps_result.c.contest == "ppwp")
    with engine.connect() as connection:
        kode, fields = connection.execute(query.order_by(tps_result.c.kode_tps).limit(1)).one()
    return str(kode), dict(fields)


def test_a_snapshot_carries_the_stores_log(database_url: str, tmp_path: Path) -> None:
    engine = _imported(database_url)
    events = list(EventLog(engine).records())
    folder = _publish(database_url, tmp_path / "out")  # and logs snapshot.published after
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["log_head"] == {"sequence": len(events), "hash": events[-1].hash}
    report = recount(folder, workers=1)
    assert report.ok, [str(p) for p in report.problems]
    assert report.checked["log events verified"] == len(events)
    assert report.checked["TPS compared with the log"] > 0
    assert report.checked["TPS sources compared with the log"] > 0
    engine.dispose()


def test_a_number_changed_without_its_event_fails_the_recount(
    database_url: str, tmp_path: Path
) -> None:
    engine = _imported(database_url)
    kode, fields = _first_result(engine)
    logged = fields["paslon_2"]
    with engine.begin() as connection:  # behind the log's back
        connection.execute(
            update(tps_result)
            .where(tps_result.c.kode_tps == kode, tps_result.c.contest == "ppwp")
            .values(fields={**fields, "paslon_2": logged + 8})
        )
    folder = _publish(database_url, tmp_path / "out")
    problems = [(p.kind, p.path, p.detail) for p in recount(folder, workers=1).problems]
    assert (
        Kind.UNLOGGED,
        "data/tps-ppwp.parquet",
        f"TPS {kode} paslon_2: bulk data says {logged + 8}, the log says {logged}",
    ) in problems
    assert {k for k, _, _ in problems} <= {Kind.UNLOGGED, Kind.IDENTITY}
    engine.dispose()


def test_a_source_or_photo_changed_without_its_event_fails_the_recount(
    database_url: str, tmp_path: Path
) -> None:
    engine = _imported(database_url)
    kode, _ = _first_result(engine)
    query = select(tps_result.c.source_ref, tps_result.c.photos).where(
        tps_result.c.kode_tps == kode, tps_result.c.contest == "ppwp"
    )
    with engine.begin() as connection:  # behind the log's back
        row, photos = connection.execute(query).one()
        assert photos, "the sample's results carry photos"
        connection.execute(
            update(tps_result)
            .where(tps_result.c.kode_tps == kode, tps_result.c.contest == "ppwp")
            .values(source_ref="other.json", photos=["https://example.org/swapped.jpg"])
        )
    folder = _publish(database_url, tmp_path / "out")
    problems = [(p.kind, p.path, p.detail) for p in recount(folder, workers=1).problems]
    parquet = "data/tps-ppwp.parquet"
    expected = [
        f"TPS {kode} source_ref: bulk data says 'other.json', the log says {row!r}",
        f"TPS {kode} photo of page 1: bulk data says 'https://example.org/swapped.jpg', "
        f"the log says {photos[0]!r}",
    ]
    expected += [
        f"TPS {kode} photo of page {page}: bulk data says nothing, the log says {photo!r}"
        for page, photo in enumerate(photos[1:], 2)
        if photo
    ]
    assert problems == [(Kind.SOURCE, parquet, detail) for detail in expected]
    engine.dispose()


def _logged_change(engine: Engine, kode: str, values: dict[str, int], task: int) -> None:
    """People's entry of ``values``, as verification task ``task`` writes it when it closes:
    the task closed, and the result entered in it (``rekap.adapters.storage.verification``)."""
    with engine.begin() as connection:
        events: list[Event] = [VerificationClosed(kode, task, "verified", values, "ppwp")]
        events += publish_values(
            connection,
            kode,
            "ppwp",
            "tps",
            values,
            "entry",
            f"task {task}",
            (),
            refresh_tally=False,
        )
        at = datetime(2024, 2, 20, 5, 0, tzinfo=UTC)
        EventLog(engine).append(connection, events, at, "verifier", "a change while publishing")


@pytest.mark.parametrize("moves", [1, publish_cli.READ_ATTEMPTS])
def test_a_change_during_the_read_is_never_published_half(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, moves: int
) -> None:
    """Each of the first ``moves`` reads of the results is followed by a logged change, as a
    verifier's would be: the publication reads again until the log stands still (PostgreSQL,
    after its attempts, holding the log's writer lock), so its numbers are its head's."""
    engine = _imported(database_url)
    kode, fields = _first_result(engine)
    read = TallyStore.records
    calls: list[int] = []

    def read_then_change(self: TallyStore) -> list[TpsRecord]:
        found = read(self)
        calls.append(len(calls) + 1)
        if len(calls) <= moves:
            change = {**fields, "dpt_j": fields["dpt_j"] + len(calls)}
            _logged_change(engine, kode, change, task=len(calls))
        return found

    monkeypatch.setattr(TallyStore, "records", read_then_change)
    out = tmp_path / "out"
    args = ["--out", str(out), "--scope", "3101", "--key", str(tmp_path / "key.pem")]
    done = runner.invoke(app, ["publish", *args, "--workers", "1", "--db", database_url])
    if moves == publish_cli.READ_ATTEMPTS and engine.dialect.name == "sqlite":
        assert done.exit_code == 1
        assert "moved each of the" in done.output
        assert not out.exists() or not (out / "latest").exists()
        return
    assert done.exit_code == 0, done.output
    assert len(calls) == moves + 1
    folder = out / (out / "latest").read_text().strip()
    report = recount(folder, workers=1)
    assert report.ok, [str(p) for p in report.problems]
    bulk = folder / "data" / "tps-ppwp.jsonl.gz"
    rows = [json.loads(line) for line in gzip.decompress(bulk.read_bytes()).splitlines()]
    assert next(r for r in rows if r["kode_tps"] == kode)["dpt_j"] == fields["dpt_j"] + moves
    engine.dispose()
