"""A small election-day world for the security tests, without the real reader.

Accounts of every role are enrolled in the store; officers register a phone key and upload
three signed photos of their TPS through the HTTP API; a stub reader abstains on every field,
so each photographed TPS gets an open verification task (as the real reader does when it is
unsure). Photos are cheap synthetic JPEGs (600 × 800, distinct bytes per call).
"""

from __future__ import annotations

import io
import itertools
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select, update

from rekap.adapters.keys import load_or_create, raw_public
from rekap.adapters.photo_files import LocalPhotoStore
from rekap.adapters.processing import PhotoProcessor, Reader
from rekap.adapters.storage.engine import open_engine
from rekap.adapters.storage.migrate import upgrade
from rekap.adapters.storage.schema import account, verification_task
from rekap.adapters.storage.verification_holds import hold, lock_holds
from rekap.capture.access import Principal, Role
from rekap.capture.messages import photo_message
from rekap.capture.photo_check import check_photo
from rekap.domain.form import FormSpec
from rekap.reading.result import FieldReading, PageReading
from rekap.web.app import create_app
from rekap.web.context import AppContext
from rekap.web.portal.settings import PortalSettings
from rekap.web.rate_limit import RateLimiter

CAPTURED = datetime(2024, 2, 14, 14, 5, tzinfo=UTC)
TPS_A = "3310052013001"  # the officer's TPS whose task the matrix is about
TPS_C = "3310052013002"  # the task entered on the verifier's page
TPS_D = "3310052013003"  # a task nobody in the matrix enters
# One TPS for each test that changes the world, each in a desa of its own (same kabupaten).
OWN_TPS = ("3310052001001", "3310052002001", "3310052003001", "3310052004001")
TPS_B = "7471011007001"  # a TPS in another province
KABUPATEN = "3310"
ELSEWHERE = "74"
SNAPSHOT_FILE = "2024-02-15T00-00/manifest.json"
BAD_TOKEN = "this-token-was-never-issued"
_photo_numbers = itertools.count()


def synthetic_jpeg(seed: int, width: int = 600, height: int = 800) -> bytes:
    """A light grey page-sized JPEG with noise: distinct bytes for each seed."""
    rng = np.random.default_rng(seed)
    pixels = rng.integers(180, 256, size=(height, width), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="JPEG", quality=80)
    return out.getvalue()


def fresh_jpeg() -> bytes:
    """A photo never made before in this test process."""
    return synthetic_jpeg(os.getpid() * 100_000 + next(_photo_numbers))


def abstaining_reader(form: FormSpec) -> Reader:
    """A reader that finds the declared page and abstains on every one of its fields."""

    def read(_data: bytes, page: int) -> PageReading:
        fields = tuple(
            FieldReading(f.id, None, "abstain", 0.0, (), "stub reader", (0.0, 0.0, 1.0, 1.0))
            for f in form.fields
            if f.page == page
        )
        return PageReading("ok", "", page, "ppwp", fields)

    return read


COHERENT = {  # a form whose every identity holds (the fields not named are 0)
    "dpt_l": 100,
    "dpt_p": 100,
    "dpt_j": 200,
    "pengguna_dpt_l": 50,
    "pengguna_dpt_p": 50,
    "pengguna_dpt_j": 100,
    "pengguna_total_l": 50,
    "pengguna_total_p": 50,
    "pengguna_total_j": 100,
    "surat_suara_diterima": 200,
    "surat_suara_digunakan": 100,
    "surat_suara_tidak_digunakan": 100,
    "surat_suara_rusak": 0,
    "paslon_1": 41,
    "paslon_2": 33,
    "paslon_3": 24,
    "suara_sah": 98,
    "suara_tidak_sah": 2,
    "suara_total": 100,
}


def coherent_reader(
    world: World, abstain: frozenset[str], numbers: Mapping[str, int] = COHERENT
) -> Reader:
    """A reader that reads ``numbers`` (0 for the fields not named) but the ``abstain``
    fields."""

    def read(_data: bytes, page: int) -> PageReading:
        box = (0.0, 0.0, 1.0, 1.0)
        fields = tuple(
            FieldReading(f.id, None, "abstain", 0.3, (), "unsure", box)
            if f.id in abstain
            else FieldReading(f.id, value, "read", 0.99, ((value, 0.99),), "", box)
            for f in world.context.form.fields
            if f.page == page
            for value in (numbers.get(f.id, 0),)
        )
        return PageReading("ok", "", page, "ppwp", fields)

    return read


def process(world: World, reader: Reader) -> int:
    """Read every waiting photo with ``reader``, as the service's worker would; how many."""
    c = world.context
    processor = PhotoProcessor(
        c.engine, c.log, c.photos, c.files, reader, c.form, c.election, c.tree
    )
    return processor.run_until_idle(lambda: CAPTURED)


@dataclass
class Actor:
    """Somebody calling the service: a bearer token (or none) and, for an officer, a phone."""

    name: str
    token: str | None
    account_id: str | None = None
    kode_tps: str | None = None
    key: Ed25519PrivateKey | None = None
    device_id: str | None = None

    @property
    def headers(self) -> dict[str, str]:
        return {} if self.token is None else {"Authorization": f"Bearer {self.token}"}

    def signed_form(self, data: bytes, kode_tps: str, page: int) -> dict[str, str]:
        """An upload's form fields, signed with this actor's phone (a stranger's if none)."""
        key = self.key or Ed25519PrivateKey.generate()
        sha = getattr(check_photo(data), "sha256", "0" * 64)
        return {
            "page": str(page),
            "captured_at": CAPTURED.isoformat(),
            "device_id": self.device_id or "0" * 16,
            "signature": key.sign(photo_message(sha, kode_tps, page, CAPTURED)).hex(),
        }


