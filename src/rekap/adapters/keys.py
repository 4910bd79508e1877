"""The server's Ed25519 signing keys: made on first use, kept as PEM files (mode 0600).

One kind of key, two roles: the server key signs upload receipts and the change log's heads;
the snapshot key signs published manifests. Anyone holding a public key checks signatures
offline. ``key_id`` is the first 16 hex digits of the SHA-256 of the raw public key.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

DEFAULT_KEY_PATH = Path("var") / "keys" / "server-ed25519.pem"
DEFAULT_SNAPSHOT_KEY = Path("var") / "keys" / "snapshot-ed25519.pem"


class NotAnEd25519Key(ValueError):
    """The key file holds something other than an unencrypted Ed25519 private key."""


def public_key_id(public_raw: bytes) -> str:
    return hashlib.sha256(public_raw).hexdigest()[:16]


def raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def verify_signature(public_raw: bytes, message: bytes, signature: bytes) -> bool:
    """True when ``signature`` is ``public_raw``'s Ed25519 signature of ``message``."""
    try:
        Ed25519PublicKey.from_public_bytes(public_raw).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


@dataclass(frozen=True)
class SigningKey:
    private: Ed25519PrivateKey

    @property
    def public_raw(self) -> bytes:
        return raw_public(self.private.public_key())

    @property
    def public_pem(self) -> bytes:
        return self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    @property
    def key_id(self) -> str:
        return public_key_id(self.public_raw)

    def sign(self, message: bytes) -> bytes:
        return self.private.sign(message)

    def verify(self, key_id: str, message: bytes, signature: bytes) -> bool:
        return key_id == self.key_id and verify_signature(self.public_raw, message, signature)


@dataclass(frozen=True)
class KeyRing:
    """Public keys by key id: checks what any of them signed (the change log's heads, signed
    by one server key and, after that key was lost and replaced, by the next)."""

    keys: dict[str, bytes]

    def verify(self, key_id: str, message: bytes, signature: bytes) -> bool:
        public = self.keys.get(key_id)
        return public is not None and verify_signature(public, message, signature)


def load_public(path: Path) -> bytes:
    """The raw public key in a PEM file holding an Ed25519 private key (the server's own
    file) or only its public half (a key that was lost, as it was published). Never makes a
    key. ``NotAnEd25519Key`` when the file holds neither; ``OSError`` when it cannot be read."""
    data = path.read_bytes()
    try:
        private = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        private = None
    if isinstance(private, Ed25519PrivateKey):
        return raw_public(private.public_key())
    try:
        public = serialization.load_pem_public_key(data)
    except (ValueError, UnsupportedAlgorithm):
        public = None
    if not isinstance(public, Ed25519PublicKey):
        raise NotAnEd25519Key(f"{path} holds neither an Ed25519 private key nor a public one")
    return raw_public(public)


def unsaved_key() -> SigningKey:
    """A new key kept in memory only: for a process that signs nothing (a worker), so that it
    neither needs the server's key nor leaves another one behind."""
    return SigningKey(Ed25519PrivateKey.generate())


def load_or_create(path: Path = DEFAULT_KEY_PATH) -> SigningKey:
    """The key at ``path``; a new one is generated and saved there when there is none.
    ``NotAnEd25519Key`` when the file holds no usable key; ``OSError`` when it cannot be read."""
    if path.exists():
        try:
            loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except (ValueError, TypeError, UnsupportedAlgorithm):  # malformed, encrypted, unknown
            raise NotAnEd25519Key(f"{path} does not hold an unencrypted PEM private key") from None
        if not isinstance(loaded, Ed25519PrivateKey):
            raise NotAnEd25519Key(f"{path} does not hold an Ed25519 private key")
        return SigningKey(loaded)
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(descriptor, pem)
    finally:
        os.close(descriptor)
    os.replace(temporary, path)
    return SigningKey(private)
