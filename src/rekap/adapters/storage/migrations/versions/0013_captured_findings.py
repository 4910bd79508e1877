"""Findings of the capture workflow's results stored with them, and bulk changes of findings
recorded as such.

A result rekap read from photos or its verifiers entered had its findings computed by every
reader (the portal at each build of its figures, the tally at each refresh); they are stored
now when the result is stored (``result_findings``), as an import stores its own. This
migration stores them for the results already there, with the rules of this rekap, and
replaces any stale finding an import left on such a TPS.

``finding_batch`` gets one row per replacement of many TPS's findings at once (an import's,
which logs no event per TPS): the portal rebuilds its figures when a new row appears, and
follows the change log for everything else (before, it rebuilt them at any change of the
finding table).

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from rekap.adapters.storage.result_findings import record_findings
from rekap.adapters.storage.tally_store import TALLIED_CONTESTS

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

CHUNK = 5000


def upgrade() -> None:
    op.create_table(
        "finding_batch",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("contest", sa.String(8), nullable=False),
        sa.Column("tps", sa.Integer, nullable=False),
        sa.Column("findings", sa.Integer, nullable=False),
    )
    connection = op.get_bind()
    results = sa.table(
        "tps_result", sa.column("kode_tps"), sa.column("contest"), sa.column("source_kind")
    )
    for contest in TALLIED_CONTESTS:
        captured = connection.execute(
            sa.select(results.c.kode_tps)
            .where(results.c.contest == contest, results.c.source_kind != "import")
            .order_by(results.c.kode_tps)
        )
        codes = [str(kode) for (kode,) in captured]
        changed = []
        for start in range(0, len(codes), CHUNK):  # a national store's rows never all at once
            changed += record_findings(connection, contest, codes[start : start + CHUNK])
        if changed:
            findings = sum(len(found.rules) for found in changed)
            batch = sa.table(
                "finding_batch",
                sa.column("contest", sa.String),
                sa.column("tps", sa.Integer),
                sa.column("findings", sa.Integer),
            )
            op.execute(batch.insert().values(contest=contest, tps=len(changed), findings=findings))


def downgrade() -> None:
    # the findings stored stay: an older rekap reads them for these results as it reads an
    # import's (the rules it ran over the numbers give the same)
    op.drop_table("finding_batch")
