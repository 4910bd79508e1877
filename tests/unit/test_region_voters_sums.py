"""The portal's DPT and voter sums: built at once (by desa, then up) they are each region's
plain sum over its TPS, and kept up to date TPS by TPS they stay equal to a fresh build."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from rekap.web.portal.region_voters import (
    NONE,
    RegionVoters,
    above,
    sum_voters,
    update_voters,
)

# a few desa in two provinsi, sharing kabupaten and kecamatan, so sums meet at every level
DESA = ("1101012001", "1101012002", "1101022001", "1102012001", "3171011001")
codes = st.builds(lambda desa, n: f"{desa}{n:03d}", st.sampled_from(DESA), st.integers(1, 12))
shares = st.one_of(
    st.just(NONE),
    st.builds(
        RegionVoters,
        st.integers(0, 400),
        st.integers(0, 400),
        st.integers(0, 1),
        st.integers(0, 1),
    ),
)
stores = st.dictionaries(codes, shares, max_size=40)


def plain(store: dict[str, RegionVoters]) -> dict[str, RegionVoters]:
    """Each region's sum, TPS by TPS, regions with nothing added left out."""
    out: dict[str, RegionVoters] = {}
    for kode, share in store.items():
        if share != NONE:
            for region in above(kode):
                out[region] = out.get(region, NONE).plus(share)
    return out


@settings(max_examples=200, deadline=None)
@given(stores)
def test_the_sums_built_at_once_are_each_regions_plain_sum(store: dict[str, RegionVoters]) -> None:
    assert sum_voters(store, store.__getitem__) == plain(store)


@settings(max_examples=200, deadline=None)
@given(stores, stores)
def test_sums_kept_up_to_date_equal_a_fresh_build(
    before: dict[str, RegionVoters], changed: dict[str, RegionVoters]
) -> None:
    after = {**before, **changed}
    kept = update_voters(
        sum_voters(before, before.__getitem__),
        [(kode, before.get(kode, NONE), share) for kode, share in changed.items()],
    )
    assert kept == sum_voters(after, after.__getitem__)
    assert NONE not in kept.values()
