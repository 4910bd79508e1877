"""The findings of a result of the capture workflow are stored with it, on SQLite and
PostgreSQL: exactly what the per-TPS rules say of its numbers and of its photos' times,
written in the transaction that changes either, each change a ``result.findings_recorded``
event; and migration 0013 stores them for the results a store already holds."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from alembic import command
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, func, insert, select

from rekap.adapters.keys import raw_public
from rekap.adapters.storage.engine import open_engine
from rekap.adapters.storage.forms import publish_values
from rekap.adapters.storage.migrate import alembic_config
from rekap.adapters.storage.photos import Upload
from rekap.adapters.storage.schema import finding, finding_batch, photo, tps_result
from rekap.capture.access import Role
from rekap.capture.photo_check import CheckedPhoto, check_photo
from rekap.data import election_2024
from rekap.domain.form import c_hasil_ppwp
from rekap.domain.region_tree import JenisTps
from rekap.domain.result import TpsResult
from rekap.domain.wilayah import KodeWilayah
from rekap.reading.result import PageReading
from rekap.rules.registry import check_tps
from rekap.web.portal.live import collect_facts, live_findings
from rekap.web.portal.queries import PortalQueries
from tests.integration.test_live_tally import AT, Capture, capture, image
from tests.integration.test_live_tally import engine as engine  # the fixture

BEFORE_CLOSE = AT.replace(hour=4)  # 12:00 WITA in Kendari; the polls close at 13:00


def stored(engine: Engine, kode: str) -> list[tuple[str, str, list[str], dict[str, object]]]:
    """The finding rows of a TPS, in the order they were stored."""
    query = (
        select(finding.c.rule, finding.c.severity, finding.c.fields, finding.c.evidence)
        .where(finding.c.kode_tps == kode)
        .order_by(finding.c.id)
    )
    with engine.connect() as connection:
        return [(r, s, list(f), dict(e)) for r, s, f, e in connection.execute(query)]


def rows_of(found: tuple[object, ...]) -> list[tuple[str, str, list[str], dict[str, object]]]:
    return [(f.rule, f.severity.value, list(f.fields), dict(f.evidence)) for f in found]  # type: ignore[attr-defined]


def recorded(flow: Capture, after: int = 0) -> list[tuple[str, tuple[str, ...], str]]:
    """(TPS, rules, actor) of each ``result.findings_recorded`` after ``after``."""
    return [
        (r.payload["kode_tps"], tuple(r.payload["rules"]), r.actor)
        for r in flow.log.records(after)
        if r.kind == "result.findings_recorded"
    ]


def head(flow: Capture) -> int:
    return max((r.sequence for r in flow.log.records()), default=0)


def test_numbers_published_store_their_findings_and_each_change_is_logged(
    engine: Engine, tmp_path: Path
) -> None:
    flow = capture(engine, tmp_path)
    kode = flow.clean.kode.value
    broken = dict(flow.clean.actual)
    broken["paslon_1"] += 7  # the valid votes no longer add up: F-SUM-SAH, blocking
    with engine.begin() as connection:
        events = publish_values(connection, kode, "ppwp", "tps", broken, "entry", "t", ())
        flow.log.append(connection, events, AT, "verifier", "task 1")
    expected = check_tps(TpsResult(KodeWilayah(kode), "ppwp", broken), flow.form, flow.election)
    assert any(f.blocking for f in expected)
    assert stored(engine, kode) == rows_of(expected)
    assert recorded(flow) == [(kode, tuple(f.rule for f in expected), "verifier")]

    at = head(flow)
    with engine.begin() as connection:  # the same numbers again: nothing changes
        events = publish_values(connection, kode, "ppwp", "tps", broken, "entry", "t", ())
    assert events == [] and stored(engine, kode) == rows_of(expected)

    with engine.begin() as connection:  # corrected: the finding goes, and that is logged
        events = publish_values(
            connection, kode, "ppwp", "tps", flow.clean.actual, "entry", "t", ()
        )
        flow.log.append(connection, events, AT, "adjudicator", "task 2")
    assert stored(engine, kode) == []
    assert recorded(flow, at) == [(kode, (), "adjudicator")]
    facts = collect_facts(PortalQueries(engine, "ppwp"), flow.form, flow.election, [kode])
    assert facts[kode].findings == () and facts[kode].counted
    engine.dispose()


def test_a_photo_that_counts_or_fails_records_the_findings_of_its_times(
    engine: Engine, tmp_path: Path
) -> None:
    """A published TPS's new photo taken before the polls closed is ``W-FOTO-DINI`` from its
    upload on (logged as the officer's); once that photo fails, the warning goes."""
    flow = capture(engine, tmp_path)
    flow.receive_all()
    flow.read_all()
    kode = flow.clean.kode.value
    assert stored(engine, kode) == [] and recorded(flow) == []

    officer, _ = flow.accounts.enrol("KPPS late", Role.OFFICER, kode, AT, "test")
    key = Ed25519PrivateKey.generate()
    device = flow.accounts.register_device(officer, raw_public(key.public_key()), AT)
    checked = check_photo(image(99))
    assert isinstance(checked, CheckedPhoto)
    upload = Upload(kode, "ppwp", 2, BEFORE_CLOSE, device, b"\0" * 64, checked)
    flow.photos.receive(officer, upload, AT + timedelta(hours=3))
    assert [r for r, *_ in stored(engine, kode)] == ["W-FOTO-DINI"]
    assert recorded(flow) == [(kode, ("W-FOTO-DINI",), officer.account_id)]
    with engine.connect() as connection:
        times = [
            (taken, got)
            for taken, got in connection.execute(
                select(photo.c.captured_at, photo.c.received_at).where(photo.c.kode_tps == kode)
            )
        ]
    assert len(times) == 4  # the three read and the new one, all counted by the rule's run
    queries = PortalQueries(engine, "ppwp")
    facts = collect_facts(queries, flow.form, flow.election, [kode])[kode]
    assert [f.rule for f in facts.findings] == ["W-FOTO-DINI"]
    # what the portal computed of these numbers and photos before they were stored
    assert facts.result is not None
    before = live_findings(
        kode,
        "ppwp",
        facts.result.values,
        facts.result.jenis,
        flow.form,
        flow.election,
        queries.photo_times([kode])[kode],
    )
    assert facts.findings == before

    at = head(flow)
    claimed = flow.photos.claim(AT + timedelta(hours=4))
    assert claimed is not None and claimed.kode_tps == kode
    failed = PageReading("unreadable", "too dark", 2, "c_hasil_ppwp", ())
    flow.processor.finish(claimed, failed, AT + timedelta(hours=4))
    assert stored(engine, kode) == []
    assert [(k, rules) for k, rules, _ in recorded(flow, at)] == [(kode, ())]
    engine.dispose()


def test_migration_0013_stores_the_findings_of_the_results_already_there(
    database_url: str,
) -> None:
    """A store at 0012 with a result read from photos whose numbers break a rule, and one
    entered by people that kept a finding of the import it replaced: afterwards each holds
    exactly its rules' findings, and the bulk change is recorded for the portal."""
    engine = open_engine(database_url)
    config = alembic_config(engine)
    command.upgrade(config, "0012")
    election = election_2024()
    form = c_hasil_ppwp(election.contest("ppwp").dapil[0])
    good = {"paslon_1": 10, "paslon_2": 20, "paslon_3": 5, "suara_sah": 35}
    good |= {"suara_tidak_sah": 1, "suara_total": 36}
    bad = {**good, "paslon_1": 12}
    read, entered = "7471011007001", "7471011007002"
    row = {"contest": "ppwp", "kode_desa": read[:10], "jenis": "tps", "photos": []}
    stale = {"rule": "F-SUM-SAH", "severity": "blocking", "fields": ["suara_sah"]}
    with engine.begin() as connection:
        connection.execute(
            insert(tps_result),
            [
                {**row, "kode_tps": read, "fields": bad, "source_kind": "photo", "source_ref": "a"},
                {
                    **row,
                    "kode_tps": entered,
                    "fields": good,
                    "source_kind": "entry",
                    "source_ref": "b",
                },
            ],
        )
        connection.execute(
            insert(finding).values(
                kode_tps=entered, contest="ppwp", message="m", evidence={}, **stale
            )
        )
    command.upgrade(config, "head")

    expected = check_tps(
        TpsResult(KodeWilayah(read), "ppwp", bad, jenis=JenisTps.TPS), form, election
    )
    assert expected and stored(engine, read) == rows_of(expected)
    assert stored(engine, entered) == []
    with engine.connect() as connection:
        batches = connection.execute(select(func.count()).select_from(finding_batch)).scalar()
    assert batches == 1
    engine.dispose()
