"""What the region tally does not sum, summed over the same counted TPS: the DPT and the
voters (for turnout), and the counted TPS that the region tree does not list.

The stored tally (``rekap.tally``) sums the votes of every counted TPS of a desa the tree
knows, listed or not, while ``tps_expected`` counts only the TPS the tree lists; so a share
of counted TPS must leave the unlisted ones out of its numerator, and say how many there are.
Pure: TPS facts in, per-region sums out; kept up to date by the TPS that changed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

DPT = "dpt_j"
VOTERS = "pengguna_total_j"


@dataclass(frozen=True, slots=True)
class RegionVoters:
    dpt: int = 0
    """The DPT of the counted TPS that give both their DPT and their voters."""
    voters: int = 0
    """The voters (pengguna hak pilih) of the same TPS."""
    tps: int = 0
    """How many counted TPS those two sums cover."""
    unlisted: int = 0
    """Counted TPS the region tree does not list: in the totals, not in ``tps_expected``."""

    def plus(self, other: RegionVoters, sign: int = 1) -> RegionVoters:
        return RegionVoters(
            self.dpt + sign * other.dpt,
            self.voters + sign * other.voters,
            self.tps + sign * other.tps,
            self.unlisted + sign * other.unlisted,
        )

    @property
    def turnout(self) -> float | None:
        """Voters over DPT of the TPS that give both; None when none does."""
        return self.voters / self.dpt if self.dpt > 0 else None


NONE = RegionVoters()


def tps_voters(values: Mapping[str, int], counted: bool, listed: bool) -> RegionVoters:
    """What one TPS adds to each region above it: nothing unless it is counted."""
    if not counted:
        return NONE
    both = DPT in values and VOTERS in values
    return RegionVoters(
        values.get(DPT, 0) if both else 0,
        values.get(VOTERS, 0) if both else 0,
        int(both),
        int(not listed),
    )


def above(kode_tps: str) -> tuple[str, ...]:
    return ("", kode_tps[:2], kode_tps[:4], kode_tps[:6], kode_tps[:10])


Share = Callable[[str], RegionVoters]
"""A TPS code to what it adds (NONE for a TPS outside the tree's desa)."""


def sum_voters(codes: Iterable[str], share: Share) -> dict[str, RegionVoters]:
    """Each region's sums over the TPS of ``codes``: summed by desa first, in plain numbers,
    then each desa's sums added to the regions above it (a national store has 823,366 TPS
    and 84,035 desa: five additions a desa, not five a TPS)."""
    by_desa: dict[str, list[int]] = {}
    for kode in codes:
        added = share(kode)
        if added is NONE or added == NONE:
            continue
        sums = by_desa.get(kode[:10])
        if sums is None:
            sums = by_desa[kode[:10]] = [0, 0, 0, 0]
        sums[0] += added.dpt
        sums[1] += added.voters
        sums[2] += added.tps
        sums[3] += added.unlisted
    totals: dict[str, list[int]] = {}
    for desa, sums in by_desa.items():
        for region in above(desa):
            into = totals.get(region)
            if into is None:
                totals[region] = list(sums)
            else:
                for i, value in enumerate(sums):
                    into[i] += value
    return {region: RegionVoters(*sums) for region, sums in totals.items()}


def update_voters(
    old: Mapping[str, RegionVoters], changes: Iterable[tuple[str, RegionVoters, RegionVoters]]
) -> dict[str, RegionVoters]:
    """``old`` with each changed TPS's share (code, before, after) swapped, in a copy."""
    out = dict(old)
    for kode, before, after in changes:
        if before == after:
            continue
        for region in above(kode):
            now = out.get(region, NONE).plus(before, -1).plus(after)
            if now == NONE:
                out.pop(region, None)
            else:
                out[region] = now
    return out
