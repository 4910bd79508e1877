"""View models of the region pages: a region's totals, its children, and a desa's TPS."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rekap.domain.region_tree import RegionTree
from rekap.domain.wilayah import KodeWilayah, Level
from rekap.tally.region_tally import Coverage, RegionTally
from rekap.web.portal.live import LiveData, TpsFacts
from rekap.web.portal.paslon import Paslon, Share, leader, shares
from rekap.web.portal.region_voters import NONE, RegionVoters
from rekap.web.portal.tps_view import machine_hidden

TOTALS = ("suara_sah", "suara_tidak_sah", "suara_total")


@dataclass(frozen=True)
class RegionLine:
    kode: str
    nama: str
    level: Level
    coverage: Coverage
    shares: tuple[Share, ...]
    leader: Paslon | None
    totals: Mapping[str, int]
    held_tps: int
    held_totals: Mapping[str, int]
    """The totals of the held TPS, shown beside the counted ones and never added to them."""
    voters: RegionVoters = NONE
    """DPT and voters of the counted TPS (turnout), and the counted TPS the tree lacks."""

    @property
    def counted_listed(self) -> int:
        """Counted TPS that the region tree lists: the numerator of ``counted_share``."""
        return self.coverage.counted - self.voters.unlisted

    @property
    def counted_share(self) -> float:
        """The share of the TPS the tree lists that are counted (never above 1: a counted TPS
        the tree does not list is in the totals but not in this share, and said apart)."""
        expected = self.coverage.tps_expected
        return self.counted_listed / expected if expected else 0.0

    @property
    def has_votes(self) -> bool:
        return any(s.votes for s in self.shares)

    @property
    def waiting(self) -> int:
        """TPS whose numbers were read but are neither counted nor held: their forms wait
        for people to enter them (verification or adjudication)."""
        c = self.coverage
        return max(0, c.read - c.counted - c.blocking)


@dataclass(frozen=True)
class TpsLine:
    kode: str
    nomor: int
    status: str
    values: Mapping[str, int]
    shares: tuple[Share, ...]
    leader: Paslon | None
    """The paslon its counted numbers put first; None while it is held (or a tie)."""
    blocking: int
    warnings: int
    source_kind: str | None

    @property
    def held(self) -> bool:
        """Its numbers are held out of every total by a blocking finding."""
        return self.status == "status_held"

    @property
    def has_votes(self) -> bool:
        """Votes that count: a held TPS's numbers are in no total, so it has none."""
        return not self.held and any(s.votes for s in self.shares)


@dataclass(frozen=True)
class RegionPage:
    own: RegionLine
    path: tuple[tuple[str, str], ...]
    """The regions above, from the provinsi down (the nation is the root link)."""
    children: tuple[RegionLine, ...]
    tps: tuple[TpsLine, ...]
    version: int

    @property
    def is_desa(self) -> bool:
        return self.own.level is Level.DESA


def region_line(
    tally: RegionTally, nama: str, paslon: Sequence[Paslon], voters: RegionVoters = NONE
) -> RegionLine:
    items = shares(paslon, tally.counted, tally.held)
    return RegionLine(
        tally.kode,
        nama,
        KodeWilayah(tally.kode).level,
        tally.coverage,
        items,
        leader(items),
        {f: tally.counted.get(f, 0) for f in TOTALS},
        tally.coverage.blocking,
        {f: tally.held.get(f, 0) for f in TOTALS},
        voters,
    )


def tps_line(kode: str, facts: TpsFacts | None, paslon: Sequence[Paslon]) -> TpsLine:
    values = dict(facts.result.values) if facts is not None and facts.result is not None else {}
    items = shares(paslon, values, {})
    status = facts.status if facts is not None else "status_none"
    # while people enter a form blind its findings speak of the machine's reading: the TPS
    # page and the anomaly list hide them, and so does this row
    findings = () if facts is None or machine_hidden(facts) else facts.findings
    return TpsLine(
        kode,
        int(kode[10:]),
        status,
        values,
        items,
        None if status == "status_held" else leader(items),  # a held TPS leads nowhere
        sum(f.blocking for f in findings),
        sum(not f.blocking for f in findings),
        facts.result.source_kind if facts is not None and facts.result is not None else None,
    )


def nearest_region(tree: RegionTree, kode: str) -> tuple[str, str] | None:
    """The code and name of the nearest region above ``kode`` that the tree has (for a page
    about a code that is not there), or None."""
    for length in (10, 6, 4, 2):
        above = kode[:length]
        if length < len(kode) and above.isdigit() and above in tree.regions:
            return above, tree.regions[above].nama
    return None


def desa_tps(tree: RegionTree, live: LiveData, desa: str) -> tuple[str, ...]:
    """The TPS the tree lists for a desa, and any other that has data."""
    listed = {c.value for c in tree.regions[desa].tps_codes()}
    return tuple(sorted(listed | set(live.tps_of_desa.get(desa, ()))))


def region_page(
    tree: RegionTree, live: LiveData, paslon: Sequence[Paslon], kode: str
) -> RegionPage:
    """The page of a region in the tree (raises KeyError for an unknown code); its figures
    and its children's are the stored tally's, read together."""
    region = tree.regions[kode]
    below = () if region.level is Level.DESA else tuple(tree.children_of.get(kode, ()))
    figures = live.figures.regions((kode, *below))
    own = region_line(figures[kode], region.nama, paslon, live.voters_of(kode))
    path = tuple((p.kode.value, p.nama) for p in tree.path(region.kode) if p.kode.value != "")
    tps: tuple[TpsLine, ...] = ()
    if region.level is Level.DESA:
        tps = tuple(tps_line(k, live.tps.get(k), paslon) for k in desa_tps(tree, live, kode))
    children = tuple(
        region_line(figures[c], tree.regions[c].nama, paslon, live.voters_of(c)) for c in below
    )
    return RegionPage(own, path[:-1] if kode else (), children, tps, live.head)
