"""What the pages must show, computed straight from the database."""

from __future__ import annotations

from sqlalchemy import select

from rekap.adapters.storage.schema import finding, tps_result
from tests.web.dataset import Dataset


def counted_sums(dataset: Dataset, prefix: str, held: bool = False) -> dict[str, int]:
    """Σ of the results under ``prefix`` without a blocking finding (with one: ``held``),
    straight from SQL."""
    with dataset.context.engine.connect() as connection:
        blocked = {
            k
            for (k,) in connection.execute(
                select(finding.c.kode_tps).where(finding.c.severity == "blocking")
            )
        }
        rows = connection.execute(
            select(tps_result.c.kode_tps, tps_result.c.fields).where(
                tps_result.c.kode_tps.startswith(prefix)
            )
        ).all()
    sums: dict[str, int] = {}
    for kode, fields in rows:
        if (kode in blocked) != held:
            continue
        for key, value in fields.items():
            sums[key] = sums.get(key, 0) + int(value)
    return sums


def held_tps(dataset: Dataset) -> str:
    """A TPS with numbers that a blocking finding holds out of the totals."""
    with dataset.context.engine.connect() as connection:
        return str(
            connection.execute(
                select(tps_result.c.kode_tps)
                .join(finding, finding.c.kode_tps == tps_result.c.kode_tps)
                .where(finding.c.severity == "blocking", tps_result.c.fields != {})
                .order_by(tps_result.c.kode_tps)
                .limit(1)
            ).scalar_one()
        )
