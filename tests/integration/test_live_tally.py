"""The stored tally follows every write, on SQLite and PostgreSQL: after a Sirekap import, and
after each step of a capture (photo received, read, checked, verified), it equals a full
rebuild of the stored results, and every parent equals the sum of its children."""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PIL import Image
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError, OperationalError

from rekap.adapters.keys import load_or_create, raw_public
from rekap.adapters.photo_files import LocalPhotoStore
from rekap.adapters.processing import PhotoProcessor
from rekap.adapters.storage.accounts import AccountStore
from rekap.adapters.storage.engine import open_engine
from rekap.adapters.storage.event_store import EventLog
from rekap.adapters.storage.migrate import upgrade
from rekap.adapters.storage.photos import PhotoStore, Upload
from rekap.adapters.storage.schema import photo
from rekap.adapters.storage.tally_store import TallyStore, contest_layout
from rekap.adapters.storage.verification import VerificationStore
from rekap.capture.access import Role
from rekap.capture.photo_check import CheckedPhoto, check_photo
from rekap.cli.sirekap import import_sirekap
from rekap.data import election_2024, region_tree
from rekap.domain.election import Election
from rekap.domain.form import FormSpec, c_hasil_ppwp
from rekap.domain.wilayah import KodeWilayah
from rekap.reading.result import FieldReading, PageReading
from rekap.simulation.scenario import SimulatedTps, SimulationOptions, simulate_election
from rekap.tally.rebuild import rebuild
from rekap.tally.region_tally import RegionTally
from rekap.tally.table import TallyTable

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "examples" / "sirekap-raw-sample"
DESA = "7471011007"  # LABIBIA, Kota Kendari: 10 TPS
AT = datetime(2024, 2, 14, 14, 0, tzinfo=UTC)


@pytest.fixture
def engine(database_url: str) -> Engine:
    engine = open_engine(database_url)
    upgrade(engine)
    return engine


def parents_are_sums(table: TallyTable) -> bool:
    """Every region above desa holds exactly the sum of its children, in every column."""
    index = table.index
    sums = np.zeros_like(table.matrix)
    rows = np.flatnonzero(index.parent_row >= 0)
    np.add.at(sums, index.parent_row[rows], table.matrix[rows])
    above_desa = np.flatnonzero(index.level < 10)
    return bool(np.array_equal(sums[above_desa], table.matrix[above_desa]))


def assert_in_step(engine: Engine) -> TallyStore:
    """The `rekap tally --check` comparison, and parent = Σ children."""
    store = TallyStore(engine, contest_layout("ppwp"))
    stored = store.table()
    assert stored.same_totals(rebuild(store.index, store.layout, store.states()).table)
    assert parents_are_sums(stored)
    return store


def desa(store: TallyStore) -> RegionTally:
    return store.regions([DESA])[DESA]


def test_a_sirekap_import_keeps_the_tally_in_step(database_url: str, engine: Engine) -> None:
    import_sirekap(SAMPLE, database_url)
    store = assert_in_step(engine)
    nation = store.regions([""])[""]
    assert nation.coverage.counted > 0
    assert nation.coverage.blocking > 0
    assert nation.coverage.read == nation.coverage.counted + nation.coverage.blocking
    assert nation.counted["suara_sah"] > 0 and nation.held["suara_sah"] > 0
    import_sirekap(SAMPLE, database_url)  # the same data again: nothing moves
    assert assert_in_step(engine).regions([""])[""] == nation
    engine.dispose()


