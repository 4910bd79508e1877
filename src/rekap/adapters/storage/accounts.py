"""Accounts, bearer tokens and device keys in the store. Tokens are kept only as SHA-256."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, insert, select, update

from rekap.adapters.keys import public_key_id
from rekap.adapters.storage.engine import reader
from rekap.adapters.storage.event_store import Entry, EventLog, lock_writers
from rekap.adapters.storage.schema import account, device
from rekap.adapters.ttl_cache import TtlCache
from rekap.capture.access import Principal, Role, scope_fits
from rekap.events.model import (
    AccountDisabled,
    AccountEnrolled,
    DeviceRegistered,
    DeviceRevoked,
    Event,
    TokenReissued,
)


class InvalidAccount(ValueError):
    """A role and scope that do not fit together, or a malformed key."""


class UnknownAccount(LookupError):
    """No account (or device) with that id."""


class AccountRefused(ValueError):
    """A change the account's state forbids: a disabled account's new token, the last admin
    disabled, a revoked key registered again."""


@dataclass(frozen=True, slots=True)
class DeviceKey:
    """A registered device: its owner, its Ed25519 public key, and whether it was revoked."""

    account_id: str
    public_raw: bytes
    revoked: bool


@dataclass(frozen=True, slots=True)
class AccountEntry:
    """An account as an administrator sees it (never its token)."""

    account_id: str
    name: str
    role: Role
    scope: str
    created_at: str
    disabled: bool
    devices: tuple[tuple[str, str, str | None], ...]
    """(device id, registered at, revoked at or None)."""


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


TOKEN_TTL_S = 10.0
"""How long a bearer token found in the store is trusted from memory: a disabled account is
refused within this time, and an officer's burst of uploads costs one query, not one each."""


def _new_token(connection: Connection, account_id: str) -> str:
    """Give an account a new bearer token (returned once; stored as its SHA-256 only)."""
    token = secrets.token_urlsafe(32)
    connection.execute(
        update(account).where(account.c.id == account_id).values(token_sha256=token_digest(token))
    )
    return token


_BATCH = 5_000
"""Accounts inserted (and their events chained) per statement in a bulk enrolment."""


def _row(principal: Principal, token: str, at: datetime) -> dict[str, object]:
    return {
        "id": principal.account_id,
        "name": principal.name,
        "role": principal.role.value,
        "scope": principal.scope,
        "token_sha256": token_digest(token),
        "created_at": at.isoformat(),
        "disabled": False,
    }


