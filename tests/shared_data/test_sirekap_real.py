"""Real rows of Sirekap's published 2024 data that break each identity, read at test time.

The test finds the rows by its own arithmetic on the raw columns, then checks that rekap
flags each with the right rule. Skipped cleanly when ../shared is absent.
"""

from __future__ import annotations

import csv
import gzip
from collections.abc import Callable
from pathlib import Path

import pytest

from rekap.data import election_2024, region_tree
from rekap.domain.form import c_hasil_ppwp
from rekap.rules.registry import check_tps
from rekap.sources.sirekap import ImportedTps, SirekapParser, SourceRecord

NATIONAL = "data/sirekap-2024/sirekap-ppwp-tps-2024-gigit-36prov.csv.gz"
Row = dict[str, str]


def n(row: Row, column: str) -> int:
    return int(row[column])


IDENTITIES: dict[str, Callable[[Row], bool]] = {
    "F-SUM-SAH": lambda r: (
        n(r, "paslon_01") + n(r, "paslon_02") + n(r, "paslon_03") != n(r, "suara_sah")
    ),
    "F-SUM-TOTAL": lambda r: n(r, "suara_sah") + n(r, "suara_tidak_sah") != n(r, "suara_total"),
    "F-PENGGUNA-SUM": lambda r: (
        n(r, "pengguna_dpt_j") + n(r, "pengguna_dptb_j") + n(r, "pengguna_dpk_j")
        != n(r, "pengguna_total_j")
    ),
    "F-GENDER-SUM": lambda r: n(r, "dpt_l") + n(r, "dpt_p") != n(r, "dpt_j"),
    "F-SUARA-PENGGUNA": lambda r: n(r, "suara_total") > n(r, "pengguna_total_j"),
    "F-RANGE": lambda r: n(r, "suara_total") > 999,
}
EXAMPLES_PER_RULE = 3


@pytest.fixture(scope="module")
def breaking_rows(shared_dir: Path) -> dict[str, list[Row]]:
    found: dict[str, list[Row]] = {rule: [] for rule in IDENTITIES}
    with gzip.open(shared_dir / NATIONAL, "rt", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            try:
                for rule, breaks in IDENTITIES.items():
                    if len(found[rule]) < EXAMPLES_PER_RULE and breaks(row):
                        found[rule].append(row)
            except ValueError:
                continue  # an empty cell: not an example of arithmetic
            if all(len(rows) == EXAMPLES_PER_RULE for rows in found.values()):
                break
    return found


@pytest.mark.shared
@pytest.mark.parametrize("rule", sorted(IDENTITIES))
def test_real_rows_breaking_an_identity_are_flagged(
    breaking_rows: dict[str, list[Row]], rule: str
) -> None:
    rows = breaking_rows[rule]
    assert len(rows) == EXAMPLES_PER_RULE, f"the national file should hold rows breaking {rule}"
    election = election_2024()
    contest = election.contest("ppwp")
    parser = SirekapParser(contest, region_tree())
    form = c_hasil_ppwp(contest.dapil[0])
    for row in rows:
        parsed = parser.parse(SourceRecord(f"national:{row['kode_tps']}", row["kode_tps"], row))
        assert isinstance(parsed, ImportedTps), parsed
        flagged = {f.rule for f in check_tps(parsed.result, form, election) if f.blocking}
        assert rule in flagged, (row["kode_tps"], flagged)
