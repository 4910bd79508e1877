"""Signed chain heads: at intervals and at every publication, the head's hash is signed.

The signature covers ``rekap-log-head:<sequence>:<hash>``; anyone with the public key can check
that the log they hold is the log the server committed to.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


class Signer(Protocol):
    @property
    def key_id(self) -> str: ...

    def sign(self, message: bytes) -> bytes: ...


class SignatureVerifier(Protocol):
    def verify(self, key_id: str, message: bytes, signature: bytes) -> bool: ...


@dataclass(frozen=True, slots=True)
class SignedHead:
    sequence: int
    hash: str
    at: datetime
    key_id: str
    signature: bytes


def head_message(sequence: int, head_hash: str) -> bytes:
    return f"rekap-log-head:{sequence}:{head_hash}".encode()


def sign_head(sequence: int, head_hash: str, at: datetime, signer: Signer) -> SignedHead:
    signature = signer.sign(head_message(sequence, head_hash))
    return SignedHead(sequence, head_hash, at, signer.key_id, signature)


def check_heads(
    heads: Iterable[SignedHead],
    hashes: Mapping[int, str],
    verifier: SignatureVerifier,
) -> list[str]:
    """Problems with the signed heads: a bad signature, or a head the log does not contain."""
    problems = []
    for head in heads:
        message = head_message(head.sequence, head.hash)
        if not verifier.verify(head.key_id, message, head.signature):
            problems.append(f"head {head.sequence}: the signature does not verify")
        elif hashes.get(head.sequence) != head.hash:
            problems.append(f"head {head.sequence}: the log holds another hash at this position")
    return problems
