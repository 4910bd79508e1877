"""Where each document of a snapshot lives. Sirekap's paths are kept exactly, so a tool
written for ``https://sirekap-obj-data.kpu.go.id/`` works with the snapshot as its base."""

from __future__ import annotations

_CUTS = (2, 4, 6, 10, 13)

SIREKAP_PASLON = "pemilu/{contest}.json"
BULK_DIR = "data"
SCHEMA_FILE = "data/schema.json"
ELECTION_FILE = "election.json"
PUBLIC_KEY_FILE = "public-key.pem"
INDEX_FILE = "SHA256SUMS"
MANIFEST_FILE = "manifest.json"
SIGNATURE_FILE = "manifest.sig"
DIFF_SUMMARY = "diff/summary.json"
DESA_TPS_FILE = "tps.json"
LOG_DIR = "log"


def code_parts(kode: str) -> list[str]:
    """``3101011001001`` → ``['31', '3101', '310101', '3101011001', '3101011001001']``."""
    return [kode[:cut] for cut in _CUTS if cut <= len(kode)]


def sirekap_wilayah(contest: str, kode: str) -> str:
    """The list of a region's children (``0.json`` for the nation's provinces)."""
    if not kode:
        return f"wilayah/pemilu/{contest}/0.json"
    return f"wilayah/pemilu/{contest}/" + "/".join(code_parts(kode)) + ".json"


def sirekap_hhcw(contest: str, kode: str) -> str:
    """A region's totals (``table``, ``chart``, ``progres``), or a TPS's own numbers."""
    if not kode:
        return f"pemilu/hhcw/{contest}.json"
    return f"pemilu/hhcw/{contest}/" + "/".join(code_parts(kode)) + ".json"


def sirekap_tps_folder(contest: str, desa: str) -> str:
    """The folder of a desa's TPS files: ``sirekap_hhcw(contest, tps)`` is
    ``folder + tps + ".json"``."""
    return f"pemilu/hhcw/{contest}/" + "/".join(code_parts(desa)) + "/"


def rekap_doc(contest: str, kode: str) -> str:
    """rekap's own JSON for a region or a TPS (same nesting as Sirekap's)."""
    if not kode:
        return f"rekap/{contest}.json"
    return f"rekap/{contest}/" + "/".join(code_parts(kode)) + ".json"


def rekap_desa_tps(contest: str, desa: str) -> str:
    """rekap's own JSON of every TPS of a desa that has a result (one file per desa)."""
    return f"rekap/{contest}/" + "/".join(code_parts(desa)) + f"/{DESA_TPS_FILE}"


def bulk_tps(contest: str, extension: str) -> str:
    return f"{BULK_DIR}/tps-{contest}.{extension}"


def bulk_region(contest: str, extension: str) -> str:
    return f"{BULK_DIR}/region-{contest}.{extension}"


def unplaced(contest: str) -> str:
    return f"{BULK_DIR}/unplaced-{contest}.jsonl"


def diff_tps(contest: str) -> str:
    return f"diff/tps-{contest}.jsonl.gz"


def log_file(first: int) -> str:
    """The change-log file whose first event is ``first`` (1, 10,001, 20,001, …)."""
    return f"{LOG_DIR}/events-{first:012d}.jsonl.gz"
