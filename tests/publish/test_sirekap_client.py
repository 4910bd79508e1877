"""A client written for Sirekap's 2024 API walks the published tree from the nation to every
TPS with Sirekap's paths and keys, and finds totals that add up."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.publish.conftest import Publisher, make_records
from tests.tally.trees import TPS_CODES

IDS = ("100025", "100026", "100027")
REGION_KEYS = {"ts", "psu", "mode", "chart", "table", "progres"}
TPS_KEYS = {"chart", "images", "administrasi", "psu", "ts", "status_suara", "status_adm"}


class SirekapEraClient:
    """The shape of the community scripts of 2024: base URL + Sirekap's paths."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.fetched = 0

    def get(self, path: str) -> Any:
        self.fetched += 1
        return json.loads((self.base / path).read_text(encoding="utf-8"))

    def wilayah(self, *codes: str) -> list[dict[str, Any]]:
        path = "/".join(codes) if codes else "0"
        return list(self.get(f"wilayah/pemilu/ppwp/{path}.json"))

    def hhcw(self, *codes: str) -> dict[str, Any]:
        return dict(
            self.get(
                "pemilu/hhcw/ppwp.json" if not codes else f"pemilu/hhcw/ppwp/{'/'.join(codes)}.json"
            )
        )


def _walk(client: SirekapEraClient, codes: tuple[str, ...], seen: list[str]) -> dict[str, int]:
    """Sum the charts of verified TPS below ``codes``, checking each level's table on the way."""
    level = client.hhcw(*codes)
    assert set(level) >= REGION_KEYS
    assert {"total", "progres"} <= set(level["progres"])
    sums = dict.fromkeys(IDS, 0)
    for child in client.wilayah(*codes):
        assert set(child) == {"nama", "id", "kode", "tingkat"}
        row = level["table"][child["kode"]]
        assert {"psu", "persen", "status_progress"} <= set(row)
        if child["tingkat"] == 5:
            seen.append(child["kode"])
            tps = client.hhcw(*codes, child["kode"])
            assert set(tps) >= TPS_KEYS
            assert len(tps["images"]) == 3
            if not tps["status_suara"] or not tps["status_adm"]:
                assert "100025" not in row  # held or empty: not in the desa's table
                continue
            got = {i: int(tps["chart"][i]) for i in IDS}
            assert tps["administrasi"]["suara_sah"] == sum(got.values())
        else:
            got = _walk(client, (*codes, child["kode"]), seen)
        for i in IDS:
            assert row.get(i, 0) == got[i]  # the parent's table shows the child's total
            sums[i] += got[i]
    for i in IDS:
        assert level["chart"][i] == sums[i]
    return sums


def test_a_sirekap_era_client_walks_from_the_nation_to_every_tps(publish_small: Publisher) -> None:
    records = make_records(3)
    done = publish_small(records)
    client = SirekapEraClient(Path(done.location))
    seen: list[str] = []
    totals = _walk(client, (), seen)
    assert sorted(seen) == sorted(TPS_CODES)
    counted = [r for r in records if r.state.counted]
    for number, sirekap_id in enumerate(IDS, start=1):
        assert totals[sirekap_id] == sum(r.state.values[f"paslon_{number}"] for r in counted)
    nation = client.hhcw()
    assert nation["progres"] == {"total": len(TPS_CODES), "progres": len(counted)}
    paslon = client.get("pemilu/ppwp.json")
    assert [paslon[i]["nomor_urut"] for i in IDS] == [1, 2, 3]
    # spelled as Sirekap's own file spelled them: a 2024 script may match paslon by name
    assert paslon["100026"]["nama"] == "H. PRABOWO SUBIANTO - GIBRAN RAKABUMING RAKA"
    assert paslon["100025"]["nama"].startswith("H. ANIES RASYID BASWEDAN, Ph.D. - Dr. (H.C.)")
