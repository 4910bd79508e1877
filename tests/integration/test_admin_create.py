"""`rekap admin create` refuses a scope that names no region of the 2024 tree, as the API's
enrolment does: an officer of a TPS that is not there could upload nothing."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from rekap.cli.main import app

runner = CliRunner()


@pytest.mark.parametrize(
    ("role", "scope", "said"),
    [
        ("officer", "7471011001001", "no region 7471011001001 in the 2024 region tree"),
        ("verifier", "7499", "no region 7499 in the 2024 region tree"),
        ("verifier", "74x", "is not a kode wilayah"),
    ],
)
def test_a_scope_outside_the_region_tree_is_refused(
    database_url: str, role: str, scope: str, said: str
) -> None:
    arguments = ["admin", "create", "KPPS", "--role", role, "--scope", scope]
    done = runner.invoke(app, [*arguments, "--db", database_url], env={"COLUMNS": "200"})
    assert done.exit_code == 2, done.output
    assert said in done.output and "token" not in done.output


def test_a_tps_of_the_tree_is_enrolled(database_url: str) -> None:
    arguments = ["admin", "create", "KPPS", "--role", "officer", "--scope", "7471011007001"]
    done = runner.invoke(app, [*arguments, "--db", database_url])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["role"] == "officer"
