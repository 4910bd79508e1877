"""Accounts, bearer tokens and device keys in the store. Tokens are kept only as SHA-256."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import Engine, insert, select

from rekap.adapters.keys import public_key_id
from rekap.adapters.storage.engine import reader
from rekap.adapters.storage.event_store import EventLog
from rekap.adapters.storage.schema import account, device
from rekap.adapters.ttl_cache import TtlCache
from rekap.capture.access import Principal, Role, scope_fits
from rekap.events.model import AccountEnrolled, DeviceRegistered


class InvalidAccount(ValueError):
    """A role and scope that do not fit together, or a malformed key."""


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


TOKEN_TTL_S = 10.0
"""How long a bearer token found in the store is trusted from memory: a disabled account is
refused within this time, and an officer's burst of uploads costs one query, not one each."""


class AccountStore:
    def __init__(self, engine: Engine, log: EventLog, token_ttl_s: float = TOKEN_TTL_S) -> None:
        self.engine = engine
        self.log = log
        self._principals: TtlCache[str, Principal] = TtlCache(token_ttl_s)
        self._devices: TtlCache[str, tuple[str, bytes]] = TtlCache(token_ttl_s)
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

    def forget(self) -> None:
        """Drop what is remembered of tokens and devices (the next request asks the store)."""
        self._principals.clear()
        self._devices.clear()

    def cached_device(self, device_id: str) -> tuple[str, bytes] | None:
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
        query = select(account).where(
            account.c.token_sha256 == digest, account.c.disabled.is_(False)
        )
        with reader(self.engine) as connection:
            row = connection.execute(query).mappings().first()
        if row is None:
            return None  # an unknown token is never cached: it is asked again next time
        principal = Principal(row["id"], row["name"], Role(row["role"]), row["scope"])
        self._principals.put(digest, principal)
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
                select(device.c.account_id).where(device.c.id == device_id)
            ).first()
            if existing is not None:
                if existing[0] != principal.account_id:
                    raise InvalidAccount("this key is registered to another account")
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

    def device_key(self, device_id: str) -> tuple[str, bytes] | None:
        """The owning account and raw public key of a device."""
        cached = self._devices.get(device_id)
        if cached is not None:
            return cached
        query = select(device.c.account_id, device.c.public_key).where(device.c.id == device_id)
        with reader(self.engine) as connection:
            row = connection.execute(query).first()
        if row is None:
            return None
        found = (str(row[0]), bytes.fromhex(row[1]))
        self._devices.put(device_id, found)
        return found
