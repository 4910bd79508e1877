"""Joint stage: the probability of every field's value given the evidence of all fields.

Fields tied by an identity (`sum(parts) = total`) inform each other: when the parts are
read surely, a total whose own boxes are 97 % sure of 118 and 3 % of 178 is 118 all the
more if the parts add up to 118. But a KPPS can write a wrong sum, and the product exists to
report that mistake, not to hide it. So each identity is a soft factor with an explicit
prior probability that the written numbers break it (`MistakePrior`):

    phi(d) = (1 - rate)            if d = 0    (d = sum(parts) - total)
           = rate * q(d)           otherwise, q = a mixture of "off by 1..reach" and
                                   "off by anything" (uniform over 1998 discrepancies)

A number written as a mistake then still wins whenever its own marks say so clearly.

The probabilities are computed by sum-product message passing over the graph of fields and
identities, which is exact because that graph holds no loop (`identities.check_no_loop`):
each message is computed once, from the leaves of the tree inwards (memoised recursion).
Messages are distributions over 0..999; a sum's distribution is a convolution (by FFT).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np

from rekap.reading.geometry import FloatArray
from rekap.reading.identities import SumIdentity, check_no_loop

VALUES = 1000
ANY_DISCREPANCY = 2 * (VALUES - 1)
"""Non-zero discrepancies of two numbers 0..999: the "off by anything" part is spread
evenly over this many."""


@dataclass(frozen=True)
class MistakePrior:
    rate: float = 0.05
    """P(the written numbers break one given identity). Sirekap's own March 2024 data, whose
    misreads were never all corrected, break sum(paslon) = suara sah at 3 % of TPS and
    sah + tidak sah = total at 0.7 % (domain.md); 5 % gives the identities less weight."""
    small_share: float = 0.5
    """Share of mistakes that are off by 1..small_reach (a miscount)..."""
    small_reach: int = 10
    """...the rest are off by any amount (a misremembered digit, a transposition)."""

    def __post_init__(self) -> None:
        if not 0.0 < self.rate < 1.0 or not 0.0 <= self.small_share <= 1.0:
            raise ValueError("mistake rate must lie in (0, 1) and small_share in [0, 1]")
        if self.small_reach < 1:
            raise ValueError("small_reach must be at least 1")


DEFAULT_MISTAKE_PRIOR = MistakePrior()


@dataclass(frozen=True)
class _Distribution:
    """P(S = offset + i) = p[i] for a signed sum S of field values."""

    p: FloatArray
    offset: int


def _convolve(a: FloatArray, b: FloatArray) -> FloatArray:
    size = len(a) + len(b) - 1
    n = 1 << (size - 1).bit_length()
    result = np.fft.irfft(np.fft.rfft(a, n) * np.fft.rfft(b, n), n)[:size]
    clipped: FloatArray = np.clip(result, 0.0, None)
    return clipped


def _signed(p: FloatArray, sign: int) -> _Distribution:
    return _Distribution(p, 0) if sign > 0 else _Distribution(p[::-1].copy(), -(len(p) - 1))


def _sum(items: Sequence[_Distribution]) -> _Distribution:
    total = items[0]
    for item in items[1:]:
        total = _Distribution(_convolve(total.p, item.p), total.offset + item.offset)
    return total


def _at(distribution: _Distribution, values: FloatArray) -> FloatArray:
    """P(S = value) for each value, 0 outside the distribution's support."""
    index = values.astype(np.int64) - distribution.offset
    inside = (index >= 0) & (index < len(distribution.p))
    result = np.zeros(len(values))
    result[inside] = distribution.p[index[inside]]
    return result


def _normalised(p: FloatArray) -> FloatArray:
    result: FloatArray = p / p.sum()
    return result


def _factor_message(others: _Distribution, sign: int, prior: MistakePrior) -> FloatArray:
    """(1000,) sum over the other fields of P(their values) * phi(discrepancy), for each
    value of the target field, whose sign in the identity is `sign`."""
    needed = -sign * np.arange(VALUES, dtype=np.float64)
    """The others' signed sum that makes the discrepancy 0 for each target value."""
    exact = _at(others, needed)
    reach = prior.small_reach
    kernel = np.full(2 * reach + 1, 1.0 / (2 * reach))
    kernel[reach] = 0.0
    near = _at(_Distribution(_convolve(others.p, kernel), others.offset - reach), needed)
    mistake = prior.small_share * near + (1 - prior.small_share) * (1 - exact) / ANY_DISCREPANCY
    return _normalised((1 - prior.rate) * exact + prior.rate * mistake + 1e-300)


@dataclass(frozen=True)
class JointPosteriors:
    posteriors: Mapping[str, FloatArray]
    """Per field in at least one usable identity: P(value | the evidence of all fields)."""
    identities: Mapping[str, tuple[str, ...]]
    """Per such field, the names of the identities that informed it."""


def joint_posteriors(
    evidence: Mapping[str, FloatArray],
    identities: Sequence[SumIdentity],
    prior: MistakePrior = DEFAULT_MISTAKE_PRIOR,
) -> JointPosteriors:
    """Exact posteriors of the fields tied by those `identities` all of whose fields have
    evidence (each a (1000,) distribution from the field's own marks)."""
    usable = [i for i in identities if all(f in evidence for f in i.fields)]
    check_no_loop(usable)
    signs = [{**dict.fromkeys(i.parts, 1), i.total: -1} for i in usable]
    member = {
        f: [k for k, i in enumerate(usable) if f in i.fields] for i in usable for f in i.fields
    }

    @cache
    def towards_identity(field: str, identity: int) -> FloatArray:
        """What the field tells the identity: its own evidence and its other identities."""
        p = np.asarray(evidence[field], dtype=np.float64)
        for k in member[field]:
            if k != identity:
                p = p * towards_field(k, field)
        return _normalised(p + 1e-300)

    @cache
    def towards_field(identity: int, target: str) -> FloatArray:
        """What the identity tells the field, given everything beyond it on the tree."""
        others = [
            _signed(towards_identity(f, identity), signs[identity][f])
            for f in usable[identity].fields
            if f != target
        ]
        return _factor_message(_sum(others), signs[identity][target], prior)

    posteriors = {}
    for field, ks in member.items():
        p = np.asarray(evidence[field], dtype=np.float64)
        for k in ks:
            p = p * towards_field(k, field)
        posteriors[field] = _normalised(p + 1e-300)
    names = {f: tuple(usable[k].name for k in ks) for f, ks in member.items()}
    return JointPosteriors(posteriors, names)
