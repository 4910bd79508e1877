"""Consistent C.Hasil results for tests, drawn by hypothesis."""

from __future__ import annotations

from hypothesis import strategies as st

from rekap.data import election_2024
from rekap.domain.form import FormSpec, c_hasil_ppwp
from rekap.domain.region_tree import JenisTps
from rekap.domain.result import TpsResult
from rekap.domain.wilayah import KodeWilayah

ELECTION = election_2024()
FORM: FormSpec = c_hasil_ppwp(ELECTION.contest("ppwp").dapil[0])


def _split(total: int, parts: int, draw: st.DrawFn) -> list[int]:
    cuts = sorted(draw(st.integers(0, total)) for _ in range(parts - 1))
    edges = [0, *cuts, total]
    return [b - a for a, b in zip(edges, edges[1:], strict=False)]


@st.composite
def consistent_results(draw: st.DrawFn) -> TpsResult:
    """A result that satisfies every identity of the form."""
    dpt_l, dpt_p = draw(st.integers(20, 140)), draw(st.integers(20, 140))
    values: dict[str, int] = {"dpt_l": dpt_l, "dpt_p": dpt_p, "dpt_j": dpt_l + dpt_p}
    totals = {"l": 0, "p": 0}
    for gender, registered in (("l", dpt_l), ("p", dpt_p)):
        came = draw(st.integers(registered // 2, registered))
        dptb, dpk = draw(st.integers(0, 5)), draw(st.integers(0, 5))
        values[f"pengguna_dpt_{gender}"] = came
        values[f"pengguna_dptb_{gender}"] = dptb
        values[f"pengguna_dpk_{gender}"] = dpk
        values[f"pengguna_total_{gender}"] = came + dptb + dpk
        totals[gender] = came + dptb + dpk
        values[f"disabilitas_{gender}"] = draw(st.integers(0, 2))
    for group in ("pengguna_dpt", "pengguna_dptb", "pengguna_dpk", "pengguna_total", "disabilitas"):
        values[f"{group}_j"] = values[f"{group}_l"] + values[f"{group}_p"]
    total = values["pengguna_total_j"]
    tidak_sah = draw(st.integers(0, min(10, total)))
    sah = total - tidak_sah
    for nomor, votes in enumerate(_split(sah, 3, draw), start=1):
        values[f"paslon_{nomor}"] = votes
    unused = draw(st.integers(0, 60))
    rusak = draw(st.integers(0, 3))
    values.update(
        suara_sah=sah,
        suara_tidak_sah=tidak_sah,
        suara_total=total,
        surat_suara_diterima=total + unused + rusak,
        surat_suara_digunakan=total,
        surat_suara_rusak=rusak,
        surat_suara_tidak_digunakan=unused,
    )
    kode = KodeWilayah(f"3310052013{draw(st.integers(1, 20)):03d}")
    return TpsResult(kode, "ppwp", values, jenis=JenisTps.TPS)
