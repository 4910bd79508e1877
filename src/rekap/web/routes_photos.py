"""Failed photos for an operator over the API (`/api/v1/photos`), as `rekap photos failed` and
`rekap photos retry` give them on the server: an operator of many machines lists the failed
photos with why, and puts back to be processed those failed by an error (admin only). Each
retry is a ``photo.state_changed`` event (failed → received) in the public log, by the admin's
account, with the reason given; on PostgreSQL the photo's job is queued in the same
transaction."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field, model_validator
from starlette.concurrency import run_in_threadpool

from rekap.adapters.storage.photo_retry import (
    FailedPhoto,
    RetryOutcome,
    count_failed,
    failed_photos,
)
from rekap.capture.access import Principal, Role
from rekap.services.photo_failures import FailureKind
from rekap.web.access import require
from rekap.web.context import context_of
from rekap.web.params import MAX_ROW_ID
from rekap.web.routes_accounts import Reason

router = APIRouter(prefix="/api/v1")
ADMIN = require(Role.ADMIN)
REGION = r"^[0-9]{0,13}$"
MAX_PAGE = 1000
MAX_NAMED = 1000
"""Photos named in one retry."""
ALL_FAILED_LIMIT = 5000
"""Photos one `all_failed` request retries unless asked: every failed photo in one request
ran for minutes with a large backlog, and a proxy's timeout cut it halfway. 5,000 took 11-14 s
on PostgreSQL (`bench/photo_retry.py`, 2026-11-23, 2 cores, load 5.6), each photo's job queued
by its own statement; 1.0-1.9 s since their jobs are queued a transaction's photos at a time
(2026-11-23 00:56-00:58 UTC, 2 cores, load 3.7-5.9; 5.0-16.8 s the old way in the same runs),
well within a proxy's usual 60 s; the client goes on from `next_after`."""
MAX_ALL_FAILED = 10_000


class FailedPhotoOut(BaseModel):
    photo_id: int
    kode_tps: str
    contest: str
    page: int
    sha256: str
    received_at: str
    kind: FailureKind
    reason: str


class FailedOut(BaseModel):
    counts: dict[FailureKind, int] = Field(description="The failed photos of the region, by kind.")
    photos: list[FailedPhotoOut]
    next_after: int | None = Field(description="`after` for the next page; null at the end.")


class RetryIn(Reason):
    photo_ids: list[Annotated[int, Field(ge=1, le=MAX_ROW_ID)]] = Field(
        default_factory=list, max_length=MAX_NAMED, description="The failed photos to retry."
    )
    all_failed: bool = Field(
        False,
        description="Every photo failed by an error (processing_error, lost_from_store); never "
        "one the reader refused for what it is, nor one sent back by people.",
    )
    refused: bool = Field(
        False,
        description="Also read again the photos named that the reader refused for what they "
        "are (not a form, the wrong page, unreadable).",
    )
    region: str = Field("", pattern=REGION, description="With `all_failed`: only TPS here.")
    after: int = Field(
        0,
        ge=0,
        le=MAX_ROW_ID,
        description="With `all_failed`: begin after this photo (the previous answer's "
        "`next_after`).",
    )
    limit: int = Field(
        ALL_FAILED_LIMIT,
        ge=1,
        le=MAX_ALL_FAILED,
        description="With `all_failed`: retry at most this many photos (in order of arrival); "
        "`remaining` says how many are left.",
    )

    @model_validator(mode="after")
    def _one_choice(self) -> RetryIn:
        if bool(self.photo_ids) == self.all_failed:
            raise ValueError("name the photos to retry (photo_ids) or give all_failed, not both")
        if self.refused and self.all_failed:
            raise ValueError("refused reads again only photos named by their id")
        if self.region and not self.all_failed:
            raise ValueError("region chooses among all_failed")
        if self.model_fields_set & {"after", "limit"} and not self.all_failed:
            raise ValueError("after and limit go with all_failed")
        return self


class PassedOver(BaseModel):
    photo_id: int
    why: str


class RetryOut(BaseModel):
    retried: list[int] = Field(description="The photos put back to be processed, in order.")
    passed_over: list[PassedOver] = Field(description="The photos named but not retried, why.")
    remaining: int = Field(
        0,
        description="With `all_failed`: photos failed by an error after this request's last, "
        "still to retry (0 with photos named).",
    )
    next_after: int | None = Field(
        None,
        description="With `all_failed`: `after` for the next request while `remaining` is "
        "more than 0; null when none remain.",
    )


def _out(found: FailedPhoto) -> FailedPhotoOut:
    return FailedPhotoOut(
        photo_id=found.id,
        kode_tps=found.kode_tps,
        contest=found.contest,
        page=found.page,
        sha256=found.sha256,
        received_at=found.received_at,
        kind=found.kind,
        reason=found.reason,
    )


@router.get("/photos/failed", response_model=FailedOut)
def list_failed(
    request: Request,
    admin: Annotated[Principal, Depends(ADMIN)],
    kind: Annotated[list[FailureKind] | None, Query()] = None,
    region: Annotated[str, Query(pattern=REGION)] = "",
    after: Annotated[int, Query(ge=0, le=MAX_ROW_ID)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
) -> FailedOut:
    """The failed photos of TPS whose code begins with `region`, of the kinds asked (all when
    none), in order of arrival after photo `after`, with why; and how many failed, by kind.
    `processing_error` and `lost_from_store` are retried by `all_failed`."""
    engine = context_of(request).engine
    kinds = frozenset(kind) if kind else None
    found = list(failed_photos(engine, kinds, region, after, limit))
    return FailedOut(
        counts=count_failed(engine, region),
        photos=[_out(each) for each in found],
        next_after=found[-1].id if len(found) == limit else None,
    )


@router.post("/photos/retry", response_model=RetryOut)
async def retry_photos(
    body: RetryIn,
    request: Request,
    admin: Annotated[Principal, Depends(ADMIN)],
) -> RetryOut:
    """Put failed photos back to be processed, the workers then take them like new photos:
    the photos named (`photo_ids`; with `refused`, also those the reader refused for what they
    are), or the photos failed by an error (`all_failed`, in `region`), at most `limit` of
    them after photo `after`: while `remaining` is more than 0, ask again with `after` set to
    `next_after`. A photo named that is not retried is in `passed_over`, with why; the others
    are retried all the same."""
    ctx = context_of(request)
    at = ctx.clock()
    if not body.all_failed:
        outcome = await run_in_threadpool(
            ctx.retrier.retry, body.photo_ids, at, admin.account_id, body.reason, body.refused
        )
        return _retry_out(outcome)
    stretch = await run_in_threadpool(
        ctx.retrier.retry_failed,
        at,
        admin.account_id,
        body.reason,
        body.region,
        body.after,
        body.limit,
    )
    next_after = stretch.last_id if stretch.remaining else None
    return _retry_out(stretch.outcome, stretch.remaining, next_after)


def _retry_out(
    outcome: RetryOutcome, remaining: int = 0, next_after: int | None = None
) -> RetryOut:
    return RetryOut(
        retried=outcome.retried,
        passed_over=[PassedOver(photo_id=i, why=why) for i, why in outcome.passed_over.items()],
        remaining=remaining,
        next_after=next_after,
    )
