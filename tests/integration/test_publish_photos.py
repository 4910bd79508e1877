"""`rekap publish` ends a photo's life: the photos whose numbers the snapshot released move to
`published` (one event each, the tally's coverage with them), on SQLite and PostgreSQL; a photo
still waiting for verification stays where it is, and a second snapshot moves nothing twice."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from rekap.adapters.storage.engine import open_engine
from rekap.adapters.storage.event_store import EventLog
from rekap.adapters.storage.migrate import upgrade
from rekap.adapters.storage.schema import photo
from rekap.cli.main import app
from rekap.events.chain import verify_chain
from rekap.tally.stage import TpsStage
from tests.integration.test_live_tally import DESA, assert_in_step, capture, desa

AT = datetime(2024, 2, 14, 14, 0, tzinfo=UTC)
runner = CliRunner()


def states(database_url: str) -> dict[str, list[str]]:
    engine = open_engine(database_url)
    with engine.connect() as connection:
        rows = connection.execute(select(photo.c.kode_tps, photo.c.state).order_by(photo.c.id))
        found: dict[str, list[str]] = {}
        for kode, state in rows:
            found.setdefault(str(kode), []).append(str(state))
    engine.dispose()
    return found


def test_publish_moves_released_photos_to_published(database_url: str, tmp_path: Path) -> None:
    engine = open_engine(database_url)
    upgrade(engine)
    flow = capture(engine, tmp_path)
    clean, unsure = flow.clean, flow.unsure
    flow.receive_all()
    flow.read_all()
    engine.dispose()
    before = states(database_url)
    assert before[clean.kode.value] == ["accepted"] * 3
    assert set(before[unsure.kode.value]) == {"needs_verification"}

    db = ["--db", database_url]
    out = ["--out", str(tmp_path / "snapshots"), "--key", str(tmp_path / "s.pem")]
    at = ["--at", "2024-02-20T06:00:00+00:00", "--scope", DESA[:6], "--workers", "1"]
    published = runner.invoke(app, ["publish", *out, *at, *db])
    assert published.exit_code == 0, published.output
    assert "3 photos moved to published" in published.output
    after = states(database_url)
    assert after[clean.kode.value] == ["published"] * 3
    assert after[unsure.kode.value] == before[unsure.kode.value]

    engine = open_engine(database_url)
    moves = [r for r in EventLog(engine).records() if r.kind == "photo.state_changed"]
    last = [r.payload for r in moves if r.payload["after"] == "published"]
    assert [(p["kode_tps"], p["before"]) for p in last] == [(clean.kode.value, "accepted")] * 3
    assert {r.actor for r in moves if r.payload["after"] == "published"} == {"rekap publish"}
    assert verify_chain(EventLog(engine).records()).ok
    store = assert_in_step(engine)
    assert desa(store).coverage.published == 1
    # The snapshot's records hold both TPS: the unsure one without numbers, for coverage.
    records = {r.kode_tps: r for r in store.records()}
    assert set(records) == {clean.kode.value, unsure.kode.value}
    assert records[clean.kode.value].state.has_values
    waiting = records[unsure.kode.value].state
    assert not waiting.has_values and waiting.stage is TpsStage.READ
    engine.dispose()

    again = ["--at", "2024-02-20T07:00:00+00:00", "--scope", DESA[:6], "--workers", "1"]
    second = runner.invoke(app, ["publish", *out, *again, *db])
    assert second.exit_code == 0, second.output
    assert "moved to published" not in second.output
    assert states(database_url) == after
