"""The store on SQLite and PostgreSQL: migrations, regions, results, findings, import runs."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy import select

from rekap.adapters.storage.engine import open_engine
from rekap.adapters.storage.event_store import EventLog
from rekap.adapters.storage.forms import publish_values
from rekap.adapters.storage.migrate import current_revision, head_revision, upgrade
from rekap.adapters.storage.repository import SqlStore
from rekap.adapters.storage.schema import tps_result
from rekap.data import election_2024, region_tree
from rekap.domain.form import c_hasil_ppwp
from rekap.domain.result import Provenance, SourceKind, TpsResult
from rekap.domain.wilayah import KodeWilayah
from rekap.rules.registry import check_tps
from rekap.sources.sirekap import ImportedTps, RejectedRow


def make_store(url: str) -> SqlStore:
    engine = open_engine(url)
    upgrade(engine)
    upgrade(engine)  # a second upgrade is a no-op
    assert current_revision(engine) == head_revision(engine)
    return SqlStore(engine)


def imported(kode: str, paslon_1: int, published: str) -> ImportedTps:
    values = {"paslon_1": paslon_1, "paslon_2": 20, "paslon_3": 5, "suara_sah": 35}
    values |= {"suara_tidak_sah": 1, "suara_total": 36}
    result = TpsResult(
        KodeWilayah(kode),
        "ppwp",
        values,
        source=Provenance(SourceKind.IMPORT, f"file.csv:{paslon_1}"),
        photos=("p1.jpg",),
    )
    return ImportedTps(f"file.csv:{paslon_1}", result, published)


def test_regions_load_completely(database_url: str) -> None:
    store = make_store(database_url)
    tree = region_tree()
    assert store.load_regions(tree) == len(tree)
    assert store.region_count() == len(tree)
    assert store.load_regions(tree) == len(tree)  # reloading replaces, never duplicates
    assert store.region_count() == len(tree)


def test_results_round_trip_and_the_newest_wins(database_url: str) -> None:
    store = make_store(database_url)
    run_id = store.start_import("file.csv", "ppwp", datetime.now(UTC))
    log = EventLog(store.engine)
    now = datetime.now(UTC)
    store.save_results(run_id, [imported("3101011001001", 10, "2024-02-15")], log, now, "test")
    store.save_results(run_id, [imported("3101011001001", 11, "2024-02-16")], log, now, "test")
    assert store.result_count("ppwp") == 1
    loaded = store.load_result("3101011001001", "ppwp")
    assert loaded is not None
    assert loaded.values["paslon_1"] == 11
    assert loaded.photos == ("p1.jpg",)
    assert loaded.provenance_of("paslon_1") == Provenance(SourceKind.IMPORT, "file.csv:11")
    assert store.load_result("3101011001002", "ppwp") is None
    kinds = [(r.kind, r.payload.get("field")) for r in log.records()]
    assert kinds == [
        ("result.imported", None),
        ("result.value_changed", "paslon_1"),
        ("result.source_changed", None),
    ]
    moved = list(log.records())[-1].payload
    assert (moved["before"], moved["after"]) == ("file.csv:10", "file.csv:11")
    assert (moved["published_before"], moved["published_after"]) == ("2024-02-15", "2024-02-16")


def test_findings_are_replaced_per_tps_and_errors_kept(database_url: str) -> None:
    store = make_store(database_url)
    election = election_2024()
    form = c_hasil_ppwp(election.contest("ppwp").dapil[0])
    bad = imported("3101011001001", 12, "x").result
    found = {"3101011001001": check_tps(bad, form, election)}
    assert store.replace_findings("ppwp", ["3101011001001"], found) == 1
    assert store.replace_findings("ppwp", ["3101011001001"], found) == 1
    assert store.findings_per_rule("ppwp") == {"F-SUM-SAH": 1}
    store.replace_findings("ppwp", ["3101011001001"], {})
    assert store.findings_per_rule("ppwp") == {}
    run_id = store.start_import("x.csv", "ppwp", datetime.now(UTC))
    rejected = [RejectedRow("x.csv:3", "9999", "unknown kode wilayah 9999")]
    counts = {"rows_read": 3, "accepted": 2, "empty": 0, "rejected": 1, "superseded": 0}
    store.save_import_errors(run_id, rejected)
    store.finish_import(run_id, counts, datetime.now(UTC))
    assert store.import_errors(run_id) == [("x.csv:3", "9999", "unknown kode wilayah 9999")]


def test_an_import_never_replaces_numbers_read_from_photos_or_entered(database_url: str) -> None:
    """rekap's own numbers (a photo read, a verifier's entry) stay whatever a Sirekap file
    says of the TPS, however new the file; nothing is logged for them."""
    store = make_store(database_url)
    run_id = store.start_import("file.csv", "ppwp", datetime.now(UTC))
    log = EventLog(store.engine)
    now = datetime.now(UTC)
    for kode, kind in (("3101011001001", SourceKind.PHOTO), ("3101011001002", SourceKind.ENTRY)):
        own = imported(kode, 11, "2024-02-14 20:00:00")
        result = replace(own.result, source=Provenance(kind, "sha256:ab"))
        store.save_results(None, [replace(own, result=result)], log, now, "reader")
    events = len(list(log.records()))
    offered = [imported(k, 40, "2024-03-01 10:00:00") for k in ("3101011001001", "3101011001002")]
    saved = store.save_results(run_id, [*offered, imported("3101011001003", 7, "")], log, now, "t")
    assert saved == (1, (), 0, ("3101011001001", "3101011001002"))
    for kode in ("3101011001001", "3101011001002"):
        loaded = store.load_result(kode, "ppwp")
        assert loaded is not None and loaded.values["paslon_1"] == 11
    assert [r.kind for r in log.records()][events:] == ["result.imported"]  # the new TPS only


def test_an_older_version_imported_later_takes_nothing_back(database_url: str) -> None:
    """A crawl of the 15th imported after the 16th's: the 16th's numbers stay, no event."""
    store = make_store(database_url)
    run_id = store.start_import("file.csv", "ppwp", datetime.now(UTC))
    log = EventLog(store.engine)
    now = datetime.now(UTC)
    store.save_results(
        run_id, [imported("3101011001001", 11, "2024-02-16 10:00:00")], log, now, "t"
    )
    saved = store.save_results(
        run_id, [imported("3101011001001", 10, "2024-02-15T23:00:00")], log, now, "t"
    )
    assert saved == (0, ("3101011001001",), 0, ())
    loaded = store.load_result("3101011001001", "ppwp")
    assert loaded is not None and loaded.values["paslon_1"] == 11
    assert [r.kind for r in log.records()] == ["result.imported"]
    later = store.save_results(
        run_id, [imported("3101011001001", 12, "2024-02-16T11:00:00")], log, now, "t"
    )
    assert later == (1, (), 0, ())  # a newer one still replaces it


def test_numbers_read_over_an_import_leave_none_of_its_findings(database_url: str) -> None:
    """An imported TPS whose numbers broke a rule, then read from its photos: the stored
    finding was about the file's numbers and goes (it would hold the TPS out of the totals)."""
    store = make_store(database_url)
    run_id = store.start_import("file.csv", "ppwp", datetime.now(UTC))
    log = EventLog(store.engine)
    bad = imported("3101011001001", 12, "2024-02-16 10:00:00")  # 12 + 20 + 5 is not 35
    store.save_results(run_id, [bad], log, datetime.now(UTC), "t")
    election = election_2024()
    form = c_hasil_ppwp(election.contest("ppwp").dapil[0])
    found = {"3101011001001": check_tps(bad.result, form, election)}
    store.replace_findings("ppwp", ["3101011001001"], found)
    assert store.findings_per_rule("ppwp") == {"F-SUM-SAH": 1}
    read = {"paslon_1": 10, "paslon_2": 20, "paslon_3": 5, "suara_sah": 35}
    read |= {"suara_tidak_sah": 1, "suara_total": 36}
    with store.engine.begin() as connection:
        publish_values(connection, "3101011001001", "ppwp", "tps", read, "photo", "ab", ("ab",))
    assert store.findings_per_rule("ppwp") == {}


