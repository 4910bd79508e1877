"""After enrolment, on SQLite and PostgreSQL: an administrator lists accounts with their
devices, revokes a lost phone's key, disables an account, gives one a new token; each change
is an event in the log and takes effect on the next request; nobody else may do it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from rekap.adapters.keys import raw_public
from rekap.capture.access import Role
from rekap.cli.main import app
from tests.service.conftest import Officer, Service
from tests.service.test_election_day import photos_of, simulated


def _upload(service: Service, officer: Officer, page: int, jpeg: bytes) -> httpx.Response:
    answer: httpx.Response = service.client.post(
        f"/api/v1/tps/{officer.kode_tps}/photos",
        files={"photo": ("p.jpg", jpeg, "image/jpeg")},
        data=officer.form_for(jpeg, page),
        headers=officer.headers,
    )
    return answer


def _as_admin(service: Service, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {service.admin_token}"}
    if body is None:
        answer: httpx.Response = service.client.post(path, headers=headers)
    else:
        answer = service.client.post(path, json=body, headers=headers)
    return answer


def _kinds(service: Service) -> list[str]:
    return [record.kind for record in service.context.log.records()]


def _account_of(service: Service, officer: Officer) -> str:
    principal = service.context.accounts.authenticate(officer.token)
    assert principal is not None
    return principal.account_id


def _register(service: Service, token: str) -> httpx.Response:
    key = raw_public(Ed25519PrivateKey.generate().public_key()).hex()
    answer: httpx.Response = service.client.post(
        "/api/v1/devices", json={"public_key": key}, headers={"Authorization": f"Bearer {token}"}
    )
    return answer


def test_a_stolen_phone_signs_nothing_more_and_its_token_registers_no_key(
    service: Service,
) -> None:
    tps = simulated(0.0, seed=71)[0]
    shots = photos_of(tps, seed=3)
    officer = service.officer(tps.kode.value)
    assert _upload(service, officer, 1, shots[1]).status_code == 201
    path = f"/api/v1/devices/{officer.device_id}/revoke"
    revoked = _as_admin(service, path, {"reason": "phone stolen"})
    assert revoked.status_code == 200, revoked.text
    token = revoked.json()["token"]
    assert revoked.json()["changed"] and token
    assert _as_admin(service, path, {"reason": "again"}).json() == {"changed": False, "token": None}
    refused = _upload(service, officer, 2, shots[2])
    assert refused.status_code == 401  # the thief's token is the old one
    assert _register(service, officer.token).status_code == 401  # so no key of his own
    # the officer's new phone: the new token, a new key (the revoked one never comes back)
    renewed = Officer(token, officer.key, officer.device_id, officer.kode_tps)
    refused = _upload(service, renewed, 2, shots[2])
    assert refused.status_code == 403
    assert refused.json()["error"]["details"] == {"reason": "device_revoked"}
    again = service.client.post(
        "/api/v1/devices",
        json={"public_key": raw_public(officer.key.public_key()).hex()},
        headers=renewed.headers,
    )
    assert again.status_code == 409
    assert "revoked" in again.json()["error"]["message"]
    key = Ed25519PrivateKey.generate()
    registered = service.client.post(
        "/api/v1/devices",
        json={"public_key": raw_public(key.public_key()).hex()},
        headers=renewed.headers,
    )
    assert registered.status_code == 201
    phone = Officer(token, key, registered.json()["device_id"], officer.kode_tps)
    assert _upload(service, phone, 2, shots[2]).status_code == 201
    pages = [page for _, page, _, _ in service.context.photos.states(tps.kode.value)]
    assert sorted(pages) == [1, 2]  # the photo sent before the revocation stays
    kinds = _kinds(service)
    assert kinds.count("device.revoked") == 1 and kinds.count("account.token_reissued") == 1


def test_a_broken_phone_may_keep_its_officers_token(service: Service) -> None:
    tps = simulated(0.0, seed=75)[0]
    officer = service.officer(tps.kode.value)
    path = f"/api/v1/devices/{officer.device_id}/revoke"
    kept = _as_admin(service, path, {"reason": "screen broken", "keep_token": True})
    assert kept.json() == {"changed": True, "token": None}
    assert _register(service, officer.token).status_code == 201
    assert "account.token_reissued" not in _kinds(service)


def test_a_disabled_account_is_refused_and_gets_no_new_token(service: Service) -> None:
    tps = simulated(0.0, seed=72)[0]
    shots = photos_of(tps, seed=4)
    officer = service.officer(tps.kode.value)
    account_id = _account_of(service, officer)
    disabled = _as_admin(service, f"/api/v1/accounts/{account_id}/disable", {"reason": "left"})
    assert disabled.json() == {"changed": True}
    refused = _upload(service, officer, 1, shots[1])
    assert refused.status_code == 401
    token = _as_admin(service, f"/api/v1/accounts/{account_id}/token")
    assert token.status_code == 409
    assert service.context.photos.states(tps.kode.value) == []
    assert _kinds(service).count("account.disabled") == 1


def test_a_new_token_replaces_the_old_one(service: Service) -> None:
    tps = simulated(0.0, seed=73)[0]
    shots = photos_of(tps, seed=5)
    officer = service.officer(tps.kode.value)
    account_id = _account_of(service, officer)
    answer = _as_admin(service, f"/api/v1/accounts/{account_id}/token")
    assert answer.status_code == 201
    token = answer.json()["token"]
    assert token != officer.token
    assert _upload(service, officer, 1, shots[1]).status_code == 401
    renewed = Officer(token, officer.key, officer.device_id, officer.kode_tps)
    assert _upload(service, renewed, 1, shots[1]).status_code == 201
    logged = [r for r in service.context.log.records() if r.kind == "account.token_reissued"]
    assert len(logged) == 1
    assert token not in json.dumps(logged[0].payload)


def test_only_an_administrator_may_and_the_last_one_stays(service: Service) -> None:
    verifier = service.enroll_headers("V", Role.VERIFIER, "74")
    admin = service.context.accounts.authenticate(service.admin_token)
    assert admin is not None
    for path, body in (
        (f"/api/v1/accounts/{admin.account_id}/disable", {"reason": "x"}),
        (f"/api/v1/accounts/{admin.account_id}/token", None),
        ("/api/v1/devices/0123456789abcdef/revoke", {"reason": "x"}),
    ):
        assert service.client.post(path, json=body, headers=verifier).status_code == 403
    assert service.client.get("/api/v1/accounts", headers=verifier).status_code == 403
    last = _as_admin(service, f"/api/v1/accounts/{admin.account_id}/disable", {"reason": "x"})
    assert last.status_code == 409
    assert "last" in last.json()["error"]["message"]
    unknown = _as_admin(service, "/api/v1/accounts/00000000000000ff/disable", {"reason": "x"})
    assert unknown.status_code == 404
    assert (
        _as_admin(service, "/api/v1/devices/00000000000000ff/revoke", {"reason": "x"}).status_code
        == 404
    )
    assert _as_admin(service, "/api/v1/devices/not-hex/revoke", {"reason": "x"}).status_code == 422
    for reason in ("", "   ", "x\x1b]8;;http://evil\x07", "a\nb", "\u202egnp.exe", "x" * 501):
        odd = _as_admin(service, f"/api/v1/accounts/{admin.account_id}/disable", {"reason": reason})
        assert odd.status_code == 422, reason


def test_accounts_are_listed_by_region_a_page_at_a_time(service: Service) -> None:
    first, second = simulated(0.0, seed=74)[:2]
    officers = [service.officer(first.kode.value), service.officer(second.kode.value)]
    _as_admin(service, f"/api/v1/devices/{officers[0].device_id}/revoke", {"reason": "lost"})
    headers = {"Authorization": f"Bearer {service.admin_token}"}
    listed = service.client.get(
        "/api/v1/accounts", params={"scope": first.kode.value}, headers=headers
    ).json()
    assert [a["scope"] for a in listed["accounts"]] == [first.kode.value]
    (device,) = listed["accounts"][0]["devices"]
    assert device["device_id"] == officers[0].device_id and device["revoked_at"] is not None
    assert "token" not in json.dumps(listed)
    pages: list[str] = []
    after = ""
    while True:
        page = service.client.get(
            "/api/v1/accounts", params={"limit": 1, "after": after}, headers=headers
        ).json()
        pages += [a["account_id"] for a in page["accounts"]]
        if page["next_after"] is None:
            break
        after = page["next_after"]
    assert len(pages) == 3 and pages == sorted(pages)  # the admin and the two officers


def test_the_command_line_does_the_same(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'rekap.db'}"
    runner = CliRunner()
    admin = runner.invoke(app, ["admin", "create", "root", "--db", db])
    assert admin.exit_code == 0, admin.output
    made = runner.invoke(
        app, ["admin", "create", "V", "--role", "verifier", "--scope", "74", "--db", db]
    )
    account_id = json.loads(made.stdout)["account_id"]
    listed = runner.invoke(app, ["admin", "list", "--json", "--scope", "74", "--db", db])
    assert [json.loads(line)["account_id"] for line in listed.stdout.splitlines()] == [account_id]
    token = runner.invoke(app, ["admin", "token", account_id, "--db", db])
    assert token.exit_code == 0 and json.loads(token.stdout)["token"]
    disabled = runner.invoke(app, ["admin", "disable", account_id, "--reason", "left", "--db", db])
    assert disabled.exit_code == 0, disabled.output
    again = runner.invoke(app, ["admin", "token", account_id, "--db", db])
    assert again.exit_code == 2 and "disabled" in again.output
    unknown = runner.invoke(app, ["admin", "revoke-device", "ff", "--reason", "x", "--db", db])
    assert unknown.exit_code == 2 and "no device" in unknown.output
    escape = runner.invoke(
        app,
        ["admin", "disable", account_id, "--reason", "x\x1b[2Jy", "--db", db],
        env={"COLUMNS": "300"},
    )
    assert escape.exit_code == 2 and "control characters" in escape.output
    odd = runner.invoke(
        app,
        ["admin", "create", "Budi [/] [bold]S.", "--role", "verifier", "--scope", "74", "--db", db],
    )
    assert odd.exit_code == 0, odd.output
    table = runner.invoke(app, ["admin", "list", "--db", db], env={"COLUMNS": "300"})
    assert table.exit_code == 0, table.output
    assert "disabled" in table.stdout and "Budi [/] [bold]S." in table.stdout
    page = runner.invoke(app, ["admin", "list", "--limit", "1", "--db", db])
    assert "--after" in page.output
