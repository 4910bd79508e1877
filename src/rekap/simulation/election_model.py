"""The statistical model of a simulated election night: parameters and regional variation.

Regional variation is hierarchical. Each region draws its own parameters from its parent's,
nation → provinsi → kabupaten/kota → kecamatan → desa, and each TPS from its desa's:

- paslon shares: ``child ~ Dirichlet(α_level · parent)``, a larger concentration α keeping
  the child closer to its parent;
- turnout and the invalid-vote rate: a logit-normal random walk, ``logit(child) =
  logit(parent) + Normal(0, sd_level)``;
- the DPTb and DPK rates (voters moved in, voters with ID only): a log-normal random walk.

The nation's values are the 2024 official figures (docs/simulator.md gives the sources and
every parameter). Each region's draw comes from a generator keyed by the seed and the
region's code, so a region gets the same parameters whatever subtree is simulated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from rekap.domain.wilayah import KodeWilayah, Level
from rekap.simulation.seeds import generator

__all__ = ["LevelSpread", "ModelParams", "RegionDraw", "RegionModel"]

OFFICIAL_SHARES_2024 = (
    40_971_906 / 164_227_475,
    96_214_691 / 164_227_475,
    27_040_878 / 164_227_475,
)
"""Final official PPWP 2024 result (domain.md): Anies–Muhaimin, Prabowo–Gibran, Ganjar–Mahfud."""
_MIN_SHARE = 1e-4


@dataclass(frozen=True, slots=True)
class LevelSpread:
    """How far a region strays from its parent at one level of the hierarchy."""

    share_concentration: float
    """α of ``Dirichlet(α · parent shares)``; the sd of a share s is ``sqrt(s(1-s)/(α+1))``."""
    turnout_sd: float
    """Standard deviation of the turnout logit offset."""
    invalid_sd: float
    """Standard deviation of the invalid-vote-rate logit offset."""
    register_sd: float
    """Standard deviation of the log DPTb and log DPK rate offsets."""


@dataclass(frozen=True, slots=True)
class ModelParams:
    """Every number of the model (docs/simulator.md explains each)."""

    national_shares: tuple[float, ...] = OFFICIAL_SHARES_2024
    turnout: float = 0.818
    women_turnout_shift: float = 0.10
    """Women's turnout logit minus men's."""
    invalid_rate: float = 0.025
    dptb_rate: float = 0.012
    dpk_rate: float = 0.006
    provinsi: LevelSpread = LevelSpread(8.0, 0.30, 0.35, 0.5)
    kabupaten_kota: LevelSpread = LevelSpread(30.0, 0.20, 0.30, 0.4)
    kecamatan: LevelSpread = LevelSpread(80.0, 0.12, 0.20, 0.3)
    desa: LevelSpread = LevelSpread(150.0, 0.12, 0.25, 0.3)
    tps: LevelSpread = LevelSpread(400.0, 0.15, 0.30, 0.3)
    dpt_mean: float = 250.0
    dpt_desa_sd: float = 25.0
    dpt_tps_sd: float = 25.0
    dpt_min: int = 30
    special_tps_dpt: tuple[int, int] = (40, 300)
    """DPT range of special-location TPS (numbers 9xx: hospitals, prisons, campuses)."""
    overseas_turnout: float = 0.5
    postal_dpt: tuple[float, float, int] = (550.0, 200.0, 950)
    """POS and KSK units: mean, sd and maximum DPT (the form's boxes hold 0..999)."""
    women_share: float = 0.5
    women_share_sd: float = 0.015
    damaged_mean: float = 0.5
    """Mean of the Poisson count of ballots returned damaged or miscast."""
    disabilitas_rate: float = 0.006
    noken_bloc_probability: float = 0.6
    """In noken regions, the chance that a TPS votes as one bloc for one paslon."""

    def spread(self, level: Level) -> LevelSpread:
        return {
            Level.PROVINSI: self.provinsi,
            Level.KABUPATEN_KOTA: self.kabupaten_kota,
            Level.KECAMATAN: self.kecamatan,
            Level.DESA: self.desa,
            Level.TPS: self.tps,
        }[level]


@dataclass(frozen=True, slots=True)
class RegionDraw:
    """A region's own parameters, drawn from its parent's."""

    shares: tuple[float, ...]
    turnout_logit: float
    invalid_logit: float
    dptb_log_rate: float
    dpk_log_rate: float


def logit(p: float) -> float:
    return math.log(p / (1 - p))


def _normalised(shares: np.typing.NDArray[np.float64]) -> np.typing.NDArray[np.float64]:
    clipped = np.clip(shares, _MIN_SHARE, None)
    result: np.typing.NDArray[np.float64] = clipped / clipped.sum()
    return result


@dataclass
class RegionModel:
    """Draws (and remembers) the parameters of any region for one seed."""

    params: ModelParams
    seed: int
    paslon_count: int
    _memo: dict[str, RegionDraw] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if len(self.params.national_shares) != self.paslon_count:
            raise ValueError(
                f"the model has {len(self.params.national_shares)} national shares "
                f"but the ballot lists {self.paslon_count} paslon"
            )

    def nation(self) -> RegionDraw:
        p = self.params
        shares = _normalised(np.asarray(p.national_shares, dtype=np.float64))
        return RegionDraw(
            tuple(float(s) for s in shares),
            logit(p.turnout),
            logit(p.invalid_rate),
            math.log(p.dptb_rate),
            math.log(p.dpk_rate),
        )

    def draw(self, kode: KodeWilayah) -> RegionDraw:
        """The parameters of a region (not a TPS), drawn once per seed and code."""
        known = self._memo.get(kode.value)
        if known is not None:
            return known
        parent = kode.parent
        drawn = self.nation() if parent is None else self.child(self.draw(parent), kode)
        self._memo[kode.value] = drawn
        return drawn

    def child(self, parent: RegionDraw, kode: KodeWilayah) -> RegionDraw:
        spread = self.params.spread(kode.level)
        rng = generator(self.seed, "region", kode.value)
        alpha = spread.share_concentration * np.asarray(parent.shares, dtype=np.float64)
        shares = _normalised(rng.dirichlet(np.clip(alpha, 1e-3, None)))
        turnout, invalid, dptb, dpk = rng.normal(
            0.0,
            [spread.turnout_sd, spread.invalid_sd, spread.register_sd, spread.register_sd],
        )
        return RegionDraw(
            tuple(float(s) for s in shares),
            parent.turnout_logit + float(turnout),
            parent.invalid_logit + float(invalid),
            parent.dptb_log_rate + float(dptb),
            parent.dpk_log_rate + float(dpk),
        )
