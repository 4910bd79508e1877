"""Enrolment, devices and photo uploads (`/api/v1`)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import (
    APIRouter,
    Depends,
    File,
    Form,
    Header,
    Path,
    Query,
    Request,
    Response,
    UploadFile,
)
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from rekap.adapters.keys import verify_signature
from rekap.adapters.storage.accounts import InvalidAccount
from rekap.adapters.storage.photos import Upload
from rekap.capture.access import Principal, Role
from rekap.capture.messages import photo_message
from rekap.capture.photo_check import MAX_BYTES, PhotoRefused, check_photo
from rekap.capture.states import PhotoState
from rekap.domain.wilayah import InvalidKodeWilayah, KodeWilayah, Level
from rekap.services.photo_failures import failure_kind
from rekap.web.access import PUBLIC, require
from rekap.web.context import AppContext, context_of
from rekap.web.errors import ApiError
from rekap.web.storage_trouble import StorageTrouble, StorageUnavailable

router = APIRouter(prefix="/api/v1")


class AccountIn(BaseModel):
    name: str = Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")
    role: Role
    scope: str = Field(max_length=13, description="TPS code for an officer; region prefix else")


class AccountOut(BaseModel):
    account_id: str
    role: Role
    scope: str
    token: str


class DeviceIn(BaseModel):
    public_key: str = Field(pattern=r"^[0-9a-f]{64}$", description="Raw Ed25519 key, hex")


class DeviceOut(BaseModel):
    device_id: str


@router.post("/accounts", status_code=201, response_model=AccountOut)
def enrol_account(
    body: AccountIn,
    request: Request,
    admin: Annotated[Principal, Depends(require(Role.ADMIN))],
) -> AccountOut:
    """Enrol a KPPS officer (scoped to one TPS), a verifier or an adjudicator (a region)."""
    ctx = context_of(request)
    if body.role is Role.OFFICER:
        _known_tps(ctx, body.scope)
    try:
        principal, token = ctx.accounts.enrol(
            body.name, body.role, body.scope, ctx.clock(), admin.account_id
        )
    except InvalidAccount as error:
        raise ApiError("invalid_input", str(error)) from error
    return AccountOut(
        account_id=principal.account_id, role=principal.role, scope=principal.scope, token=token
    )


@router.post("/devices", status_code=201, response_model=DeviceOut)
def register_device(
    body: DeviceIn,
    request: Request,
    officer: Annotated[Principal, Depends(require(Role.OFFICER))],
) -> DeviceOut:
    """Register the Ed25519 public key of the officer's phone."""
    ctx = context_of(request)
    try:
        device_id = ctx.accounts.register_device(
            officer, bytes.fromhex(body.public_key), ctx.clock()
        )
    except InvalidAccount as error:
        raise ApiError("conflict", str(error)) from error
    return DeviceOut(device_id=device_id)


def _known_tps(ctx: AppContext, kode_tps: str) -> KodeWilayah:
    try:
        kode = KodeWilayah.parse(kode_tps)
    except InvalidKodeWilayah as error:
        raise ApiError("invalid_input", str(error)) from error
    if kode.level is not Level.TPS or kode not in ctx.tree:
        raise ApiError("not_found", f"no TPS {kode_tps} in the 2024 region tree")
    return kode


FORM_ALLOWANCE = 64 * 1024
"""Room in a multipart upload for its other fields and the multipart framing."""


NOT_STORED = "the photo could not be stored now; nothing was recorded: send it again later"
"""Why an upload is answered 503: nothing was recorded and no receipt given, so the phone
keeps the photo and sends it again later."""

STORAGE_TROUBLE = StorageTrouble()


# The body limit is checked as the body arrives (and against Content-Length before any of
# it is read): a multipart body is parsed before the route's access check runs, so without
# it anyone could make the server spool an endless body to disk.
@router.post("/tps/{kode_tps}/photos", status_code=201, max_body_size=MAX_BYTES + FORM_ALLOWANCE)
async def upload_photo(
    kode_tps: str,
    request: Request,
    response: Response,
    officer: Annotated[Principal, Depends(require(Role.OFFICER))],
    photo: Annotated[UploadFile, File(description="One page, JPEG, PNG or WebP")],
    page: Annotated[int, Form(ge=1, le=3)],
    captured_at: Annotated[datetime, Form(description="ISO 8601 with a time zone")],
    device_id: Annotated[str, Form(pattern=r"^[0-9a-f]{16}$")],
    signature: Annotated[str, Form(pattern=r"^[0-9a-f]{128}$")],
    contest: Annotated[str, Form()] = "ppwp",
) -> dict[str, Any]:
    """Take one page photo exactly once; answer with a receipt signed by the server."""
    signed = Signed(page, captured_at, device_id, signature, contest)
    data = await photo.read(MAX_BYTES + 1)
    return await _take_photo(context_of(request), officer, kode_tps, signed, data, response)


@router.put("/tps/{kode_tps}/photos/{page}", status_code=201)
async def put_photo(
    kode_tps: str,
    page: Annotated[int, Path(ge=1, le=3)],
    request: Request,
    response: Response,
    officer: Annotated[Principal, Depends(require(Role.OFFICER))],
    x_captured_at: Annotated[datetime, Header(description="ISO 8601 with a time zone")],
    x_device_id: Annotated[str, Header(pattern=r"^[0-9a-f]{16}$")],
    x_signature: Annotated[str, Header(pattern=r"^[0-9a-f]{128}$")],
    contest: Annotated[str, Query()] = "ppwp",
) -> dict[str, Any]:
    """The same as the POST, with the photo's bytes as the whole body and the signed details
    in headers (``X-Captured-At``, ``X-Device-Id``, ``X-Signature``): no multipart to build
    on a phone or to parse here. The same checks, receipt and idempotence."""
    signed = Signed(page, x_captured_at, x_device_id, x_signature, contest)
    data = await _body(request)
    return await _take_photo(context_of(request), officer, kode_tps, signed, data, response)


