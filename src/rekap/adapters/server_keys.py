"""The server's Ed25519 signing key: made on first use, kept as a file, published by its id.

Receipts, log heads and snapshot manifests are signed with it; anyone holding the public key
checks them offline. ``key_id`` is the first 16 hex digits of the SHA-256 of the raw public key.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

DEFAULT_KEY_PATH = Path("var") / "keys" / "server-ed25519.pem"


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
class ServerKey:
    private: Ed25519PrivateKey

    @property
    def public_raw(self) -> bytes:
        return raw_public(self.private.public_key())

    @property
    def key_id(self) -> str:
        return public_key_id(self.public_raw)

    def sign(self, message: bytes) -> bytes:
        return self.private.sign(message)

    def verify(self, key_id: str, message: bytes, signature: bytes) -> bool:
        return key_id == self.key_id and verify_signature(self.public_raw, message, signature)

    @classmethod
    def load_or_create(cls, path: Path = DEFAULT_KEY_PATH) -> ServerKey:
        if path.exists():
            loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
            if not isinstance(loaded, Ed25519PrivateKey):
                raise ValueError(f"{path} does not hold an Ed25519 private key")
            return cls(loaded)
        private = Ed25519PrivateKey.generate()
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        temporary = path.with_suffix(".tmp")
        temporary.write_bytes(pem)
        os.chmod(temporary, 0o600)
        temporary.replace(path)
        return cls(private)
