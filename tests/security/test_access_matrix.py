"""Who may call every route, and who may not.

``MATRIX`` holds, for every route of ``create_app(...)``, one request and the exact answer each
caller gets: the public (no token), an unknown token, a disabled account, the officer of the
TPS (A) and the officer of another TPS (B), a verifier whose region holds A and one whose
region does not, an adjudicator of A's region, and an admin. A route added to the app without
an entry here fails ``test_every_route_has_a_matrix_entry``.

API answers of 4xx carry the one error shape; HTML pages send a caller without a valid login to
``/masuk`` (303; an entry posted without one is answered by the login page itself, 401, which
carries it) and a caller of the wrong role to a 403 page.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from rekap.adapters.keys import raw_public
from rekap.adapters.storage.schema import photo
from rekap.capture.access import Role
from tests.security.checks import access_rules, check_error_shape, refused, routes_of
from tests.security.world import (
    CAPTURED,
    KABUPATEN,
    OWN_TPS,
    SNAPSHOT_FILE,
    TPS_A,
    TPS_C,
    Actor,
    World,
    fresh_jpeg,
)

ROLES = (
    "public",
    "bad_token",
    "disabled",
    "officer_a",
    "officer_b",
    "verifier_in",
    "verifier_out",
    "adjudicator",
    "admin",
)
NO_LOGIN = ("public", "bad_token", "disabled")
LOGIN = "/masuk?lanjut="


@dataclass(frozen=True)
class Answer:
    status: int
    location: str | None = None  # the start of the Location header of a redirect


Call = Callable[[World, Actor], httpx.Response]


@dataclass(frozen=True)
class Entry:
    call: Call
    expect: Mapping[str, Answer]


def _answers(
    default: int, given: Mapping[str, int | Answer], no_login: Answer
) -> dict[str, Answer]:
    answers = {role: Answer(default) for role in ROLES}
    answers.update(dict.fromkeys(NO_LOGIN, no_login))
    for role, answer in given.items():
        answers[role] = answer if isinstance(answer, Answer) else Answer(answer)
    return answers


def api(**allowed: int | Answer) -> dict[str, Answer]:
    """An API route: 401 without a valid token, 403 for the other roles."""
    return _answers(403, allowed, Answer(401))


def page(**allowed: int | Answer) -> dict[str, Answer]:
    """A workspace page: a login redirect without a valid login, 403 for the other roles."""
    return _answers(403, allowed, Answer(303, LOGIN))


def public(status: int = 200, **given: int | Answer) -> dict[str, Answer]:
    """Anyone may call it; a bearer token, if sent, must be valid (else 401)."""
    return _answers(status, {"public": status, **given}, Answer(401))


def public_redirect(location: str, status: int = 308) -> dict[str, Answer]:
    """``public``, answered by a redirect to ``location``."""
    moved = Answer(status, location)
    return {role: moved if answer.status == 200 else answer for role, answer in public().items()}


def open_to_all(status: int = 200) -> dict[str, Answer]:
    """No access rule at all (the API's own description)."""
    return {role: Answer(status) for role in ROLES}


def get(path: Callable[[World], str]) -> Call:
    def call(world: World, actor: Actor) -> httpx.Response:
        answer: httpx.Response = world.client.get(path(world), headers=actor.headers)
        return answer

    return call


def _photo_of_a(world: World) -> int:
    return world.photos[TPS_A][0]


def _photo_hash_of_a(world: World) -> str:
    with world.context.engine.connect() as connection:
        found = connection.execute(
            select(photo.c.sha256).where(photo.c.id == _photo_of_a(world))
        ).scalar_one()
    return str(found)


def _values(world: World, value: int = 0) -> dict[str, int]:
    return {f.id: value for f in world.context.form.fields}


def _enrol(world: World, actor: Actor) -> httpx.Response:
    body = {"name": "new verifier", "role": Role.VERIFIER.value, "scope": KABUPATEN}
    answer: httpx.Response = world.client.post("/api/v1/accounts", json=body, headers=actor.headers)
    return answer


def _device(world: World, actor: Actor) -> httpx.Response:
    key = raw_public(Ed25519PrivateKey.generate().public_key()).hex()
    answer: httpx.Response = world.client.post(
        "/api/v1/devices", json={"public_key": key}, headers=actor.headers
    )
    return answer


def _upload_for_a(world: World, actor: Actor) -> httpx.Response:
    """A new photo of TPS A's page 1, signed by the caller's own phone (if any)."""
    jpeg = fresh_jpeg()
    answer: httpx.Response = world.client.post(
        f"/api/v1/tps/{TPS_A}/photos",
        files={"photo": ("p.jpg", jpeg, "image/jpeg")},
        data=actor.signed_form(jpeg, TPS_A, 1),
        headers=actor.headers,
    )
    return answer


def _put_for_a(world: World, actor: Actor) -> httpx.Response:
    """The same upload as a raw body, its signed details in headers."""
    jpeg = fresh_jpeg()
    form = actor.signed_form(jpeg, TPS_A, 2)
    headers = {
        **actor.headers,
        "Content-Type": "image/jpeg",
        "X-Captured-At": form["captured_at"],
        "X-Device-Id": form["device_id"],
        "X-Signature": form["signature"],
    }
    answer: httpx.Response = world.client.put(
        f"/api/v1/tps/{TPS_A}/photos/2", content=jpeg, headers=headers
    )
    return answer


def _enter_a(world: World, actor: Actor) -> httpx.Response:
    world.hand(actor, world.tasks[TPS_A])  # (to anyone: whether they may enter is tested)
    answer: httpx.Response = world.client.post(
        f"/api/v1/verification/tasks/{world.tasks[TPS_A]}/entries",
        json={"values": _values(world), "seconds": 30.0},
        headers=actor.headers,
    )
    return answer


def _enter_c_on_the_page(world: World, actor: Actor) -> httpx.Response:
    world.hand(actor, world.tasks[TPS_C])
    form = {k: str(v) for k, v in _values(world).items()}
    answer: httpx.Response = world.client.post(
        f"/verifikasi/tugas/{world.tasks[TPS_C]}", data=form, headers=actor.headers
    )
    return answer


SKIP_TPS = "3310052010001"  # a task of its own for the skip routes (nobody enters it)


def _skip_task(world: World) -> int:
    if SKIP_TPS not in world.tasks:
        world.photograph(world.enrol("officer of the skipped form", Role.OFFICER, SKIP_TPS))
    return world.tasks[SKIP_TPS]


def _skip(world: World, actor: Actor) -> httpx.Response:
    task = _skip_task(world)
    world.hand(actor, task)  # (to anyone: whether they may skip it is what is tested)
    answer: httpx.Response = world.client.post(
        f"/api/v1/verification/tasks/{task}/skip", headers=actor.headers
    )
    return answer


def _skip_on_the_page(world: World, actor: Actor) -> httpx.Response:
    task = _skip_task(world)
    world.hand(actor, task)
    answer: httpx.Response = world.client.post(
        f"/verifikasi/tugas/{task}/lewati", headers=actor.headers
    )
    return answer


REPORT_TPS = "3310052010002"  # a task of its own for reports over the API
REPORT_PAGE_TPS = "3310052010003"  # and on the page


def _report_task(world: World, kode: str) -> tuple[int, int]:
    """The task of ``kode`` (photographed once) and its page-1 photo."""
    if kode not in world.tasks:
        world.photograph(world.enrol(f"officer of {kode}", Role.OFFICER, kode))
    listed = world.client.get(f"/api/v1/tps/{kode}/photos").json()["photos"]
    return world.tasks[kode], min(p["id"] for p in listed if p["page"] == 1)


def _report(world: World, actor: Actor) -> httpx.Response:
    task, photo_id = _report_task(world, REPORT_TPS)
    world.hand(actor, task)  # (to anyone: whether they may report it is what is tested)
    answer: httpx.Response = world.client.post(
        f"/api/v1/verification/tasks/{task}/unreadable",
        json={"photo_ids": [photo_id]},
        headers=actor.headers,
    )
    return answer


def _report_on_the_page(world: World, actor: Actor) -> httpx.Response:
    task, photo_id = _report_task(world, REPORT_PAGE_TPS)
    world.hand(actor, task)
    answer: httpx.Response = world.client.post(
        f"/verifikasi/tugas/{task}/tidak-terbaca",
        data={"foto": str(photo_id)},
        headers=actor.headers,
    )
    return answer


def _login(world: World, actor: Actor) -> httpx.Response:
    token = actor.token or "nobody"
    answer: httpx.Response = world.client.post(
        "/masuk", data={"token": token}, headers=actor.headers
    )
    return answer


def _logout(world: World, actor: Actor) -> httpx.Response:
    answer: httpx.Response = world.client.post("/keluar", headers=actor.headers)
    return answer


def _someone(world: World, role: Role, scope: str) -> str:
    """A fresh account to act on (the actors of the matrix stay as they are)."""
    principal, _ = world.context.accounts.enrol("target", role, scope, CAPTURED, "test")
    return principal.account_id


def _disable(world: World, actor: Actor) -> httpx.Response:
    target = _someone(world, Role.VERIFIER, KABUPATEN)
    answer: httpx.Response = world.client.post(
        f"/api/v1/accounts/{target}/disable", json={"reason": "left"}, headers=actor.headers
    )
    return answer


def _reissue(world: World, actor: Actor) -> httpx.Response:
    target = _someone(world, Role.VERIFIER, KABUPATEN)
    answer: httpx.Response = world.client.post(
        f"/api/v1/accounts/{target}/token", headers=actor.headers
    )
    return answer


def _revoke(world: World, actor: Actor) -> httpx.Response:
    owner = world.enrol("lost phone", Role.OFFICER, TPS_C)
    answer: httpx.Response = world.client.post(
        f"/api/v1/devices/{owner.device_id}/revoke", json={"reason": "lost"}, headers=actor.headers
    )
    return answer


def _retry(world: World, actor: Actor) -> httpx.Response:
    """A photo of A named for a retry (it has not failed: said in the answer, nothing done)."""
    body = {"reason": "reader fixed", "photo_ids": [_photo_of_a(world)]}
    answer: httpx.Response = world.client.post(
        "/api/v1/photos/retry", json=body, headers=actor.headers
    )
    return answer


MATRIX: dict[str, Entry] = {
    # Capture (API)
    "POST /api/v1/accounts": Entry(_enrol, api(admin=201)),
    "GET /api/v1/accounts": Entry(get(lambda w: "/api/v1/accounts"), api(admin=200)),
    "POST /api/v1/accounts/{account_id}/disable": Entry(_disable, api(admin=200)),
    "POST /api/v1/accounts/{account_id}/token": Entry(_reissue, api(admin=201)),
    "POST /api/v1/devices/{device_id}/revoke": Entry(_revoke, api(admin=200)),
    "GET /api/v1/photos/failed": Entry(get(lambda w: "/api/v1/photos/failed"), api(admin=200)),
    "POST /api/v1/photos/retry": Entry(_retry, api(admin=200)),
    "POST /api/v1/devices": Entry(_device, api(officer_a=201, officer_b=201)),
    "POST /api/v1/tps/{kode_tps}/photos": Entry(_upload_for_a, api(officer_a=201)),
    "PUT /api/v1/tps/{kode_tps}/photos/{page}": Entry(_put_for_a, api(officer_a=201)),
    "GET /api/v1/tps/{kode_tps}/photos": Entry(
        get(lambda w: f"/api/v1/tps/{TPS_A}/photos"), public()
    ),
    "GET /api/v1/health": Entry(get(lambda w: "/api/v1/health"), public()),
    # Verification (API)
    "GET /api/v1/verification/next": Entry(
        get(lambda w: "/api/v1/verification/next"),
        api(verifier_in=200, verifier_out=204, adjudicator=204),
    ),
    "POST /api/v1/verification/tasks/{task_id}/entries": Entry(
        _enter_a, api(verifier_in=201, verifier_out=403, adjudicator=409)
    ),
    "POST /api/v1/verification/tasks/{task_id}/skip": Entry(
        _skip, api(verifier_in=204, verifier_out=403, adjudicator=409)
    ),
    "POST /api/v1/verification/tasks/{task_id}/unreadable": Entry(
        _report, api(verifier_in=200, verifier_out=403, adjudicator=409)
    ),
    "GET /api/v1/verification/statistics": Entry(
        get(lambda w: "/api/v1/verification/statistics"), api(admin=200)
    ),
    # Public reads (API)
    "GET /api/v1/log": Entry(get(lambda w: "/api/v1/log"), public()),
    "GET /api/v1/tps/{kode_tps}/history": Entry(
        get(lambda w: f"/api/v1/tps/{TPS_A}/history"), public()
    ),
    "GET /api/v1/photos/{photo_id}": Entry(
        get(lambda w: f"/api/v1/photos/{_photo_of_a(w)}"), public()
    ),
    "GET /api/v1/photos/sha256/{sha256}": Entry(
        get(lambda w: f"/api/v1/photos/sha256/{_photo_hash_of_a(w)}"), public()
    ),
    "GET /api/v1/keys": Entry(get(lambda w: "/api/v1/keys"), public()),
    # The API's own description: no access rule, no token looked at.
    "GET /api/v1/openapi.json": Entry(get(lambda w: "/api/v1/openapi.json"), open_to_all()),
    "GET /api/v1/docs": Entry(get(lambda w: "/api/v1/docs"), open_to_all()),
    # The public portal
    "GET /static/{name}": Entry(get(lambda w: "/static/portal.css"), public()),
    "GET /": Entry(get(lambda w: "/"), public()),
    "GET /nasional.json": Entry(get(lambda w: "/nasional.json"), public()),
    "GET /nasional.csv": Entry(get(lambda w: "/nasional.csv"), public()),
    "GET /nasional/perubahan": Entry(get(lambda w: "/nasional/perubahan"), public()),
    "GET /nasional": Entry(get(lambda w: "/nasional"), public_redirect("/")),
    "GET /wilayah/{name}": Entry(get(lambda w: f"/wilayah/{KABUPATEN}"), public()),
    "GET /wilayah/{kode}/perubahan": Entry(
        get(lambda w: f"/wilayah/{KABUPATEN}/perubahan"), public()
    ),
    "GET /tps/{name}": Entry(get(lambda w: f"/tps/{TPS_A}"), public()),
    "GET /foto/{photo_id}/kecil.jpg": Entry(
        get(lambda w: f"/foto/{_photo_of_a(w)}/kecil.jpg"), public()
    ),
    # The stub reading has no page geometry, so there is no crop to show: 404 for everyone
    # who passes the access rule.
    "GET /foto/{photo_id}/{field_id}.jpg": Entry(
        get(lambda w: f"/foto/{_photo_of_a(w)}/paslon_1.jpg"), public(404)
    ),
    "GET /cari": Entry(get(lambda w: "/cari?q=klaten"), public()),
    "GET /cari.json": Entry(get(lambda w: "/cari.json?q=klaten"), public()),
    "GET /anomali": Entry(get(lambda w: "/anomali"), public()),
    "GET /anomali.{form}": Entry(get(lambda w: "/anomali.json"), public()),
    "GET /data": Entry(get(lambda w: "/data"), public()),
    "GET /data/snapshots/{path:path}": Entry(
        get(lambda w: f"/data/snapshots/{SNAPSHOT_FILE}"), public()
    ),
    # Login and logout are the only public writes: they set or clear the login cookie.
    "GET /masuk": Entry(get(lambda w: "/masuk"), public()),
    "POST /masuk": Entry(
        _login,
        public(
            303,
            public=401,
            officer_a=Answer(303, "/petugas"),
            officer_b=Answer(303, "/petugas"),
            verifier_in=Answer(303, "/verifikasi"),
            verifier_out=Answer(303, "/verifikasi"),
            adjudicator=Answer(303, "/verifikasi"),
            admin=Answer(303, "/verifikasi/statistik"),
        ),
    ),
    "POST /keluar": Entry(_logout, public(303, public=Answer(303, "/"))),
    # The verifier workspace
    "GET /verifikasi": Entry(
        get(lambda w: "/verifikasi"), page(verifier_in=200, verifier_out=200, adjudicator=200)
    ),
    "POST /verifikasi/tugas/{task_id}": Entry(
        _enter_c_on_the_page,
        page(
            verifier_in=Answer(303, "/verifikasi?selesai="),
            verifier_out=403,
            # not an adjudicator's form (it is open): nothing saved, their own form shown
            adjudicator=Answer(303, "/verifikasi?tidak_disimpan="),
        )
        # an entry posted without a valid login: the login page itself, carrying what was
        # typed to the form again (docs/portal.md), saved by nobody
        | dict.fromkeys(NO_LOGIN, Answer(401)),
    ),
    "POST /verifikasi/tugas/{task_id}/lewati": Entry(
        _skip_on_the_page,
        page(
            verifier_in=Answer(303, "/verifikasi?dilewati="),
            verifier_out=403,
            # not an adjudicator's form (it is open): nothing skipped, their own form shown
            adjudicator=Answer(303, "/verifikasi?tidak_lagi="),
        ),
    ),
    "POST /verifikasi/tugas/{task_id}/tidak-terbaca": Entry(
        _report_on_the_page,
        page(
            verifier_in=Answer(303, "/verifikasi?dilaporkan="),
            verifier_out=403,
            adjudicator=Answer(303, "/verifikasi?tidak_lagi="),
        ),
    ),
    "GET /verifikasi/statistik": Entry(
        get(lambda w: "/verifikasi/statistik"),
        page(verifier_in=200, verifier_out=200, adjudicator=200, admin=200),
    ),
    # The officer's upload page and receipts: only one's own TPS's photos.
    "GET /petugas": Entry(get(lambda w: "/petugas"), page(officer_a=200, officer_b=200)),
    "GET /petugas/kwitansi/{photo_id}.json": Entry(
        get(lambda w: f"/petugas/kwitansi/{_photo_of_a(w)}.json"),
        page(officer_a=200, officer_b=404),
    ),
}


def test_every_route_has_a_matrix_entry(world: World) -> None:
    served = {f"{method} {path}" for method, path, _ in routes_of(world.app)}
    assert len(served) > 30  # the walk really found the routers' routes
    assert served - set(MATRIX) == set(), "routes without an access-matrix entry"
    assert set(MATRIX) - served == set(), "matrix entries for routes that do not exist"


def test_every_route_declares_its_access(world: World) -> None:
    """What ``create_app`` promises to check at start-up, checked here on the real routes."""
    undeclared = [
        f"{method} {path}"
        for method, path, dependant in routes_of(world.app)
        if dependant is not None and not access_rules(dependant)
    ]
    assert undeclared == []


def test_only_login_and_logout_are_public_writes(world: World) -> None:
    public_writes = {
        f"{method} {path}"
        for method, path, dependant in routes_of(world.app)
        if method not in ("GET", "HEAD") and any(r.public for r in access_rules(dependant))
    }
    assert public_writes == {"POST /masuk", "POST /keluar"}


@pytest.mark.parametrize("route", sorted(MATRIX))
def test_access(world: World, route: str) -> None:
    entry = MATRIX[route]
    assert set(entry.expect) == set(ROLES), route
    wrong = {}
    for role in ROLES:
        world.client.cookies.clear()  # the login route sets one; every caller starts bare
        answer = entry.call(world, world.actors[role])
        expected = entry.expect[role]
        location = answer.headers.get("location", "")
        if answer.status_code != expected.status or (
            expected.location is not None and not location.startswith(expected.location)
        ):
            wrong[role] = f"{answer.status_code} {location} {answer.text[:160]}".strip()
            continue
        if answer.status_code >= 400 and answer.headers.get("content-type", "").startswith(
            "application/json"
        ):
            check_error_shape(answer)
        elif answer.status_code >= 400 and route.split(" ")[1].startswith("/api/"):
            pytest.fail(f"{route} as {role}: an API error without the JSON error shape")
    assert wrong == {}, f"{route}: unexpected answers"


# The cases the issue names; each test works on a TPS and accounts of its own.

CLEAN_FORM = {
    **dict.fromkeys(("dpt_l", "dpt_p", "surat_suara_digunakan", "suara_sah", "suara_total"), 100),
    "dpt_j": 200,
    **dict.fromkeys(("pengguna_dpt_l", "pengguna_dpt_p"), 50),
    **dict.fromkeys(("pengguna_total_l", "pengguna_total_p"), 50),
    **dict.fromkeys(("pengguna_dpt_j", "pengguna_total_j"), 100),
    **{f"pengguna_{kind}_{sex}": 0 for kind in ("dptb", "dpk") for sex in "lpj"},
    **{f"disabilitas_{sex}": 0 for sex in "lpj"},
    "surat_suara_diterima": 204,
    "surat_suara_rusak": 0,
    "surat_suara_tidak_digunakan": 104,
    "paslon_1": 30,
    "paslon_2": 30,
    "paslon_3": 40,
    "suara_tidak_sah": 0,
}


def enter(world: World, actor: Actor, task_id: int, values: Mapping[str, int]) -> httpx.Response:
    answer: httpx.Response = world.client.post(
        f"/api/v1/verification/tasks/{task_id}/entries",
        json={"values": dict(values), "seconds": 25.0},
        headers=actor.headers,
    )
    return answer


def enter_on_the_page(world: World, actor: Actor, task_id: int) -> httpx.Response:
    form = {k: str(v) for k, v in CLEAN_FORM.items()}
    answer: httpx.Response = world.client.post(
        f"/verifikasi/tugas/{task_id}", data=form, headers=actor.headers
    )
    return answer


def next_task(world: World, actor: Actor) -> int | None:
    answer = world.client.get("/api/v1/verification/next", headers=actor.headers)
    assert answer.status_code in (200, 204), answer.text
    return int(answer.json()["task_id"]) if answer.status_code == 200 else None


def upload(
    world: World, actor: Actor, kode: str, form: Mapping[str, str], jpeg: bytes
) -> httpx.Response:
    answer: httpx.Response = world.client.post(
        f"/api/v1/tps/{kode}/photos",
        files={"photo": ("p.jpg", jpeg, "image/jpeg")},
        data=dict(form),
        headers=actor.headers,
    )
    return answer


def test_the_clean_form_breaks_no_blocking_rule(world: World) -> None:
    """The numbers the verifiers below enter must be able to verify a form."""
    from rekap.capture.verification import blocking_reasons
    from rekap.domain.wilayah import KodeWilayah

    context = world.context
    assert set(CLEAN_FORM) == set(context.form.by_id)
    kode = KodeWilayah(OWN_TPS[1])
    assert blocking_reasons(kode, "ppwp", CLEAN_FORM, context.form, context.election) == ()


def test_an_officer_uploads_only_for_their_own_tps_with_their_own_phone(world: World) -> None:
    kode = OWN_TPS[0]
    mine = world.enrol("officer of own tps 0", Role.OFFICER, kode)
    other = world.actors["officer_b"]
    before = len(world.context.photos.states(kode))
    jpeg = fresh_jpeg()
    # Another TPS's officer, with their own phone, signing for this TPS.
    answer = upload(world, other, kode, other.signed_form(jpeg, kode, 1), jpeg)
    assert "own TPS" in refused(answer, 403, "forbidden")
    # This TPS's officer with the other officer's registered phone (and its key).
    borrowed = Actor(
        "borrowed phone", mine.token, mine.account_id, kode, other.key, other.device_id
    )
    answer = upload(world, mine, kode, borrowed.signed_form(jpeg, kode, 1), jpeg)
    assert "device" in refused(answer, 403, "forbidden")
    # Their own phone, but the signature covers another page than the one declared.
    answer = upload(world, mine, kode, {**mine.signed_form(jpeg, kode, 2), "page": "1"}, jpeg)
    assert "signature" in refused(answer, 403, "forbidden")
    assert len(world.context.photos.states(kode)) == before  # nothing was recorded
    assert upload(world, mine, kode, mine.signed_form(jpeg, kode, 1), jpeg).status_code == 201
    assert len(world.context.photos.states(kode)) == before + 1


def test_the_uploader_never_verifies_their_own_form(world: World) -> None:
    kode = OWN_TPS[1]
    officer = world.enrol("officer of own tps 1", Role.OFFICER, kode)
    task_id = world.photograph(officer)
    # As an officer: no verification at all.
    answer = world.client.get("/api/v1/verification/next", headers=officer.headers)
    refused(answer, 403, "forbidden")
    refused(enter(world, officer, task_id, CLEAN_FORM), 403, "forbidden")
    # The same account made a verifier of the kabupaten (as if re-enrolled): never this form.
    world.set_account(officer, role=Role.VERIFIER.value, scope=KABUPATEN)
    assert next_task(world, officer) not in (task_id, None)  # offered the others' forms
    assert "photographed" in refused(enter(world, officer, task_id, CLEAN_FORM), 403, "forbidden")
    assert enter_on_the_page(world, officer, task_id).status_code == 403
    # Anyone else of the kabupaten may enter it.
    stranger = world.enrol("verifier of own tps 1", Role.VERIFIER, kode[:6])
    assert next_task(world, stranger) is not None
    world.hand(stranger, task_id)  # drawn among the kabupaten's forms: this one, say
    assert enter(world, stranger, task_id, CLEAN_FORM).status_code == 201


def test_a_verifier_enters_a_form_once(world: World) -> None:
    kode = OWN_TPS[2]
    task_id = world.photograph(world.enrol("officer of own tps 2", Role.OFFICER, kode))
    first, second, third = (
        world.enrol(f"verifier {i} of own tps 2", Role.VERIFIER, kode[:10]) for i in range(3)
    )
    outsider = world.actors["verifier_out"]
    message = refused(enter(world, outsider, task_id, CLEAN_FORM), 403, "forbidden")
    assert "outside your region" in message
    assert next_task(world, first) == task_id  # the only task of the desa
    answer = enter(world, first, task_id, CLEAN_FORM)
    assert answer.status_code == 201
    assert answer.json()["state"] == "open"
    message = refused(enter(world, first, task_id, CLEAN_FORM), 409, "conflict")
    assert "already entered" in message
    again = enter_on_the_page(world, first, task_id)  # the page: the first entry stands
    assert (again.status_code, again.headers["location"]) == (303, f"/verifikasi?sudah={task_id}")
    assert next_task(world, first) is None  # not offered again
    # A second person agrees: verified. A closed task takes no more entries from anyone.
    assert next_task(world, second) == task_id
    answer = enter(world, second, task_id, CLEAN_FORM)
    assert answer.status_code == 201
    assert answer.json()["state"] == "verified"
    refused(enter(world, third, task_id, CLEAN_FORM), 409, "conflict")
    refused(enter(world, world.actors["adjudicator"], task_id, CLEAN_FORM), 409, "conflict")
    entered = {
        str(row["account_id"]): row["entries"] for row in world.context.verification.statistics()
    }
    counts = [entered.get(str(person.account_id)) for person in (first, second, third)]
    assert counts == [1, 1, None]  # one entry each; none for the one refused


def test_an_unknown_or_disabled_token_gets_401_with_the_error_shape(world: World) -> None:
    kode = OWN_TPS[3]
    officer = world.enrol("officer of own tps 3", Role.OFFICER, kode)
    assert world.upload(officer, kode, 1) == 201
    world.set_account(officer, disabled=True)  # disabled after it has been used
    for headers in (
        officer.headers,
        world.actors["disabled"].headers,
        world.actors["bad_token"].headers,
        {"Authorization": "Bearer "},
        {"Authorization": f"Basic {officer.token}"},
        {},
    ):
        jpeg = fresh_jpeg()
        answer = world.client.post(
            f"/api/v1/tps/{kode}/photos",
            files={"photo": ("p.jpg", jpeg, "image/jpeg")},
            data=officer.signed_form(jpeg, kode, 2),
            headers=headers,
        )
        refused(answer, 401, "unauthenticated")
        answer = world.client.get("/api/v1/verification/next", headers=headers)
        refused(answer, 401, "unauthenticated")
    assert len(world.context.photos.states(kode)) == 1
    # A disabled account's login cookie opens no workspace page, and it cannot log in again.
    world.client.cookies.set("rekap_token", str(officer.token))
    answer = world.client.get("/petugas")
    world.client.cookies.clear()
    assert answer.status_code == 303
    assert answer.headers["location"].startswith(LOGIN)
    assert world.client.post("/masuk", data={"token": str(officer.token)}).status_code == 401


def test_a_photo_is_served_by_the_sha256_a_snapshot_publishes(world: World) -> None:
    by_id = world.client.get(f"/api/v1/photos/{_photo_of_a(world)}")
    by_hash = world.client.get(f"/api/v1/photos/sha256/{_photo_hash_of_a(world)}")
    assert by_hash.status_code == 200 and by_hash.content == by_id.content
    assert by_hash.headers["content-type"] == by_id.headers["content-type"]
    unknown = world.client.get("/api/v1/photos/sha256/" + "0" * 64)
    assert unknown.status_code == 404
    check_error_shape(unknown)
    for odd in ("ABC", "0" * 63, "g" * 64, "0" * 65):
        assert world.client.get(f"/api/v1/photos/sha256/{odd}").status_code in (404, 422)
