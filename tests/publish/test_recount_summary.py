"""The recount's report in plain English: how many problems of each kind, and whose totals
it recounted."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from rekap.adapters.keys import SigningKey
from rekap.adapters.snapshot_dir import DirectorySnapshotStore
from rekap.cli.main import app
from rekap.publish.snapshot import publish_snapshot
from rekap.recount.problems import Kind, Problem, RecountReport
from rekap.recount.run import recount
from tests.publish.conftest import AT, make_records, request_for


def test_a_count_above_one_names_the_kind_in_the_plural() -> None:
    report = RecountReport(
        "snap",
        [
            Problem(Kind.CORRUPTED, "a.json", "SHA-256 differs"),
            Problem(Kind.MISSING, "b.json", "absent"),
            Problem(Kind.MISSING, "c.json", "absent"),
            Problem(Kind.UNLOGGED, "data/tps-ppwp.parquet", "paslon_1"),
            Problem(Kind.UNLOGGED, "data/tps-ppwp.parquet", "paslon_2"),
        ],
    )
    expected = "1 corrupted file, 2 missing files, 2 values differ from the log"
    assert report.summary() == expected


def test_every_kind_has_its_own_plural_and_counts_with_separators() -> None:
    for kind in Kind:
        assert kind.counted(1) == f"1 {kind.value}"
        assert kind.plural != kind.value
        assert kind.counted(1234) == f"1,234 {kind.plural}"


@pytest.mark.parametrize(
    ("scope", "root"), [((), "Nasional"), (("1101",), "Scope 1101 only")], ids=["nation", "scope"]
)
@pytest.mark.parametrize("bulk_only", [False, True], ids=["full", "bulk-only"])
def test_the_recounted_totals_say_whose_they_are(
    tmp_path: Path, signer: SigningKey, scope: tuple[str, ...], root: str, bulk_only: bool
) -> None:
    """A snapshot published with --scope sums only its regions under the nation's name: the
    recount says so rather than calling them the nation's."""
    store = DirectorySnapshotStore(tmp_path / "out")
    published = publish_snapshot(request_for(make_records(9), AT, scope), store, signer)
    report = recount(Path(published.location), workers=1, bulk_only=bulk_only)
    assert report.ok and report.scope == list(scope)
    flags = ["--bulk-only"] if bulk_only else []
    result = CliRunner().invoke(app, ["recount", published.location, *flags, "--workers", "1"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if ", recounted: " in line]
    assert len(lines) == 1 and lines[0].startswith(f"{root}, recounted: tps_expected ")
