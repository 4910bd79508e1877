"""The true counts of every TPS of one desa, drawn together (vectorised) from the desa's draw.

Per TPS: DPT size, its split into men and women, turnout of each, voters moved in (DPTb)
and voting with ID only (DPK), ballots received (DPT + 2% reserve, more when DPTb and DPK
voters need them), damaged ballots, voters with disabilities, invalid votes, and the paslon
votes as ``Multinomial(suara sah, Dirichlet(α_tps · desa shares))``. Every C.Hasil identity
holds by construction, every number fits the form's three digit boxes (0..999), and a
domestic TPS serves at most 300 voters, DPTb and DPK included (KPU places them where there
is room).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from rekap.domain.election import Election
from rekap.domain.form import vote_field_id
from rekap.domain.region_tree import JenisTps, Region
from rekap.simulation.election_model import ModelParams, RegionDraw, logit
from rekap.simulation.seeds import generator

__all__ = ["MAX_CELL", "TpsCounts", "sample_desa"]

MAX_CELL = 999
IntArray = NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class TpsCounts:
    """The true counts of one TPS, by form field id."""

    nomor: int
    values: dict[str, int]
    bloc_vote: bool


def _sigmoid(x: NDArray[np.float64]) -> NDArray[np.float64]:
    result: NDArray[np.float64] = 1.0 / (1.0 + np.exp(-x))
    return result


def _dpt_sizes(
    rng: np.random.Generator, nomor: IntArray, jenis: JenisTps, p: ModelParams, cap: int
) -> IntArray:
    n = len(nomor)
    if jenis.exempt_from_size_limit:
        mean, sd, top = p.postal_dpt
        sizes = np.rint(rng.normal(mean, sd, n)).clip(p.dpt_min, top)
        return sizes.astype(np.int64)
    desa_mean = float(np.clip(rng.normal(p.dpt_mean, p.dpt_desa_sd), 120.0, cap - 5))
    sizes = np.rint(rng.normal(desa_mean, p.dpt_tps_sd, n)).clip(p.dpt_min, cap)
    low, high = p.special_tps_dpt
    special = rng.integers(low, high + 1, n)
    return np.where(nomor >= 900, special, sizes).astype(np.int64)


def _split(rng: np.random.Generator, totals: IntArray, p_first: float) -> tuple[IntArray, IntArray]:
    first = rng.binomial(totals, p_first).astype(np.int64)
    return first, totals - first


def sample_desa(
    region: Region,
    draw: RegionDraw,
    params: ModelParams,
    election: Election,
    seed: int,
    paslon: tuple[int, ...],
) -> list[TpsCounts]:
    """The counts of every TPS of ``region`` (a desa or an overseas unit), in number order."""
    nomor = np.array(list(_numbers(region)), dtype=np.int64)
    n = len(nomor)
    if n == 0:
        return []
    rng = generator(seed, "desa", region.kode.value)
    jenis = region.jenis or JenisTps.TPS
    tps = params.tps
    dpt = _dpt_sizes(rng, nomor, jenis, params, election.max_voters_per_tps)
    women_share = float(np.clip(rng.normal(params.women_share, params.women_share_sd), 0.4, 0.6))
    dpt_p, dpt_l = _split(rng, dpt, women_share)

    base = draw.turnout_logit + rng.normal(0.0, tps.turnout_sd, n)
    if region.kode.is_overseas:
        base += logit(params.overseas_turnout) - logit(params.turnout)
    noken = election.uses_noken(region.kode)
    bloc = (rng.random(n) < params.noken_bloc_probability) if noken else np.zeros(n, dtype=bool)
    base = np.where(bloc, base + 4.0, base)
    shift = params.women_turnout_shift / 2
    voted_l = rng.binomial(dpt_l, _sigmoid(base - shift)).astype(np.int64)
    voted_p = rng.binomial(dpt_p, _sigmoid(base + shift)).astype(np.int64)

    rusak = np.minimum(rng.poisson(params.damaged_mean, n), 5).astype(np.int64)
    limit = MAX_CELL if jenis.exempt_from_size_limit else election.max_voters_per_tps
    room = np.minimum(MAX_CELL - rusak, limit) - voted_l - voted_p
    dpk_rate = np.exp(draw.dpk_log_rate + rng.normal(0.0, tps.register_sd, n))
    dpk = np.minimum(rng.poisson(dpt * dpk_rate), room).astype(np.int64)
    dptb_rate = np.exp(draw.dptb_log_rate + rng.normal(0.0, tps.register_sd, n))
    dptb = np.minimum(rng.poisson(dpt * dptb_rate), room - dpk).astype(np.int64)
    dptb_l, dptb_p = _split(rng, dptb, 0.5)
    dpk_l, dpk_p = _split(rng, dpk, 0.5)
    total_l, total_p = voted_l + dptb_l + dpk_l, voted_p + dptb_p + dpk_p
    total = total_l + total_p

    invalid_p = _sigmoid(draw.invalid_logit + rng.normal(0.0, tps.invalid_sd, n))
    tidak_sah = np.where(bloc, 0, rng.binomial(total, invalid_p)).astype(np.int64)
    sah = total - tidak_sah
    alpha = tps.share_concentration * np.asarray(draw.shares)
    shares = rng.dirichlet(np.clip(alpha, 1e-3, None), n)
    winner = rng.choice(len(paslon), size=n, p=np.asarray(draw.shares))
    shares = np.where(bloc[:, None], np.eye(len(paslon))[winner], shares)
    shares = shares / shares.sum(axis=1, keepdims=True)
    votes = rng.multinomial(sah, shares).astype(np.int64)

    reserve = np.array([math.ceil(d * election.ballot_reserve_fraction) for d in dpt])
    diterima = np.minimum(np.maximum(dpt + reserve, total + rusak), MAX_CELL)
    dis_l = rng.binomial(total_l, params.disabilitas_rate).astype(np.int64)
    dis_p = rng.binomial(total_p, params.disabilitas_rate).astype(np.int64)

    columns: dict[str, IntArray] = {}
    for group, (lk, pk) in {
        "dpt": (dpt_l, dpt_p),
        "pengguna_dpt": (voted_l, voted_p),
        "pengguna_dptb": (dptb_l, dptb_p),
        "pengguna_dpk": (dpk_l, dpk_p),
        "pengguna_total": (total_l, total_p),
        "disabilitas": (dis_l, dis_p),
    }.items():
        columns[f"{group}_l"], columns[f"{group}_p"], columns[f"{group}_j"] = lk, pk, lk + pk
    columns["surat_suara_diterima"] = diterima
    columns["surat_suara_digunakan"] = total
    columns["surat_suara_rusak"] = rusak
    columns["surat_suara_tidak_digunakan"] = diterima - total - rusak
    for i, nomor_urut in enumerate(paslon):
        columns[vote_field_id(nomor_urut)] = votes[:, i]
    columns["suara_sah"], columns["suara_tidak_sah"], columns["suara_total"] = sah, tidak_sah, total
    return [
        TpsCounts(int(nomor[i]), {k: int(v[i]) for k, v in columns.items()}, bool(bloc[i]))
        for i in range(n)
    ]


def _numbers(region: Region) -> list[int]:
    return [nomor for r in region.tps_ranges for nomor in range(r.first, r.last + 1)]