def stored_row(store: SqlStore, kode: str) -> dict[str, object]:
    with store.engine.connect() as connection:
        row = connection.execute(select(tps_result).where(tps_result.c.kode_tps == kode)).one()
    return dict(row._mapping)


def test_a_newer_version_with_photos_and_no_number_keeps_the_numbers(database_url: str) -> None:
    """Sirekap showing a TPS's photos again without its numbers takes no number back, and the
    numbers keep the row and time they came from; the new photos are taken, and logged with
    the row they came from."""
    store = make_store(database_url)
    log = EventLog(store.engine)
    first = imported("3101011001001", 10, "2024-02-15 10:00:00")
    store.save_results(None, [first], log, datetime.now(UTC), "t")
    events = len(list(log.records()))
    bare = TpsResult(first.result.kode_tps, "ppwp", {}, photos=("p1.jpg", "p2.jpg"))
    later = ImportedTps("file.csv:9", bare, "2024-02-16 10:00:00")
    store.save_results(None, [later], log, datetime.now(UTC), "t")
    row = stored_row(store, "3101011001001")
    assert row["fields"] == dict(first.result.values)
    assert (row["source_ref"], row["published_at"]) == ("file.csv:10", "2024-02-15 10:00:00")
    assert list(row["photos"]) == ["p1.jpg", "p2.jpg"]  # type: ignore[call-overload]
    assert row["photos_published_at"] == "2024-02-16 10:00:00"
    (change,) = list(log.records())[events:]
    assert change.kind == "result.photos_changed"
    assert change.payload == {
        "kode_tps": "3101011001001",
        "contest": "ppwp",
        "source": "file.csv:9",
        "published_at": "2024-02-16 10:00:00",
        "before": ["p1.jpg"],
        "after": ["p1.jpg", "p2.jpg"],
    }
    # the older version again takes back neither its photos nor anything else
    saved = store.save_results(None, [first], log, datetime.now(UTC), "t")
    assert saved.kept_newer == ("3101011001001",)
    assert len(list(log.records())) == events + 1
    assert list(stored_row(store, "3101011001001")["photos"]) == ["p1.jpg", "p2.jpg"]  # type: ignore[call-overload]


def test_the_same_numbers_in_a_later_row_keep_their_source(database_url: str) -> None:
    """A later row with the very numbers stored did not set them: where and when they came
    from stays; an identical row changes nothing and is not written again."""
    store = make_store(database_url)
    log = EventLog(store.engine)
    first_run = store.start_import("a.csv", "ppwp", datetime.now(UTC))
    first = imported("3101011001001", 10, "2024-02-15 10:00:00")
    store.save_results(first_run, [first], log, datetime.now(UTC), "t")
    second_run = store.start_import("b.csv", "ppwp", datetime.now(UTC))
    same = replace(first, origin="b.csv:4", published_at="2024-02-20 10:00:00")
    same = replace(
        same, result=replace(first.result, source=Provenance(SourceKind.IMPORT, "b.csv:4"))
    )
    store.save_results(second_run, [same], log, datetime.now(UTC), "t")
    store.save_results(second_run, [first], log, datetime.now(UTC), "t")
    assert [r.kind for r in log.records()] == ["result.imported"]
    row = stored_row(store, "3101011001001")
    assert (row["source_ref"], row["published_at"], row["run_id"]) == (
        "file.csv:10",
        "2024-02-15 10:00:00",
        first_run,
    )
