"""The README's first command, on one desa: every photo is uploaded, read and accounted for."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from rekap.adapters.storage.engine import open_engine
from rekap.adapters.storage.schema import form, photo
from rekap.cli.main import app

pytest.importorskip("rekap.reading.digits")


@pytest.mark.slow
def test_demo_accounts_for_every_photo(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = CliRunner().invoke(
        app, ["demo", "--region", "3310052013", "--workers", "1", "--out", str(out), "--no-serve"]
    )
    assert result.exit_code == 0, result.output
    assert "silent errors" in result.output
    assert "Recount agrees with the snapshot" in result.output
    engine = open_engine(f"sqlite:///{out / 'rekap.db'}")
    with engine.connect() as connection:
        states = [s for (s,) in connection.execute(select(photo.c.state))]
        forms = connection.execute(select(form.c.kode_tps, form.c.machine)).all()
        pages = {
            (kode, photo_id): page
            for photo_id, kode, page in connection.execute(
                select(photo.c.id, photo.c.kode_tps, photo.c.page)
            )
        }
    truth_lines = (out / "truth.jsonl").read_text().splitlines()
    assert len(states) == 3 * len(truth_lines)
    assert "received" not in states  # nothing left unprocessed
    assert len(forms) == len(truth_lines)
    for kode, machine in forms:  # each field as the form was assessed, and its photo
        assert machine
        for decided in machine.values():
            assert pages[(kode, decided["photo"])] == decided["page"]
            assert decided["status"] in ("read", "abstain")
    assert (
        CliRunner()
        .invoke(app, ["log", "verify", "--db", f"sqlite:///{out / 'rekap.db'}"])
        .exit_code
        == 0
    )
