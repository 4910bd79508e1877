"""Election day, end to end through the HTTP service with the real reader:

officers enrol devices and upload photographed forms (with valid and invalid signatures, and a
duplicate), workers read and check them, a clean form is accepted, forms that break an identity
go to two verifiers who agree (one TPS) or disagree and go to an adjudicator (another), and the
change log verifies — until someone edits a stored number behind its back.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from rekap.capture.access import Role
from rekap.cli.main import app
from rekap.data import election_2024, region_tree
from rekap.domain.wilayah import KodeWilayah
from rekap.simulation.errors import ErrorKind
from rekap.simulation.photo_set import PhotoOptions, photograph_tps
from rekap.simulation.scenario import SimulationOptions, simulate_election
from rekap.simulation.truth import SimulatedTps
from tests.service.conftest import Service

pytest.importorskip("rekap.reading.digits")
DESA = KodeWilayah("3310052013")
runner = CliRunner()


def simulated(error_rate: float, seed: int) -> list[SimulatedTps]:
    options = SimulationOptions(
        error_rate=error_rate, error_kinds=(ErrorKind.PASLON_MISCOUNT,), correction_rate=0.0
    )
    return list(simulate_election(region_tree(), election_2024(), DESA, seed, options))


def photos_of(tps: SimulatedTps, seed: int) -> dict[int, bytes]:
    options = PhotoOptions(pages=(1, 2, 3), megapixels=(3.0, 4.0), corner_rate=0.0)
    return {shot.page: shot.photo.jpeg for shot in photograph_tps(tps, seed, options)}


def now() -> datetime:
    return datetime.now(UTC)


@pytest.mark.slow
def test_election_day(service: Service, tmp_path: Path) -> None:
    clean = simulated(0.0, seed=11)[0]
    broken_a, broken_b = simulated(1.0, seed=12)[1:3]
    client = service.client
    officers = {t.kode.value: service.officer(t.kode.value) for t in (clean, broken_a, broken_b)}

    receipts = {}
    for tps in (clean, broken_a, broken_b):
        officer = officers[tps.kode.value]
        for page, jpeg in photos_of(tps, seed=5).items():
            answer = client.post(
                f"/api/v1/tps/{tps.kode.value}/photos",
                files={"photo": ("p.jpg", jpeg, "image/jpeg")},
                data=officer.form_for(jpeg, page),
                headers=officer.headers,
            )
            assert answer.status_code == 201, answer.text
            receipts[(tps.kode.value, page)] = answer.json()

    # The same photo again: the same receipt, nothing new.
    officer = officers[clean.kode.value]
    jpeg = photos_of(clean, seed=5)[2]
    again = client.post(
        f"/api/v1/tps/{clean.kode.value}/photos",
        files={"photo": ("p.jpg", jpeg, "image/jpeg")},
        data=officer.form_for(jpeg, 2),
        headers=officer.headers,
    )
    assert again.status_code == 200
    assert again.json()["photo_id"] == receipts[(clean.kode.value, 2)]["photo_id"]
    assert again.json()["signature"] == receipts[(clean.kode.value, 2)]["signature"]

    # A signature over another photo, and an upload for somebody else's TPS, are refused.
    forged = officer.form_for(b"not this photo", 2)
    refused = client.post(
        f"/api/v1/tps/{clean.kode.value}/photos",
        files={"photo": ("p.jpg", jpeg, "image/jpeg")},
        data=forged,
        headers=officer.headers,
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"
    elsewhere = client.post(
        f"/api/v1/tps/{broken_a.kode.value}/photos",
        files={"photo": ("p.jpg", jpeg, "image/jpeg")},
        data=officer.form_for(jpeg, 2, broken_a.kode.value),
        headers=officer.headers,
    )
    assert elsewhere.status_code == 403

    # A receipt checks offline.
    receipt_file = tmp_path / "receipt.json"
    receipt_file.write_text(json.dumps(receipts[(clean.kode.value, 1)]))
    assert runner.invoke(app, ["receipt", "verify", str(receipt_file)]).exit_code == 0
    tampered = {**receipts[(clean.kode.value, 1)], "page": 3}
    receipt_file.write_text(json.dumps(tampered))
    assert runner.invoke(app, ["receipt", "verify", str(receipt_file)]).exit_code == 1

    # Workers read everything; nothing is left waiting.
    from rekap.cli.serve import build_processor

    processed = build_processor(service.context).run_until_idle(now)
    assert processed == 9
    states = {kode: [s for _, _, s, _ in service.context.photos.states(kode)] for kode in officers}
    assert "received" not in {s for values in states.values() for s in values}
    assert set(states[broken_a.kode.value]) == {"needs_verification"}, states
    assert set(states[broken_b.kode.value]) == {"needs_verification"}, states

    # Three verifiers and an adjudicator of the kabupaten; none of them an uploader.
    kabupaten = DESA.value[:4]
    verifiers = [service.enroll_headers(f"v{i}", Role.VERIFIER, kabupaten) for i in range(3)]
    adjudicator = service.enroll_headers("adj", Role.ADJUDICATOR, kabupaten)
    outsider = service.enroll_headers("far", Role.VERIFIER, "11")
    assert client.get("/api/v1/verification/next", headers=outsider).status_code == 204

    def next_for(headers: dict[str, str]) -> dict[str, object]:
        answer = client.get("/api/v1/verification/next", headers=headers)
        assert answer.status_code == 200, answer.text
        task: dict[str, object] = answer.json()
        assert task["reasons"] == []  # double-blind: no machine reading, no other entry
        return task

    def handed(headers: dict[str, str], task_id: object) -> dict[str, object]:
        """Ask until the form is handed to this verifier (forms are drawn at random among
        the oldest: those drawn before it are skipped, as a person may skip a few)."""
        for _ in range(3):  # at most three forms wait here
            task = next_for(headers)
            if task["task_id"] == task_id:
                return task
            skipped = client.post(
                f"/api/v1/verification/tasks/{task['task_id']}/skip", headers=headers
            )
            assert skipped.status_code == 204, skipped.text
        raise AssertionError(f"task {task_id} was never handed out")

    def enter(headers: dict[str, str], task_id: object, values: dict[str, int]) -> str:
        answer = client.post(
            f"/api/v1/verification/tasks/{task_id}/entries",
            json={"values": values, "seconds": 40.0},
            headers=headers,
        )
        assert answer.status_code == 201, answer.text
        state: str = answer.json()["state"]
        return state

    # The clean form is accepted, or sent to people if the reader abstained on a field.
    truth_of = {t.kode.value: t for t in (clean, broken_a, broken_b)}
    first = next_for(verifiers[0])
    agreeing = dict(truth_of[str(first["kode_tps"])].actual)
    assert enter(verifiers[0], first["task_id"], agreeing) == "open"
    twice = client.post(
        f"/api/v1/verification/tasks/{first['task_id']}/entries",
        json={"values": agreeing},
        headers=verifiers[0],
    )
    assert twice.status_code == 409
    handed(verifiers[1], first["task_id"])
    assert enter(verifiers[1], first["task_id"], agreeing) == "verified"

    second = next_for(verifiers[0])
    assert second["task_id"] != first["task_id"]
    right = dict(truth_of[str(second["kode_tps"])].actual)
    wrong = {**right, "paslon_1": (right["paslon_1"] + 1) % 1000}
    assert enter(verifiers[0], second["task_id"], right) == "open"
    handed(verifiers[2], second["task_id"])
    assert enter(verifiers[2], second["task_id"], wrong) == "adjudication"
    adjudication = client.get("/api/v1/verification/next", headers=adjudicator).json()
    assert adjudication["task_id"] == second["task_id"]
    assert adjudication["reasons"]
    assert enter(adjudicator, second["task_id"], right) == "verified"
    left = client.get("/api/v1/verification/next", headers=verifiers[1])
    if left.status_code == 200:  # the third form, if the reader sent it to people
        third = left.json()
        values = dict(truth_of[str(third["kode_tps"])].actual)
        assert enter(verifiers[1], third["task_id"], values) == "open"
        handed(verifiers[0], third["task_id"])  # the only form left with a place for them
        assert enter(verifiers[0], third["task_id"], values) == "verified"
    forms = {kode: [s for _, _, s, _ in service.context.photos.states(kode)] for kode in officers}
    assert {s for values in forms.values() for s in values} <= {"accepted", "verified"}

    stats = client.get(
        "/api/v1/verification/statistics",
        headers={"Authorization": f"Bearer {service.admin_token}"},
    ).json()["verifiers"]
    assert sum(s["entries"] for s in stats) in (4, 6)
    assert sum(s["disagreed_with_final"] for s in stats) == 1

    # Every change is in the public log, with who, when, why, before and after.
    history = client.get(f"/api/v1/tps/{first['kode_tps']}/history").json()["events"]
    kinds = [e["kind"] for e in history]
    assert "photo.received" in kinds
    assert "verification.closed" in kinds
    changes = [e for e in history if e["kind"] == "result.value_changed"]
    assert changes
    assert all(e["payload"]["before"] is None for e in changes)

    db = ["--db", service.database_url]
    assert runner.invoke(app, ["log", "verify", *db]).exit_code == 0
    # The live tally kept up with every upload, reading and verification: `rekap tally --check`.
    assert runner.invoke(app, ["tally", "--check", *db]).exit_code == 0
    with service.context.engine.begin() as connection:
        connection.execute(
            text("UPDATE tps_result SET fields = :f WHERE kode_tps = :k"),
            {
                "f": json.dumps({**agreeing, "paslon_2": agreeing["paslon_2"] + 100}),
                "k": first["kode_tps"],
            },
        )
    assert runner.invoke(app, ["log", "verify", *db]).exit_code == 1