@dataclass
class World:
    app: FastAPI
    client: TestClient
    context: AppContext
    actors: dict[str, Actor] = field(default_factory=dict)
    tasks: dict[str, int] = field(default_factory=dict)  # kode TPS -> its task id
    photos: dict[str, list[int]] = field(default_factory=dict)  # kode TPS -> photo ids

    def enrol(self, name: str, role: Role, scope: str) -> Actor:
        principal, token = self.context.accounts.enrol(name, role, scope, CAPTURED, "test")
        actor = Actor(name, token, principal.account_id)
        if role is Role.OFFICER:
            actor.kode_tps = scope
            actor.key = Ed25519PrivateKey.generate()
            actor.device_id = self.context.accounts.register_device(
                principal, raw_public(actor.key.public_key()), CAPTURED
            )
        self.actors[name] = actor
        return actor

    def principal(self, actor: Actor) -> Principal:
        assert actor.token is not None
        found = self.context.accounts.authenticate(actor.token)
        assert found is not None
        return found

    def upload(self, actor: Actor, kode_tps: str, page: int, data: bytes | None = None) -> int:
        """Send one signed photo as the actor's phone would; the HTTP status."""
        jpeg = data if data is not None else fresh_jpeg()
        answer = self.client.post(
            f"/api/v1/tps/{kode_tps}/photos",
            files={"photo": ("p.jpg", jpeg, "image/jpeg")},
            data=actor.signed_form(jpeg, kode_tps, page),
            headers=actor.headers,
        )
        status: int = answer.status_code
        return status

    def hand(self, actor: Actor, task_id: int) -> None:
        """Hand the task to the person as the store's draw would (it draws at random among
        the oldest with a place): for a test that needs one particular task entered. A
        caller with no account is handed nothing."""
        if actor.token is None or not actor.account_id:
            return
        with self.context.engine.begin() as connection:
            lock_holds(connection)
            hold(connection, task_id, actor.account_id, self.context.clock())

    def photograph(self, officer: Actor) -> int:
        """The officer uploads all three pages; the stub reader sends the form to people.
        Returns the task's id."""
        kode = officer.kode_tps
        assert kode is not None
        for page in (1, 2, 3):
            status = self.upload(officer, kode, page)
            assert status == 201, status
        processor = PhotoProcessor(
            self.context.engine,
            self.context.log,
            self.context.photos,
            self.context.files,
            abstaining_reader(self.context.form),
            self.context.form,
            self.context.election,
            self.context.tree,
        )
        assert processor.run_until_idle(lambda: CAPTURED) >= 3  # with any others waiting
        states = self.context.photos.states(kode)
        assert {state for _, _, state, _ in states} == {"needs_verification"}, states
        self.photos[kode] = [i for i, _, _, _ in states]
        query = select(verification_task.c.id).where(verification_task.c.kode_tps == kode)
        with self.context.engine.connect() as connection:
            self.tasks[kode] = int(connection.execute(query).scalar_one())
        return self.tasks[kode]

    def set_account(self, actor: Actor, **values: object) -> None:
        """Change an account behind the API's back (disable it, or change its role); the
        service trusts a token it has seen for ``TOKEN_TTL_S``, so its memory is cleared too,
        as if that time had passed."""
        with self.context.engine.begin() as connection:
            connection.execute(
                update(account).where(account.c.id == actor.account_id).values(**values)
            )
        self.context.accounts.forget()


CAST: tuple[tuple[str, Role, str], ...] = (
    ("officer_a", Role.OFFICER, TPS_A),
    ("officer_b", Role.OFFICER, TPS_B),
    ("verifier_in", Role.VERIFIER, KABUPATEN),
    ("verifier_out", Role.VERIFIER, ELSEWHERE),
    ("adjudicator", Role.ADJUDICATOR, KABUPATEN),
    ("admin", Role.ADMIN, ""),
    ("disabled", Role.VERIFIER, KABUPATEN),
)


@contextmanager
def running_world(
    database_url: str,
    root: Path,
    rate_limiter: RateLimiter | None = None,
    public_limiter: RateLimiter | None = None,
) -> Iterator[World]:
    """The service over a fresh database, with one account of every role (plus the public,
    an unknown token and a disabled account)."""
    engine = open_engine(database_url)
    upgrade(engine)
    key = load_or_create(root / "server.pem")
    files = LocalPhotoStore(root / "photos")
    context = AppContext(engine, key, files)
    if rate_limiter is not None:
        context.rate_limiter = rate_limiter
    if public_limiter is not None:
        context.public_limiter = public_limiter
    snapshot = root / "snapshots" / SNAPSHOT_FILE
    snapshot.parent.mkdir(parents=True)
    snapshot.write_text('{"files": []}\n', encoding="utf-8")
    app = create_app(context, PortalSettings(snapshots=root / "snapshots"))
    try:
        with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as client:
            world = World(app, client, context)
            world.actors["public"] = Actor("public", None)
            world.actors["bad_token"] = Actor("bad_token", BAD_TOKEN)
            for name, role, scope in CAST:
                world.enrol(name, role, scope)
            world.set_account(world.actors["disabled"], disabled=True)
            yield world
    finally:
        engine.dispose()
