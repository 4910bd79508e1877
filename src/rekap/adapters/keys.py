"""The Ed25519 key that signs snapshot manifests: made on first use, kept as a PEM file.

The private key never leaves ``var/keys/`` (mode 0600); the public key is published in every
snapshot. ``key_id`` is the first 16 hex digits of the SHA-256 of the raw public key.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

DEFAULT_SNAPSHOT_KEY = Path("var") / "keys" / "snapshot-ed25519.pem"


class NotAnEd25519Key(ValueError):
    """The key file holds something other than an unencrypted Ed25519 private key."""


@dataclass(frozen=True)
class SigningKey:
    private: Ed25519PrivateKey

    @property
    def public_raw(self) -> bytes:
        return self.private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    @property
    def public_pem(self) -> bytes:
        return self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    @property
    def key_id(self) -> str:
        return hashlib.sha256(self.public_raw).hexdigest()[:16]

    def sign(self, message: bytes) -> bytes:
        return self.private.sign(message)


def load_or_create(path: Path = DEFAULT_SNAPSHOT_KEY) -> SigningKey:
    """The key at ``path``; a new one is generated and saved there when there is none."""
    if path.exists():
        loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
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
