"""The tally counts, per region, the TPS whose numbers people entered (``verified_by_people``,
a part of ``verified``: decision 0006).

``region_tally`` gets the column, and each TPS's share (``tally_tps.vector``) its flag, after
``verified`` (``rekap.tally.layout.COVERAGE``). A store already there is filled from what it
holds: a TPS with a share whose result has numbers and came from a verifiers' entry
(``source_kind`` ``entry``, the rule of ``tally_inputs.tally_state``) adds 1 to its desa and
every region above it. Only the TPS with a share are read: the migration costs what the
store's tally holds, not the size of the country.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator

import sqlalchemy as sa
from alembic import op

from rekap.adapters.storage.json_text import loads, numbers
from rekap.adapters.storage.tally_store import TALLIED_CONTESTS, ancestors

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

FLAG_AT = 3
"""The flag's place in a share: after received, read and verified."""
CHUNK = 5000

SHARES = sa.text("SELECT kode_tps, vector FROM tally_tps WHERE contest = :contest")
ENTERED = sa.text(
    "SELECT kode_tps, CAST(fields AS TEXT) FROM tps_result "
    "WHERE contest = :contest AND source_kind = 'entry'"
)
SET_SHARE = sa.text(
    "UPDATE tally_tps SET vector = :vector WHERE contest = :contest AND kode_tps = :kode"
)
SET_REGION = sa.text(
    "UPDATE region_tally SET verified_by_people = :count WHERE contest = :contest AND kode = :kode"
)


def upgrade() -> None:
    with op.batch_alter_table("region_tally") as batch:
        batch.add_column(
            sa.Column("verified_by_people", sa.Integer, nullable=False, server_default="0")
        )
    connection = op.get_bind()
    for contest in TALLIED_CONTESTS:
        fill(connection, contest)


def _text(vector: list[int]) -> str:
    """A share as ``tally_store`` writes it: ``[1,0,…]``."""
    return "[" + ",".join(map(str, vector)) + "]"


def _chunks(rows: list[dict[str, object]]) -> Iterator[list[dict[str, object]]]:
    for start in range(0, len(rows), CHUNK):
        yield rows[start : start + CHUNK]


def fill(connection: sa.Connection, contest: str) -> None:
    """Each share of ``contest`` with its flag, and each region's count of them."""
    entered = {
        kode
        for kode, fields in connection.execute(ENTERED, {"contest": contest})
        if numbers(loads(fields))
    }
    shares, counts = [], Counter[str]()
    for kode, vector in connection.execute(SHARES, {"contest": contest}).all():
        flag = int(kode in entered)
        old = json.loads(vector)
        new = [*old[:FLAG_AT], flag, *old[FLAG_AT:]]
        shares.append({"contest": contest, "kode": kode, "vector": _text(new)})
        if flag:
            counts.update(ancestors(kode))
    for part in _chunks(shares):
        connection.execute(SET_SHARE, part)
    regions = [{"contest": contest, "kode": k, "count": n} for k, n in sorted(counts.items())]
    for part in _chunks(regions):
        connection.execute(SET_REGION, part)


def downgrade() -> None:
    connection = op.get_bind()
    for contest in TALLIED_CONTESTS:
        shares = []
        for kode, vector in connection.execute(SHARES, {"contest": contest}).all():
            old = json.loads(vector)
            new = [*old[:FLAG_AT], *old[FLAG_AT + 1 :]]
            shares.append({"contest": contest, "kode": kode, "vector": _text(new)})
        for part in _chunks(shares):
            connection.execute(SET_SHARE, part)
    with op.batch_alter_table("region_tally") as batch:
        batch.drop_column("verified_by_people")
