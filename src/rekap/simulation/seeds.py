"""Deterministic random streams keyed by what they are for.

Every random draw of the simulator comes from a generator named by the user's seed plus a
key (a purpose and a region code, a TPS code, a writer…), never from a shared stream that
is consumed in traversal order. So the votes of a TPS are the same whether one simulates its
desa or the whole country, and adding photos does not change the election.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

import numpy as np

__all__ = ["generator", "key_word", "sub_seed"]

Key = int | str


def key_word(part: Key) -> int:
    """A non-negative integer for one part of a key.

    Digit strings (region codes) map to their value tagged with their length, so ``"33"``
    and ``"0033"`` differ; other strings to a stable 64-bit hash."""
    if isinstance(part, int):
        if part < 0:
            raise ValueError(f"key parts must be non-negative, got {part}")
        return part
    if part.isdigit() and part.isascii() and len(part) <= 18:
        return int(part) | (len(part) << 60) | (1 << 65)
    return _hashed(part)


@lru_cache(maxsize=256)
def _hashed(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little")


def generator(seed: int, *key: Key) -> np.random.Generator:
    """A generator for one purpose, reproducible from the seed and the key alone."""
    return np.random.default_rng(np.random.SeedSequence([key_word(seed), *map(key_word, key)]))


def sub_seed(seed: int, *key: Key) -> int:
    """A 63-bit seed for one purpose (to hand to code that wants an int, not a generator)."""
    return int(generator(seed, *key).integers(0, 2**63 - 1))
