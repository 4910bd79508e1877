"""A running service on each database: app, context, and helpers to act as officers."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from rekap.adapters.keys import load_or_create, raw_public
from rekap.adapters.photo_files import LocalPhotoStore
from rekap.adapters.storage.engine import open_engine
from rekap.adapters.storage.migrate import upgrade
from rekap.capture.access import Role
from rekap.capture.messages import photo_message
from rekap.capture.photo_check import check_photo
from rekap.web.app import create_app
from rekap.web.context import AppContext
from tests.integration.conftest import database_url  # noqa: F401  (the fixture)

CAPTURED = datetime(2024, 2, 14, 14, 5, tzinfo=UTC)


@dataclass
class Officer:
    token: str
    key: Ed25519PrivateKey
    device_id: str
    kode_tps: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def form_for(self, data: bytes, page: int, kode_tps: str | None = None) -> dict[str, str]:
        checked = check_photo(data)
        sha = getattr(checked, "sha256", "0" * 64)
        message = photo_message(sha, kode_tps or self.kode_tps, page, CAPTURED)
        return {
            "page": str(page),
            "captured_at": CAPTURED.isoformat(),
            "device_id": self.device_id,
            "signature": self.key.sign(message).hex(),
        }


@dataclass
class Service:
    client: TestClient
    context: AppContext
    admin_token: str
    database_url: str

    def enrol(self, name: str, role: Role, scope: str) -> str:
        answer = self.client.post(
            "/api/v1/accounts",
            json={"name": name, "role": role.value, "scope": scope},
            headers={"Authorization": f"Bearer {self.admin_token}"},
        )
        assert answer.status_code == 201, answer.text
        token: str = answer.json()["token"]
        return token

    def enroll_headers(self, name: str, role: Role, scope: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.enrol(name, role, scope)}"}

    def officer(self, kode_tps: str) -> Officer:
        token = self.enrol(f"KPPS {kode_tps}", Role.OFFICER, kode_tps)
        key = Ed25519PrivateKey.generate()
        answer = self.client.post(
            "/api/v1/devices",
            json={"public_key": raw_public(key.public_key()).hex()},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert answer.status_code == 201, answer.text
        return Officer(token, key, answer.json()["device_id"], kode_tps)

    def upload_pages(self, kode_tps: str, shots: Mapping[int, bytes]) -> Officer:
        """A new officer of the TPS uploads one photo of each page; every one is taken (201)."""
        officer = self.officer(kode_tps)
        for page, jpeg in shots.items():
            answer = self.client.post(
                f"/api/v1/tps/{kode_tps}/photos",
                files={"photo": ("p.jpg", jpeg, "image/jpeg")},
                data=officer.form_for(jpeg, page),
                headers=officer.headers,
            )
            assert answer.status_code == 201, answer.text
        return officer


@pytest.fixture
def service(database_url: str, tmp_path: Path) -> Iterator[Service]:  # noqa: F811
    engine = open_engine(database_url)
    upgrade(engine)
    context = AppContext(
        engine,
        load_or_create(tmp_path / "key.pem"),
        LocalPhotoStore(tmp_path / "photos"),
    )
    _, admin_token = context.accounts.enrol("admin", Role.ADMIN, "", CAPTURED, "test")
    with TestClient(create_app(context), raise_server_exceptions=False) as client:
        yield Service(client, context, admin_token, database_url)
    engine.dispose()
