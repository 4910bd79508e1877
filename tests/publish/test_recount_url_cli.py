"""`rekap recount URL` end to end: its report and exit status, never a traceback, and no
database, web or reading library loaded on the way."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rekap.cli.main import app
from tests.publish.conftest import Publisher, make_records
from tests.publish.loaded_modules import HEAVY, loaded_after
from tests.publish.static_server import Served, serve

runner = CliRunner()
WIDE = {"COLUMNS": "300"}


@pytest.fixture
def served(publish_small: Publisher) -> Iterator[tuple[Served, Path]]:
    snapshot = Path(publish_small(make_records(5)).location)
    with serve(snapshot.parent) as server:
        yield server, snapshot


def test_a_fresh_snapshot_agrees_and_a_tampered_one_fails(
    served: tuple[Served, Path],
) -> None:
    server, snapshot = served
    agreed = runner.invoke(app, ["recount", server.url, "--workers", "1"], env=WIDE)
    assert agreed.exit_code == 0, agreed.output
    # Rich wraps long lines at the console's width, which another test may have fixed first
    assert f"from{server.url}{snapshot.name}/" in "".join(agreed.output.split())
    assert "Recount agrees with the snapshot" in agreed.output
    assert "Fetched " in agreed.output
    assert "Signedbykey" in "".join(agreed.output.split())  # the signer, over HTTP too
    (snapshot / "rekap/ppwp/11.json").write_text("{}")
    (snapshot / "data/region-ppwp.csv.gz").unlink()
    failed = runner.invoke(app, ["recount", server.url, "--workers", "1"], env=WIDE)
    assert failed.exit_code == 1, failed.output
    flat = "".join(failed.output.split())
    assert f"missingfile{server.url}{snapshot.name}/data/region-ppwp.csv.gz" in flat
    assert f"corruptedfile{server.url}{snapshot.name}/rekap/ppwp/11.json" in flat
    assert "Traceback" not in failed.output


def test_an_address_that_does_not_answer_exits_2(tmp_path: Path) -> None:
    with serve(tmp_path) as server:
        gone = server.url
    result = runner.invoke(app, ["recount", gone, "--workers", "1"], env=WIDE)
    assert result.exit_code == 2
    assert f"{gone}doesnotanswer(Connectionrefused" in "".join(result.output.split())
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_recount_of_an_address_loads_no_database_web_or_reading_library(
    served: tuple[Served, Path],
) -> None:
    server, _ = served
    loaded = loaded_after(["recount", server.url, "--workers", "1"], exit_codes=(0,))
    assert not loaded & set(HEAVY)