class AccountStore:
    def __init__(self, engine: Engine, log: EventLog, token_ttl_s: float = TOKEN_TTL_S) -> None:
        self.engine = engine
        self.log = log
        self._principals: TtlCache[str, Principal] = TtlCache(token_ttl_s)
        self._devices: TtlCache[str, DeviceKey] = TtlCache(token_ttl_s)
        self.local_reads = engine.dialect.name == "sqlite"
        """Lookups read a local file without waiting for any lock (a WAL snapshot), so an
        event loop may make them itself; a database server is asked from a worker thread."""

    def enrol(
        self, name: str, role: Role, scope: str, at: datetime, actor: str
    ) -> tuple[Principal, str]:
        """Create an account; returns it and its bearer token (shown once, stored hashed)."""
        if not scope_fits(role, scope):
            raise InvalidAccount(f"a {role.value} cannot be scoped to {scope!r}")
        account_id = secrets.token_hex(8)
        token = secrets.token_urlsafe(32)
        with self.engine.begin() as connection:
            connection.execute(
                insert(account).values(
                    id=account_id,
                    name=name,
                    role=role.value,
                    scope=scope,
                    token_sha256=token_digest(token),
                    created_at=at.isoformat(),
                    disabled=False,
                )
            )
            enrolled = AccountEnrolled(account_id, name, role.value, scope)
            self.log.append(connection, [enrolled], at, actor, "enrol", subject=scope or None)
        return Principal(account_id, name, role, scope), token

    def enrol_many(
        self,
        wanted: Sequence[tuple[str, Role, str]],
        at: datetime,
        actor: str,
        keep: Callable[[list[tuple[Principal, str]]], None],
    ) -> tuple[list[Principal], int]:
        """Create an account for each ``(name, role, scope)`` that has none yet (an enabled
        one with the same three), in one transaction; returns those created and how many were
        there already. ``keep`` is given the new accounts with their tokens (shown once)
        before the transaction commits: if it fails, no account is created, and a token is
        never lost for an account that exists."""
        for name, role, scope in wanted:
            if not scope_fits(role, scope):
                raise InvalidAccount(f"a {role.value} cannot be scoped to {scope!r} ({name})")
        with self.engine.begin() as connection:
            lock_writers(connection)
            existing = {
                (str(name), str(role), str(scope))
                for name, role, scope in connection.execute(
                    select(account.c.name, account.c.role, account.c.scope).where(
                        account.c.disabled.is_(False)
                    )
                )
            }
            new = [w for w in wanted if (w[0], w[1].value, w[2]) not in existing]
            made = [
                (Principal(secrets.token_hex(8), name, role, scope), secrets.token_urlsafe(32))
                for name, role, scope in new
            ]
            for start in range(0, len(made), _BATCH):
                batch = made[start : start + _BATCH]
                connection.execute(insert(account), [_row(p, t, at) for p, t in batch])
                entries = [
                    Entry(
                        AccountEnrolled(p.account_id, p.name, p.role.value, p.scope),
                        at,
                        actor,
                        "enrol",
                        p.scope or None,
                    )
                    for p, _ in batch
                ]
                self.log.append_each(connection, entries)
            keep(made)
        return [p for p, _ in made], len(wanted) - len(new)

    def forget(self) -> None:
        """Drop what is remembered of tokens and devices (the next request asks the store)."""
        self._principals.clear()
        self._devices.clear()

    def cached_device(self, device_id: str) -> DeviceKey | None:
        """A device recently looked up, from memory only (None if unknown)."""
        return self._devices.get(device_id)

    def cached_principal(self, token: str) -> Principal | None:
        """The account of a token recently authenticated, from memory only (None if unknown)."""
        return self._principals.get(token_digest(token))

    def authenticate(self, token: str) -> Principal | None:
        digest = token_digest(token)
        cached = self._principals.get(digest)
        if cached is not None:
            return cached
        generation = self._principals.generation
        query = select(account).where(
            account.c.token_sha256 == digest, account.c.disabled.is_(False)
        )
        with reader(self.engine) as connection:
            row = connection.execute(query).mappings().first()
        if row is None:
            return None  # an unknown token is never cached: it is asked again next time
        principal = Principal(row["id"], row["name"], Role(row["role"]), row["scope"])
        self._principals.put(digest, principal, generation)
        return principal

    def count(self, role: Role) -> int:
        query = select(account.c.id).where(account.c.role == role.value)
        with reader(self.engine) as connection:
            return len(connection.execute(query).all())

    def register_device(self, principal: Principal, public_raw: bytes, at: datetime) -> str:
        if len(public_raw) != 32:
            raise InvalidAccount("an Ed25519 public key is 32 bytes")
        device_id = public_key_id(public_raw)
        with self.engine.begin() as connection:
            existing = connection.execute(
                select(device.c.account_id, device.c.revoked_at).where(device.c.id == device_id)
            ).first()
            if existing is not None:
                if existing[0] != principal.account_id:
                    raise InvalidAccount("this key is registered to another account")
                if existing[1] is not None:
                    raise InvalidAccount("this key was revoked: make a new key on the phone")
                return device_id
            connection.execute(
                insert(device).values(
                    id=device_id,
                    account_id=principal.account_id,
                    public_key=public_raw.hex(),
                    registered_at=at.isoformat(),
                )
            )
            event = DeviceRegistered(principal.account_id, device_id, public_raw.hex())
            self.log.append(connection, [event], at, principal.account_id, "device registration")
        return device_id

    def device_key(self, device_id: str) -> DeviceKey | None:
        """The owning account and raw public key of a device, and whether it was revoked."""
        cached = self._devices.get(device_id)
        if cached is not None:
            return cached
        generation = self._devices.generation
        query = select(device.c.account_id, device.c.public_key, device.c.revoked_at).where(
            device.c.id == device_id
        )
        with reader(self.engine) as connection:
            row = connection.execute(query).first()
        if row is None:
            return None
        found = DeviceKey(str(row[0]), bytes.fromhex(row[1]), row[2] is not None)
        self._devices.put(device_id, found, generation)
        return found

    def disable(self, account_id: str, at: datetime, actor: str, reason: str) -> bool:
        """Disable an account: its token is refused from now on (by other processes within
        ``token_ttl_s``), and with it every device it registered. False when it already was.
        The last enabled administrator cannot be disabled (nobody could administer)."""
        with self.engine.begin() as connection:
            lock_writers(connection)  # the checks below stand until the change commits
            row = connection.execute(
                select(account.c.role, account.c.disabled).where(account.c.id == account_id)
            ).first()
            if row is None:
                raise UnknownAccount(f"no account {account_id}")
            if row[1]:
                return False
            if row[0] == Role.ADMIN.value:
                admins = connection.execute(
                    select(account.c.id).where(
                        account.c.role == Role.ADMIN.value, account.c.disabled.is_(False)
                    )
                ).all()
                if len(admins) <= 1:
                    raise AccountRefused("the last enabled administrator cannot be disabled")
            connection.execute(
                update(account).where(account.c.id == account_id).values(disabled=True)
            )
            event = AccountDisabled(account_id, reason)
            self.log.append(connection, [event], at, actor, reason or "account disabled")
        self.forget()
        return True

    def reissue_token(self, account_id: str, at: datetime, actor: str) -> str:
        """A new bearer token for an account (shown once); the old one is refused from now
        on. A disabled account gets none."""
        with self.engine.begin() as connection:
            lock_writers(connection)
            row = connection.execute(
                select(account.c.disabled).where(account.c.id == account_id)
            ).first()
            if row is None:
                raise UnknownAccount(f"no account {account_id}")
            if row[0]:
                raise AccountRefused("the account is disabled")
            token = _new_token(connection, account_id)
            self.log.append(connection, [TokenReissued(account_id)], at, actor, "new token")
        self.forget()
        return token

    def revoke_device(
        self, device_id: str, at: datetime, actor: str, reason: str, new_token: bool = True
    ) -> tuple[bool, str | None]:
        """Revoke a device's key: photos it signs are refused from now on (by other
        processes within ``token_ttl_s``); those taken before stay. With ``new_token`` (a
        stolen phone also holds its officer's token, with which a thief could register a key
        of his own) the account gets a new token too, returned to be handed over. False (and
        no token) when it already was revoked."""
        token = None
        with self.engine.begin() as connection:
            lock_writers(connection)
            row = connection.execute(
                select(device.c.account_id, device.c.revoked_at).where(device.c.id == device_id)
            ).first()
            if row is None:
                raise UnknownAccount(f"no device {device_id}")
            if row[1] is not None:
                return False, None
            owner = str(row[0])
            connection.execute(
                update(device).where(device.c.id == device_id).values(revoked_at=at.isoformat())
            )
            events: list[Event] = [DeviceRevoked(owner, device_id, reason)]
            if new_token:
                token = _new_token(connection, owner)
                events.append(TokenReissued(owner))
            self.log.append(connection, events, at, actor, reason or "device revoked")
        self.forget()
        return True, token

    def entries(self, scope: str = "", after: str = "", limit: int = 100) -> list[AccountEntry]:
        """Accounts whose scope starts with ``scope``, by id after ``after`` (a page of at
        most ``limit``), each with its devices."""
        query = (
            select(account)
            .where(account.c.scope.startswith(scope, autoescape=True), account.c.id > after)
            .order_by(account.c.id)
            .limit(limit)
        )
        with reader(self.engine) as connection:
            rows = connection.execute(query).mappings().all()
            ids = [row["id"] for row in rows]
            owned: dict[str, list[tuple[str, str, str | None]]] = {i: [] for i in ids}
            if ids:
                columns = (device.c.account_id, device.c.id, device.c.registered_at)
                for found in connection.execute(
                    select(*columns, device.c.revoked_at)
                    .where(device.c.account_id.in_(ids))
                    .order_by(device.c.registered_at, device.c.id)
                ):
                    owned[found[0]].append((found[1], found[2], found[3]))
        return [
            AccountEntry(
                row["id"],
                row["name"],
                Role(row["role"]),
                row["scope"],
                row["created_at"],
                bool(row["disabled"]),
                tuple(owned[row["id"]]),
            )
            for row in rows
        ]
