"""A small region tree and random TPS states for the tally's laws."""

from __future__ import annotations

from hypothesis import strategies as st

from rekap.data import election_2024
from rekap.domain.form import FormSpec, c_hasil_ppwp
from rekap.domain.region_tree import JenisTps, Region, RegionTree, TpsRange
from rekap.domain.wilayah import KodeWilayah
from rekap.tally.contribution import TpsState
from rekap.tally.layout import TallyLayout
from rekap.tally.stage import TpsStage

FORM: FormSpec = c_hasil_ppwp(election_2024().contest("ppwp").dapil[0])
LAYOUT = TallyLayout.of_form("ppwp", FORM)


def small_tree() -> RegionTree:
    """2 provinsi x 2 kabupaten x 2 kecamatan x 2 desa, 1 to 3 TPS per desa (35 TPS)."""
    regions = []
    for p in ("11", "99"):
        regions.append(Region(KodeWilayah(p), f"PROVINSI {p}"))
        for k in ("01", "02"):
            regions.append(Region(KodeWilayah(p + k), f"KABUPATEN {p}{k}"))
            for c in ("01", "02"):
                regions.append(Region(KodeWilayah(p + k + c), f"KECAMATAN {p}{k}{c}"))
                for number, d in enumerate(("2001", "2002")):
                    desa = p + k + c + d
                    count = 1 + (int(k) + int(c) + number) % 3
                    ranges = (TpsRange(1, count),)
                    regions.append(Region(KodeWilayah(desa), f"DESA {desa}", JenisTps.TPS, ranges))
    return RegionTree.build(regions)


TREE = small_tree()
TPS_CODES = tuple(
    code.value for region in TREE.regions.values() if region.jenis for code in region.tps_codes()
)


@st.composite
def tps_states(draw: st.DrawFn, kode: str | None = None) -> TpsState:
    """Any state a TPS can be in: any stage, blocked or not, some or none of the numbers,
    entered by people or not."""
    code = kode if kode is not None else draw(st.sampled_from(TPS_CODES))
    fields = draw(st.lists(st.sampled_from(LAYOUT.fields), unique=True))
    values = {f: draw(st.integers(0, 999)) for f in fields}
    stage, blocking = draw(st.sampled_from(list(TpsStage))), draw(st.booleans())
    return TpsState(code, stage, blocking, values, by_people=draw(st.booleans()))


@st.composite
def tally_histories(draw: st.DrawFn) -> list[TpsState]:
    """A sequence of updates (TPS may change many times) over the small tree."""
    return draw(st.lists(tps_states(), max_size=60))


def final_states(history: list[TpsState]) -> list[TpsState]:
    """The state each TPS ends in after a history of updates."""
    last: dict[str, TpsState] = {}
    for state in history:
        last[state.kode_tps] = state
    return list(last.values())
