"""What an administrator does with accounts once enrolled (`/api/v1`): list them with their
devices, disable one, give one a new token, revoke a device's key (a lost or stolen phone).
Each change is an event in the public log; a token is shown once and never logged."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field, field_validator
from starlette.concurrency import run_in_threadpool

from rekap.adapters.storage.accounts import AccountEntry, AccountRefused, UnknownAccount
from rekap.capture.access import MAX_REASON, Principal, Role, reason_problem
from rekap.web.access import require
from rekap.web.context import context_of
from rekap.web.errors import ApiError

router = APIRouter(prefix="/api/v1")
ADMIN = require(Role.ADMIN)
ACCOUNT_ID = Path(pattern=r"^[0-9a-f]{1,32}$")
DEVICE_ID = Path(pattern=r"^[0-9a-f]{1,16}$")
MAX_PAGE = 1000


class Reason(BaseModel):
    reason: str = Field(max_length=MAX_REASON)

    @field_validator("reason")
    @classmethod
    def _plain(cls, value: str) -> str:
        problem = reason_problem(value)
        if problem is not None:
            raise ValueError(problem)
        return value


class Revocation(Reason):
    keep_token: bool = Field(
        False,
        description="Keep the officer's token (a broken phone); by default a new one is made, "
        "since a stolen phone holds the token too.",
    )


class DeviceOut(BaseModel):
    device_id: str
    registered_at: str
    revoked_at: str | None


class AccountEntryOut(BaseModel):
    account_id: str
    name: str
    role: Role
    scope: str
    created_at: str
    disabled: bool
    devices: list[DeviceOut]


class AccountsOut(BaseModel):
    accounts: list[AccountEntryOut]
    next_after: str | None = Field(description="`after` for the next page; null at the end.")


class Changed(BaseModel):
    changed: bool = Field(description="False when it already was so (nothing was logged).")


class Revoked(Changed):
    token: str | None = Field(description="The officer's new token (shown once), or null.")


class TokenOut(BaseModel):
    account_id: str
    token: str


@contextmanager
def _refusals() -> Iterator[None]:
    """The store's refusals as API errors: an unknown id 404, a forbidden change 409."""
    try:
        yield
    except UnknownAccount as error:
        raise ApiError("not_found", str(error)) from error
    except AccountRefused as error:
        raise ApiError("conflict", str(error)) from error


def _out(entry: AccountEntry) -> AccountEntryOut:
    return AccountEntryOut(
        account_id=entry.account_id,
        name=entry.name,
        role=entry.role,
        scope=entry.scope,
        created_at=entry.created_at,
        disabled=entry.disabled,
        devices=[
            DeviceOut(device_id=d, registered_at=r, revoked_at=v) for d, r, v in entry.devices
        ],
    )


@router.get("/accounts", response_model=AccountsOut)
async def list_accounts(
    request: Request,
    admin: Annotated[Principal, Depends(ADMIN)],
    scope: Annotated[str, Query(pattern=r"^[0-9]{0,13}$")] = "",
    after: Annotated[str, Query(pattern=r"^[0-9a-f]{0,32}$")] = "",
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
) -> AccountsOut:
    """Accounts whose region starts with `scope`, a page at a time (by account id), with
    their devices; never a token."""
    entries = await run_in_threadpool(context_of(request).accounts.entries, scope, after, limit)
    return AccountsOut(
        accounts=[_out(e) for e in entries],
        next_after=entries[-1].account_id if len(entries) == limit else None,
    )


@router.post("/accounts/{account_id}/disable", response_model=Changed)
def disable_account(
    body: Reason,
    request: Request,
    admin: Annotated[Principal, Depends(ADMIN)],
    account_id: Annotated[str, ACCOUNT_ID],
) -> Changed:
    """Disable an account: its token, and every device it registered, are refused from now on."""
    ctx = context_of(request)
    with _refusals():
        changed = ctx.accounts.disable(account_id, ctx.clock(), admin.account_id, body.reason)
    return Changed(changed=changed)


@router.post("/accounts/{account_id}/token", response_model=TokenOut, status_code=201)
def reissue_token(
    request: Request,
    admin: Annotated[Principal, Depends(ADMIN)],
    account_id: Annotated[str, ACCOUNT_ID],
) -> TokenOut:
    """A new token for an account (shown once); the old one is refused from now on."""
    ctx = context_of(request)
    with _refusals():
        token = ctx.accounts.reissue_token(account_id, ctx.clock(), admin.account_id)
    return TokenOut(account_id=account_id, token=token)


@router.post("/devices/{device_id}/revoke", response_model=Revoked)
def revoke_device(
    body: Revocation,
    request: Request,
    admin: Annotated[Principal, Depends(ADMIN)],
    device_id: Annotated[str, DEVICE_ID],
) -> Revoked:
    """Revoke a device's key (a lost or stolen phone): photos it signs are refused from now
    on; those it sent before stay. Unless `keep_token`, the officer's token is replaced too
    (the new one is in the answer, once): a stolen phone holds it."""
    ctx = context_of(request)
    with _refusals():
        changed, token = ctx.accounts.revoke_device(
            device_id, ctx.clock(), admin.account_id, body.reason, not body.keep_token
        )
    return Revoked(changed=changed, token=token)
