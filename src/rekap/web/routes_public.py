"""Public reads: the change log, a TPS's history, photos, the server's public key."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from sqlalchemy import select

from rekap.adapters.storage.event_store import Direction, spread_of
from rekap.adapters.storage.schema import photo
from rekap.capture.photo_check import PhotoFormat
from rekap.events.chain import Recorded
from rekap.web.access import PUBLIC
from rekap.web.context import AppContext
from rekap.web.errors import ApiError
from rekap.web.params import LogOffset, RowId
from rekap.web.storage_trouble import read_photo

router = APIRouter(prefix="/api/v1", dependencies=[Depends(PUBLIC)])
MEDIA = {"jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


def _context(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.context
    return ctx


def record_json(record: Recorded) -> dict[str, Any]:
    return {
        "sequence": record.sequence,
        "kind": record.kind,
        "at": record.at.isoformat(),
        "actor": record.actor,
        "reason": record.reason,
        "payload": dict(record.payload),
        "previous_hash": record.previous_hash,
        "hash": record.hash,
    }


@router.get("/log")
def log_page(
    request: Request,
    after: LogOffset = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    wilayah: Annotated[
        str,
        Query(
            pattern=r"^([0-9]{2}|[0-9]{4}|[0-9]{6}|[0-9]{10}|[0-9]{13})$",
            description="Only the events about a TPS of this region (a provinsi, kabupaten/kota, "
            "kecamatan, desa or TPS code): what changed there, in order.",
        ),
    ] = "",
) -> dict[str, Any]:
    """The public change log, in order, from ``after``; follow ``next`` for more. With
    ``wilayah``, only the events about that region's TPS (poll with ``after`` = the last
    ``sequence`` seen for what changed since). A region of ``SPREAD_TPS`` TPS or more is
    read by walking the log from ``after``, a smaller one by the subject index, as its page
    of changes is (``under_query``)."""
    ctx = _context(request)
    spread = spread_of(ctx.tree.tps_counts(), wilayah)
    records = [
        record_json(r) for r in ctx.log.under(wilayah, after, limit, Direction.FORWARDS, spread)
    ]
    following = records[-1]["sequence"] if len(records) == limit else None
    return {"events": records, "next": following}


@router.get("/tps/{kode_tps}/history")
def history(kode_tps: str, request: Request) -> dict[str, Any]:
    """Every change to one TPS: who, when, why, before and after."""
    if not (kode_tps.isascii() and kode_tps.isdigit() and len(kode_tps) == 13):
        raise ApiError("invalid_input", f"{kode_tps!r} is not a 13-digit TPS code")
    return {
        "kode_tps": kode_tps,
        "events": [record_json(r) for r in _context(request).log.history(kode_tps)],
    }


@router.get("/photos/{photo_id}")
def photo_bytes(photo_id: RowId, request: Request) -> Response:
    """The photo itself, as received (its SHA-256 is in the log); 503 ``storage_unavailable``
    while the photo store cannot be read, 410 ``photo_missing`` when it lost the file."""
    ctx = _context(request)
    with ctx.engine.connect() as connection:
        row = connection.execute(
            select(photo.c.sha256, photo.c.format).where(photo.c.id == photo_id)
        ).first()
    if row is None:
        raise ApiError("not_found", f"no photo {photo_id}")
    data = read_photo(ctx.files, row[0], PhotoFormat(row[1]).suffix)
    return Response(data, media_type=MEDIA[row[1]], headers={"Cache-Control": "max-age=86400"})


SHA256_HEX = r"^[0-9a-f]{64}$"


@router.get("/photos/sha256/{sha256}")
def photo_by_hash(
    sha256: Annotated[str, Path(pattern=SHA256_HEX, description="The photo's SHA-256, hex.")],
    request: Request,
) -> Response:
    """The photo whose SHA-256 a snapshot publishes (a TPS file's ``images``, the bulk data's
    ``photos``): the same bytes as received, whichever TPS sent them; 503
    ``storage_unavailable`` while the photo store cannot be read, 410 ``photo_missing`` when
    it lost the file."""
    ctx = _context(request)
    with ctx.engine.connect() as connection:
        row = connection.execute(
            select(photo.c.format).where(photo.c.sha256 == sha256).limit(1)
        ).first()
    if row is None:
        raise ApiError("not_found", f"no photo with SHA-256 {sha256}")
    data = read_photo(ctx.files, sha256, PhotoFormat(row[0]).suffix)
    return Response(data, media_type=MEDIA[row[0]], headers={"Cache-Control": "max-age=86400"})


@router.get("/keys")
def keys(request: Request) -> dict[str, Any]:
    """The server's public key: upload receipts and the change log's signed heads verify
    against it (``rekap receipt verify --public-key``). Snapshots are signed by the
    publisher's key, which each snapshot names (``/data``)."""
    key = _context(request).key
    return {"key_id": key.key_id, "algorithm": "ed25519", "public_key": key.public_raw.hex()}
