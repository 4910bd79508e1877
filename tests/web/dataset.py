"""A small but real election night for the portal tests.

Sirekap's own sample (579 TPS of DKI Jakarta) is imported with its findings; then eight TPS of
one Kendari desa are simulated, photographed, uploaded through the API with signed device
keys, and read by the real reader (and two of another desa, for the browser tests that take
a form to its end), so forms are accepted or sent to verification as in
production, and every number has a photo crop.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from rekap.adapters.keys import load_or_create, raw_public
from rekap.adapters.photo_files import LocalPhotoStore
from rekap.adapters.storage.engine import open_engine
from rekap.adapters.storage.migrate import upgrade
from rekap.adapters.storage.repository import SqlStore
from rekap.capture.access import Role
from rekap.capture.messages import photo_message
from rekap.capture.photo_check import check_photo
from rekap.cli.serve import build_processor
from rekap.cli.sirekap import import_sirekap
from rekap.data import election_2024, region_tree
from rekap.domain.wilayah import KodeWilayah
from rekap.simulation.errors import ErrorKind
from rekap.simulation.photo_set import PhotoOptions, photograph_tps
from rekap.simulation.scenario import SimulationOptions, simulate_election
from rekap.simulation.truth import SimulatedTps
from rekap.web.app import create_app
from rekap.web.context import AppContext, utc_now
from rekap.web.portal.settings import PortalSettings

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "examples" / "sirekap-raw-sample"
DESA = "7471011007"  # LABIBIA, Kota Kendari: 10 TPS, eight of them photographed
PHOTOGRAPHED = 8
SPENT_DESA = "7471021011"  # KAMPUNG SALO, Kota Kendari (another kecamatan): 8 TPS
SPENT_PHOTOGRAPHED = 3
"""Forms of their own for the workspace tests that run when LABIBIA's are spent (by the tests
before them, in one run): the tests scoped to LABIBIA's kecamatan never see them."""
CAPTURED = datetime(2024, 2, 14, 14, 30, tzinfo=UTC)


@dataclass
class Dataset:
    root: Path
    context: AppContext
    admin_token: str
    truth: dict[str, SimulatedTps]
    spare: list[SimulatedTps]
    """Simulated TPS of the desa not uploaded yet (for the officer upload test)."""

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.root / 'rekap.db'}"

    def settings(self) -> PortalSettings:
        return PortalSettings(
            snapshots=self.root / "snapshots", refresh_seconds=0.0, rebuild_in_background=False
        )

    def enrol(self, name: str, role: Role, scope: str) -> str:
        _, token = self.context.accounts.enrol(name, role, scope, utc_now(), "test")
        return token


def simulated(desa: str = DESA) -> list[SimulatedTps]:
    """Most of the desa's KPPS miscount a paslon (a blocking finding), so that the verifier
    tests have forms to verify: the reader itself now abstains on few numbers."""
    options = SimulationOptions(
        error_rate=0.9, error_kinds=(ErrorKind.PASLON_MISCOUNT,), correction_rate=0.0
    )
    return list(simulate_election(region_tree(), election_2024(), KodeWilayah(desa), 7, options))


def photos_of(tps: SimulatedTps) -> dict[int, bytes]:
    options = PhotoOptions(pages=(1, 2, 3), megapixels=(2.0, 2.0), corner_rate=0.0)
    return {shot.page: shot.photo.jpeg for shot in photograph_tps(tps, 3, options)}


def upload_all(client: TestClient, context: AppContext, tps: SimulatedTps) -> None:
    """As the officer's phone: enrol, register a key, sign and send every page."""
    kode = tps.kode.value
    principal, token = context.accounts.enrol(f"KPPS {kode}", Role.OFFICER, kode, utc_now(), "t")
    key = Ed25519PrivateKey.generate()
    device = context.accounts.register_device(principal, raw_public(key.public_key()), utc_now())
    for page, jpeg in photos_of(tps).items():
        captured = CAPTURED + timedelta(minutes=page)
        sha = getattr(check_photo(jpeg), "sha256", "")
        answer = client.post(
            f"/api/v1/tps/{kode}/photos",
            files={"photo": (f"{page}.jpg", jpeg, "image/jpeg")},
            data={
                "page": str(page),
                "captured_at": captured.isoformat(),
                "device_id": device,
                "signature": key.sign(photo_message(sha, kode, page, captured)).hex(),
            },
            headers={"Authorization": f"Bearer {token}"},
        )
        assert answer.status_code == 201, answer.text


def build_dataset(root: Path) -> Dataset:
    root.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{root / 'rekap.db'}"
    engine = open_engine(url)
    upgrade(engine)
    SqlStore(engine).load_regions(region_tree())
    import_sirekap(SAMPLE, url)
    context = AppContext(
        engine, load_or_create(root / "server.pem"), LocalPhotoStore(root / "photos")
    )
    _, admin = context.accounts.enrol("admin", Role.ADMIN, "", utc_now(), "test")
    everyone = simulated()
    chosen, spare = everyone[:PHOTOGRAPHED], everyone[PHOTOGRAPHED:]
    spent = simulated(SPENT_DESA)[:SPENT_PHOTOGRAPHED]
    with TestClient(create_app(context)) as client:
        for tps in chosen + spent:
            upload_all(client, context, tps)
    build_processor(context).run_until_idle(utc_now)
    truth = {t.kode.value: t for t in everyone + spent}
    return Dataset(root, context, admin, truth, spare)
