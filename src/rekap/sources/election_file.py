"""Reading an election definition (JSON) into domain records."""

from __future__ import annotations

import json
from datetime import date, time
from typing import Any

from rekap.domain.election import BallotEntry, Contest, ContestKind, Dapil, Election


def _entry(raw: dict[str, Any]) -> BallotEntry:
    return BallotEntry(
        nomor_urut=int(raw["nomor_urut"]),
        nama=str(raw["nama"]),
        sirekap_id=raw.get("sirekap_id"),
        sirekap_nama=raw.get("sirekap_nama"),
        candidates=tuple(_entry(c) for c in raw.get("candidates", ())),
    )


def _dapil(raw: dict[str, Any]) -> Dapil:
    return Dapil(
        kode=str(raw["kode"]),
        nama=str(raw["nama"]),
        regions=tuple(str(r) for r in raw["regions"]),
        entries=tuple(_entry(e) for e in raw["entries"]),
    )


def parse_election(text: str) -> Election:
    raw = json.loads(text)
    return Election(
        kode=raw["kode"],
        nama=raw["nama"],
        tanggal=date.fromisoformat(raw["tanggal"]),
        polls_close_local=time.fromisoformat(raw["polls_close_local"]),
        max_voters_per_tps=int(raw["max_voters_per_tps"]),
        ballot_reserve_fraction=float(raw["ballot_reserve_fraction"]),
        noken_regions=tuple(raw["noken_regions"]),
        contests=tuple(
            Contest(ContestKind(c["kind"]), c["nama"], tuple(_dapil(d) for d in c["dapil"]))
            for c in raw["contests"]
        ),
    )
