"""A simulated election night for any subtree of the region tree, reproducible from a seed.

``simulate_election`` walks the desa under the root in code order, draws the true counts of
their TPS (`tps_sampler`), then lets some KPPS make mistakes (`errors`) and corrections.
Every draw comes from a generator keyed by the seed and a code (`seeds`), so a TPS gets the
same numbers whether one simulates its desa or the whole country.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from functools import lru_cache

from rekap.domain.election import ContestKind, Election
from rekap.domain.form import FormSpec, c_hasil_ppwp
from rekap.domain.region_tree import JenisTps, Region, RegionTree
from rekap.domain.wilayah import KodeWilayah, Level
from rekap.simulation.election_model import ModelParams, RegionModel
from rekap.simulation.errors import ErrorKind, InjectedError, inject_error, misremember
from rekap.simulation.marks import FieldMarks, default_marks
from rekap.simulation.seeds import generator, sub_seed
from rekap.simulation.tps_sampler import TpsCounts, sample_desa
from rekap.simulation.truth import SimulatedTps

__all__ = ["SimulationOptions", "ppwp_form", "simulate_election"]


@dataclass(frozen=True)
class SimulationOptions:
    """What to simulate besides the votes: mistakes, corrections, handwriting."""

    params: ModelParams = field(default_factory=ModelParams)
    error_rate: float = 0.0
    """Share of TPS whose KPPS makes one mistake (kind drawn from ``error_kinds``)."""
    error_kinds: tuple[ErrorKind, ...] = tuple(ErrorKind)
    correction_rate: float = 0.02
    """Share of TPS with one crossed-out and corrected digit-box value (not a mistake)."""
    writer_pool: int = 0
    """0: every TPS has its own handwriting; N: TPS draw their writer from N hands (faster
    photos, since a hand's glyphs are drawn once)."""

    def __post_init__(self) -> None:
        if not 0.0 <= self.error_rate <= 1.0 or not 0.0 <= self.correction_rate <= 1.0:
            raise ValueError("error_rate and correction_rate must lie in 0..1")
        if self.error_rate > 0 and not self.error_kinds:
            raise ValueError("an error rate needs at least one error kind")
        if self.writer_pool < 0:
            raise ValueError("writer_pool must be 0 or more")


def ppwp_form(election: Election, kode: KodeWilayah) -> FormSpec:
    return c_hasil_ppwp(election.contest(ContestKind.PPWP).dapil_for(kode))


def simulate_election(
    tree: RegionTree,
    election: Election,
    root: KodeWilayah,
    seed: int,
    options: SimulationOptions | None = None,
) -> Iterator[SimulatedTps]:
    """Every TPS under ``root`` (a region of any level, or one TPS), in code order."""
    opts = options or SimulationOptions()
    if root.level is Level.TPS and root not in tree:
        raise KeyError(f"TPS {root.value} is not in the region tree")
    start = tree.desa_of(root).kode if root.level is Level.TPS else root
    tree.get(start)
    form = ppwp_form(election, start)
    paslon = tuple(f.nomor_urut or 0 for f in form.vote_fields)
    model = RegionModel(opts.params, seed, len(paslon))
    for region in tree.subtree(start):
        if region.level is not Level.DESA:
            continue
        names = tuple(r.nama for r in tree.path(region.kode)[1:])
        draw = model.draw(region.kode)
        for counts in sample_desa(region, draw, opts.params, election, seed, paslon):
            kode = region.kode.tps(counts.nomor)
            if root.level is Level.TPS and kode != root:
                continue
            yield _simulated_tps(kode, region, names, counts, form, seed, opts)


def simulate_region(
    region: str, seed: int, options: SimulationOptions | None = None
) -> Iterator[SimulatedTps]:
    """`simulate_election` over the shipped 2024 region tree and election, for a region code
    (any level, or one TPS): what benchmarks, training and tests simulate."""
    from rekap.data import election_2024, region_tree

    return simulate_election(region_tree(), election_2024(), KodeWilayah(region), seed, options)


def _simulated_tps(
    kode: KodeWilayah,
    region: Region,
    names: tuple[str, ...],
    counts: TpsCounts,
    form: FormSpec,
    seed: int,
    opts: SimulationOptions,
) -> SimulatedTps:
    values = dict(counts.values)
    marks = default_marks(values, form)
    rng = generator(seed, "kpps", kode.value)
    own_hand, pooled_hand = (int(v) for v in rng.integers(0, 2**63 - 1, 2))
    errors: list[InjectedError] = []
    if rng.random() < opts.error_rate:
        kinds = list(opts.error_kinds)
        while kinds and not errors:
            kind = kinds.pop(int(rng.integers(len(kinds))))
            injected = inject_error(kind, values, marks, _vote_ids(form), rng)
            if injected is not None:
                errors.append(injected)
    if rng.random() < opts.correction_rate:
        field_id = form.fields[int(rng.integers(len(form.fields)))].id
        wrong = misremember(values[field_id], rng)
        marks[field_id] = replace(marks.get(field_id, FieldMarks()), crossed_out=wrong)
    writer_seed = (
        _pooled_writer(seed, pooled_hand % opts.writer_pool) if opts.writer_pool else own_hand
    )
    return SimulatedTps(
        kode=kode,
        jenis=region.jenis or JenisTps.TPS,
        names=names,
        values=values,
        actual=counts.values,
        marks=marks,
        errors=tuple(errors),
        writer_seed=writer_seed,
        bloc_vote=counts.bloc_vote,
    )


@lru_cache(maxsize=65_536)
def _pooled_writer(seed: int, hand: int) -> int:
    return sub_seed(seed, "writer-pool", hand)


def _vote_ids(form: FormSpec) -> tuple[str, ...]:
    return tuple(f.id for f in form.vote_fields)