@dataclass(frozen=True, slots=True)
class Signed:
    """What the officer's device signed about a photo, besides its bytes."""

    page: int
    captured_at: datetime
    device_id: str
    signature: str
    contest: str


async def _body(request: Request) -> bytes:
    """The request's body, read no further than one byte over the size limit (not at all when
    its declared length is over it)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BYTES:
        raise ApiError(
            "too_large",
            f"{int(declared):,} bytes; the limit is {MAX_BYTES:,}",
            {"reason": "too_large"},
        )
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            chunks.append(chunk)
            size += len(chunk)
            if size > MAX_BYTES:
                break
    except ClientDisconnect:  # a phone's network lost halfway: an answer no one reads
        raise ApiError(
            "interrupted", "the upload ended before its body did; nothing was recorded"
        ) from None
    return b"".join(chunks)


async def _take_photo(
    ctx: AppContext,
    officer: Principal,
    kode_tps: str,
    signed: Signed,
    data: bytes,
    response: Response,
) -> dict[str, Any]:
    kode = _known_tps(ctx, kode_tps)
    if officer.scope != kode.value:
        raise ApiError("forbidden", "an officer uploads only for their own TPS")
    if signed.contest != "ppwp":
        raise ApiError("invalid_input", "only the ppwp contest is read so far")
    if signed.captured_at.tzinfo is None:
        raise ApiError("invalid_input", "captured_at needs a time zone")
    checked = check_photo(data)
    if isinstance(checked, PhotoRefused):
        code = {"too_large": "too_large", "too_many_pixels": "too_large"}.get(
            checked.code, "unsupported_media" if checked.code == "not_an_image" else "invalid_input"
        )
        raise ApiError(code, checked.message, {"reason": checked.code})
    device = ctx.accounts.cached_device(signed.device_id)
    if device is None:
        lookup = ctx.accounts.device_key
        if ctx.accounts.local_reads:  # see AccountStore.local_reads
            device = lookup(signed.device_id)
        else:
            device = await run_in_threadpool(lookup, signed.device_id)
    if device is None or device.account_id != officer.account_id:
        raise ApiError("forbidden", "the device is not registered to this officer")
    if device.revoked:
        raise ApiError(
            "forbidden",
            "this device's key was revoked: ask the administrator of your region",
            {"reason": "device_revoked"},
        )
    message = photo_message(checked.sha256, kode.value, signed.page, signed.captured_at)
    if not verify_signature(device.public_raw, message, bytes.fromhex(signed.signature)):
        # the text the device had to sign: its time as the server writes it back (a phone
        # that signs "Z" or milliseconds as it sent them finds here the form expected)
        raise ApiError(
            "forbidden",
            "the device signature does not match this photo",
            {"signed_text": message.decode()},
        )
    # The file is durable before its row exists (a row never points at a missing file): a
    # local file is written now and flushed with its batch; an object store's put is durable.
    written = None
    try:
        if ctx.local_files is not None:
            written = ctx.local_files.write(checked.sha256, checked.format.suffix, data)
        else:
            await run_in_threadpool(ctx.files.put, checked.sha256, checked.format.suffix, data)
    except OSError as error:
        STORAGE_TROUBLE.said(error)
        raise StorageUnavailable(NOT_STORED, error) from error
    upload = Upload(
        kode.value,
        signed.contest,
        signed.page,
        signed.captured_at,
        signed.device_id,
        bytes.fromhex(signed.signature),
        checked,
    )
    future = ctx.intake.submit(officer, upload, ctx.clock(), written)
    try:
        receipt = await asyncio.wrap_future(future)
    except OSError as error:  # the batch's files could not be flushed: no row, no receipt
        STORAGE_TROUBLE.said(error)
        raise StorageUnavailable(NOT_STORED, error) from error
    if receipt.duplicate:
        response.status_code = 200
    return receipt.as_json()


@router.get("/tps/{kode_tps}/photos", dependencies=[Depends(PUBLIC)])
def photo_states(kode_tps: str, request: Request) -> dict[str, Any]:
    """Every photo of a TPS with its processing state and reason; a failed photo also with
    the kind of its failure (``failure``): ``refused`` or ``sent_back``, a new photo of the
    page is needed; ``processing_error`` or ``lost_from_store``, nothing is wrong with the
    photo and it is read again once an operator has put things right (a phone that kept a
    photo ``lost_from_store`` may send it again: it is then read)."""
    ctx = context_of(request)
    kode = _known_tps(ctx, kode_tps)
    rows = ctx.photos.states(kode.value)
    photos: list[dict[str, Any]] = []
    for i, p, s, r in rows:
        shown: dict[str, Any] = {"id": i, "page": p, "state": s, "reason": r}
        if s == PhotoState.FAILED.value:
            shown["failure"] = failure_kind(r).value
        photos.append(shown)
    return {"kode_tps": kode.value, "photos": photos}


@router.get("/health", dependencies=[Depends(PUBLIC)])
def health(request: Request, response: Response) -> dict[str, Any]:
    """Whether the database and the photo store answer (503 when either does not: no upload
    can be taken), the photo folder's free space, and the processing backlog: the photos by
    state and since when the oldest waits. Looked at once every few seconds, however often
    asked."""
    status, body = context_of(request).health.report()
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return body
