"""Migration 0014 on SQLite and PostgreSQL: a store whose tally was kept before the tally
counted the TPS verified by people gets the figure, and its tally is then exactly what a full
rebuild makes of what it holds."""

from __future__ import annotations

import numpy as np
from alembic import command
from sqlalchemy import insert, text

from rekap.adapters.storage.engine import open_engine
from rekap.adapters.storage.migrate import alembic_config
from rekap.adapters.storage.schema import tps_result
from rekap.adapters.storage.tally_store import TallyStore, ancestors, contest_layout
from rekap.data import region_tree
from rekap.tally.contribution import contribution
from rekap.tally.index import RegionIndex
from rekap.tally.layout import COVERAGE
from rekap.tally.rebuild import rebuild

GOOD = {"paslon_1": 10, "paslon_2": 20, "paslon_3": 5, "suara_sah": 35}
FLAG = COVERAGE.index("verified_by_people")
OLD_COVERAGE = tuple(c for c in COVERAGE if c != "verified_by_people")


def test_migration_0014_counts_the_tps_people_entered_in_a_store_already_there(
    database_url: str,
) -> None:
    """Two TPS entered by people (one in another desa), one read by the machine, and one
    entry without numbers: the kecamatan counts 2, each desa its own, and every stored share
    and region row equals a rebuild's."""
    engine = open_engine(database_url)
    config = alembic_config(engine)
    command.upgrade(config, "0013")
    layout = contest_layout("ppwp")
    entered, read, bare, other = "7471011007001", "7471011007002", "7471011007003", "7471011008001"
    rows = [
        (entered, "entry", GOOD),
        (read, "photo", GOOD),
        (bare, "entry", {}),
        (other, "entry", GOOD),
    ]
    with engine.begin() as connection:
        connection.execute(
            insert(tps_result),
            [
                {
                    "kode_tps": kode,
                    "contest": "ppwp",
                    "kode_desa": kode[:10],
                    "jenis": "tps",
                    "photos": ["https://x/1.jpg"],
                    "fields": fields,
                    "source_kind": kind,
                    "source_ref": kode,
                }
                for kode, kind, fields in rows
            ],
        )
    index = RegionIndex.build(region_tree(), scope=[entered[:10], other[:10]])
    store = TallyStore(engine, layout, index)
    states = store.states()
    assert len(states) == 4
    # the tally as rekap kept it before: each share without the flag, each region its sums
    with engine.begin() as connection:
        sums: dict[str, np.ndarray] = {}
        for state in states:
            vector = list(contribution(state, layout))
            del vector[FLAG]
            connection.execute(
                text("INSERT INTO tally_tps VALUES ('ppwp', :kode, :vector)"),
                {"kode": state.kode_tps, "vector": "[" + ",".join(map(str, vector)) + "]"},
            )
            for kode in ancestors(state.kode_tps):
                sums[kode] = sums.get(kode, 0) + np.array(vector[: len(OLD_COVERAGE)])
        names = ", ".join(f'"{c}"' for c in ("contest", "kode", "tps_expected", *OLD_COVERAGE))
        for kode, total in sums.items():
            values = ", ".join(str(int(n)) for n in (index.expected[index.row_of[kode]], *total))
            connection.execute(
                text(f"INSERT INTO region_tally ({names}) VALUES ('ppwp', '{kode}', {values})")
            )
    command.upgrade(config, "head")

    by_people = {kode: store.region(kode).coverage.verified_by_people for kode in sums}  # type: ignore[union-attr]
    assert by_people == {
        "": 2,
        "74": 2,
        "7471": 2,
        "747101": 2,
        entered[:10]: 1,
        other[:10]: 1,
    }
    rebuilt = rebuild(index, layout, store.states()).table
    for kode in sums:
        assert store.region(kode).coverage == rebuilt.region(kode).coverage  # type: ignore[union-attr]
    with engine.connect() as connection:
        shares = dict(connection.execute(text("SELECT kode_tps, vector FROM tally_tps")).all())
    assert {k: tuple(map(int, v.strip("[]").split(","))) for k, v in shares.items()} == (
        rebuilt.shares()
    )
    engine.dispose()