def image(seed: int) -> bytes:
    """A small, distinct PNG (what a phone sends; the reading below stands in for the reader)."""
    picture = Image.new("L", (420, 420), color=seed % 256)
    picture.putpixel((seed % 420, seed // 420 % 420), 255 - seed % 256)
    out = io.BytesIO()
    picture.save(out, format="PNG")
    return out.getvalue()


def reading(form: FormSpec, page: int, values: Mapping[str, int], unsure: str = "") -> PageReading:
    fields = tuple(
        FieldReading(f.id, None, "abstain", 0.4, (), "unsure", (0.0, 0.0, 1.0, 1.0))
        if f.id == unsure
        else FieldReading(
            f.id, values[f.id], "read", 0.99, ((values[f.id], 0.99),), "", (0.0, 0.0, 1.0, 1.0)
        )
        for f in form.page(page)
    )
    return PageReading("ok", "", page, "c_hasil_ppwp", fields)


def not_called(_data: bytes, _page: int) -> PageReading:
    raise AssertionError("the readings are handed to the processor directly")


@dataclass
class Capture:
    """Two TPS of one desa photographed by their officers: one clean, one whose page-2 reading
    is unsure (it goes to verification)."""

    form: FormSpec
    election: Election
    clean: SimulatedTps
    unsure: SimulatedTps
    log: EventLog
    accounts: AccountStore
    photos: PhotoStore
    processor: PhotoProcessor

    def receive_all(self) -> None:
        seed = 0
        for tps in (self.clean, self.unsure):
            kode = tps.kode.value
            officer, _ = self.accounts.enrol(f"KPPS {kode}", Role.OFFICER, kode, AT, "test")
            key = Ed25519PrivateKey.generate()
            device = self.accounts.register_device(officer, raw_public(key.public_key()), AT)
            for page in (1, 2, 3):
                seed += 1
                checked = check_photo(image(seed))
                assert isinstance(checked, CheckedPhoto)
                upload = Upload(kode, "ppwp", page, AT, device, b"\0" * 64, checked)
                self.photos.receive(officer, upload, AT + timedelta(minutes=seed))

    def read_all(self, after_each: Callable[[], object] = lambda: None) -> None:
        while (claimed := self.photos.claim(AT + timedelta(hours=1))) is not None:
            tps = self.clean if claimed.kode_tps == self.clean.kode.value else self.unsure
            doubt = "paslon_2" if tps is self.unsure and claimed.page == 2 else ""
            result = reading(self.form, claimed.page, tps.actual, doubt)
            self.processor.finish(claimed, result, AT + timedelta(hours=1))
            after_each()


def capture(engine: Engine, tmp_path: Path) -> Capture:
    election, tree = election_2024(), region_tree()
    form = c_hasil_ppwp(election.contest("ppwp").dapil[0])
    options = SimulationOptions(error_rate=0.0, correction_rate=0.0)
    clean, unsure = list(simulate_election(tree, election, KodeWilayah(DESA), 3, options))[:2]
    log = EventLog(engine)
    photos = PhotoStore(engine, log, load_or_create(tmp_path / "k.pem"))
    processor = PhotoProcessor(
        engine, log, photos, LocalPhotoStore(tmp_path), not_called, form, election, tree
    )
    accounts = AccountStore(engine, log)
    return Capture(form, election, clean, unsure, log, accounts, photos, processor)


def test_each_step_of_a_capture_keeps_the_tally_in_step(engine: Engine, tmp_path: Path) -> None:
    flow = capture(engine, tmp_path)
    form, election, clean, unsure = flow.form, flow.election, flow.clean, flow.unsure
    log, accounts = flow.log, flow.accounts
    flow.receive_all()
    store = assert_in_step(engine)
    assert desa(store).coverage.received == 2 and desa(store).coverage.read == 0

    flow.read_all(lambda: assert_in_step(engine))
    store = assert_in_step(engine)
    cover = desa(store).coverage
    # the clean form, read in full with no blocking finding, is verified (by the machine)
    assert (cover.received, cover.read, cover.verified, cover.counted) == (2, 2, 1, 1)
    assert desa(store).counted["suara_sah"] == clean.actual["suara_sah"]

    verification = VerificationStore(engine, log, form, election)
    for name in ("V1", "V2"):
        person, _ = accounts.enrol(name, Role.VERIFIER, DESA[:4], AT, "test")
        task = verification.next_task(person)
        assert task is not None and task.kode_tps == unsure.kode.value
        verification.enter(person, task.id, dict(unsure.actual), 30.0, AT + timedelta(hours=2))
        assert_in_step(engine)
    cover = desa(store).coverage
    assert (cover.received, cover.read, cover.verified, cover.counted) == (2, 2, 2, 2)
    both = clean.actual["suara_sah"] + unsure.actual["suara_sah"]
    assert desa(store).counted["suara_sah"] == both
    assert store.regions([""])[""].counted == desa(store).counted
    engine.dispose()


def _states(engine: Engine) -> list[tuple[str, str]]:
    with engine.connect() as connection:
        rows = connection.execute(select(photo.c.state, photo.c.reason).order_by(photo.c.id))
        return [(str(state), str(reason)) for state, reason in rows]


def test_a_photo_whose_recording_fails_is_failed_visibly_once(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug while the form is assessed: the photo is failed with the error as its reason (not
    retaken every claim timeout for ever); a database that is away leaves it to be retaken."""
    flow = capture(engine, tmp_path)
    flow.receive_all()
    page_two = replace(
        flow.processor, read=lambda _d, page: reading(flow.form, page, flow.clean.actual)
    )

    def broken(*_args: object) -> list[object]:
        raise KeyError("no such field")

    monkeypatch.setattr(PhotoProcessor, "_assess", broken)
    monkeypatch.setattr(LocalPhotoStore, "get", lambda *_a: b"")
    assert page_two.process_next(lambda: AT + timedelta(hours=1))
    state, reason = _states(engine)[0]
    assert state == "failed" and reason.startswith("unreadable: processing failed: KeyError")

    def away(*_args: object) -> list[object]:
        raise OperationalError("SELECT 1", {}, Exception("the server closed the connection"))

    monkeypatch.setattr(PhotoProcessor, "_assess", away)
    with pytest.raises(OperationalError):
        page_two.process_next(lambda: AT + timedelta(hours=1))
    assert _states(engine)[1][0] == "received"  # claimed, taken again after the claim timeout
    engine.dispose()


def test_an_error_that_says_nothing_still_fails_the_photo_visibly(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An error without a message (a bare ``assert``) while the form is assessed: its reason
    was made from the message's first line, and an empty one raised in the handler, leaving
    the photo claimed, to be taken again (and fail again) every claim timeout for ever."""
    flow = capture(engine, tmp_path)
    flow.receive_all()
    page = replace(flow.processor, read=lambda _d, p: reading(flow.form, p, flow.clean.actual))

    def silent(*_args: object) -> list[object]:
        raise AssertionError

    monkeypatch.setattr(PhotoProcessor, "_assess", silent)
    monkeypatch.setattr(LocalPhotoStore, "get", lambda *_a: b"")
    assert page.process_next(lambda: AT + timedelta(hours=1))
    state, reason = _states(engine)[0]
    assert (state, reason) == ("failed", "unreadable: processing failed: AssertionError: ")
    engine.dispose()


def test_a_race_on_a_forms_row_is_tried_again_not_failed(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two pages of one TPS finished at once both insert its form; the loser's IntegrityError
    is a race: tried once more (it then finds the row); twice, it is left to be taken again."""
    flow = capture(engine, tmp_path)
    flow.receive_all()
    page = replace(flow.processor, read=lambda _d, p: reading(flow.form, p, flow.clean.actual))
    monkeypatch.setattr(LocalPhotoStore, "get", lambda *_a: b"")
    finish, raced, limit = PhotoProcessor.finish, [0], [1]

    def racing(self: PhotoProcessor, *args: Any) -> None:
        raced[0] += 1
        if raced[0] <= limit[0]:
            raise IntegrityError("INSERT INTO form", {}, Exception("duplicate key"))
        finish(self, *args)

    monkeypatch.setattr(PhotoProcessor, "finish", racing)
    assert page.process_next(lambda: AT + timedelta(hours=1))
    assert _states(engine)[0][0] == "checked"
    raced[0], limit[0] = 0, 2
    with pytest.raises(OperationalError):
        page.process_next(lambda: AT + timedelta(hours=1))
    assert _states(engine)[1][0] == "received"  # taken again after the claim timeout
    engine.dispose()
