"""The documented layout of a snapshot (docs/open-data.md), restated here on purpose:
the recount must not borrow the publisher's code."""

from __future__ import annotations

from pathlib import Path

MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
INDEX = "SHA256SUMS"
ELECTION = "election.json"
SCHEMA = "data/schema.json"
PUBLIC_KEY = "public-key.pem"
LATEST = "latest"  # in a publication root: the name of its newest snapshot folder
DIFF_SUMMARY = "diff/summary.json"
TOTALS = ("suara_sah", "suara_tidak_sah", "suara_total")
COVERAGE = (
    "received",
    "read",
    "verified",
    "verified_by_people",
    "published",
    "blocking",
    "counted",
)
VERIFIED_BY_PEOPLE = "verified_by_people"
"""TPS whose numbers people entered (rows with ``has_result`` and ``source_kind`` ``entry``):
snapshots published before 2026-11-23 do not publish it, and are recounted without it."""
COUNTED_UNLISTED = "counted_unlisted"
"""Counted TPS the region tree does not list: in ``counted``, not in ``tps_expected`` nor in
the Sirekap tree's ``persen`` and ``progres`` (snapshots that publish it; older ones do not)."""
CUTS = (2, 4, 6, 10, 13)
DESA_TPS = "/tps"  # rekap/<contest>/…/<desa>/tps.json: the TPS records of a desa
LOG_DIR = "log/"  # log/events-<first sequence, 12 digits>.jsonl.gz: the change log


class NoSnapshot(FileNotFoundError):
    """Neither a snapshot folder nor a folder with a ``latest`` pointer."""


def locate(path: Path) -> Path:
    """A snapshot folder itself, or the one a ``latest`` file in ``path`` points to."""
    if (path / MANIFEST).exists() or (path / INDEX).exists():
        return path
    pointer = path / LATEST
    if not pointer.is_file():
        raise NoSnapshot(f"{path} holds no snapshot (no {MANIFEST}, no {LATEST} pointer)")
    name = pointer.read_bytes().decode("ascii", "replace").strip()
    if not plain_path(name) or "\ufffd" in name:
        raise NoSnapshot(f"{pointer} does not name a snapshot folder inside {path}: {name!r}")
    target = path / name
    if not target.is_dir():
        raise NoSnapshot(f"{pointer} names {name!r}, which is not a folder in {path}")
    return target


def plain_path(path: str) -> bool:
    """A path inside the snapshot: relative, '/'-separated, no empty, '.' or '..' part (a
    listed path that is not one is never opened: it could name a file outside)."""
    return (
        bool(path)
        and "\\" not in path
        and "\x00" not in path
        and all(part not in ("", ".", "..") for part in path.split("/"))
    )


def parts(kode: str) -> str:
    return "/".join(kode[:cut] for cut in CUTS if cut <= len(kode))


def rekap_doc(contest: str, kode: str) -> str:
    return f"rekap/{contest}.json" if not kode else f"rekap/{contest}/{parts(kode)}.json"


def desa_tps(contest: str, desa: str) -> str:
    """A desa's file of rekap's TPS records."""
    return f"rekap/{contest}/{parts(desa)}{DESA_TPS}.json"


def hhcw(contest: str, kode: str) -> str:
    return (
        f"pemilu/hhcw/{contest}.json" if not kode else f"pemilu/hhcw/{contest}/{parts(kode)}.json"
    )


def sirekap_paslon_doc(contest: str) -> str:
    """Sirekap's file of the candidate pairs (``pemilu/ppwp.json``)."""
    return f"pemilu/{contest}.json"


def wilayah(contest: str, kode: str) -> str:
    if not kode:
        return f"wilayah/pemilu/{contest}/0.json"
    return f"wilayah/pemilu/{contest}/{parts(kode)}.json"


def bulk_tps(contest: str, extension: str) -> str:
    return f"data/tps-{contest}.{extension}"


def bulk_region(contest: str, extension: str = "parquet") -> str:
    return f"data/region-{contest}.{extension}"


def required_files(contest: str) -> tuple[str, ...]:
    """The files outside the JSON trees that every snapshot has and its manifest names (with
    their hash and size): one left out would go unchecked."""
    return (
        ELECTION,
        SCHEMA,
        PUBLIC_KEY,
        *(bulk_tps(contest, x) for x in ("parquet", "csv.gz", "jsonl.gz")),
        *(bulk_region(contest, x) for x in ("parquet", "csv.gz")),
        unplaced(contest),
        DIFF_SUMMARY,
        diff_tps(contest),
    )


def diff_tps(contest: str) -> str:
    """The diff's list of changes, one TPS per line."""
    return f"diff/tps-{contest}.jsonl.gz"


def unplaced(contest: str) -> str:
    return f"data/unplaced-{contest}.jsonl"


def log_first(path: str) -> int | None:
    """The first event a log file holds, by its name (``log/events-000000010001.jsonl.gz``:
    10,001); None for a name that is not a log file's."""
    name = path.removeprefix(LOG_DIR)
    if name == path or not name.startswith("events-") or not name.endswith(".jsonl.gz"):
        return None
    digits = name[len("events-") : -len(".jsonl.gz")]
    return int(digits) if digits.isascii() and digits.isdigit() else None


_FAMILIES = (("rekap", "rekap/"), ("hhcw", "pemilu/hhcw/"), ("wilayah", "wilayah/pemilu/"))


def kode_of(path: str) -> tuple[str, str] | None:
    """``(family, kode)`` for a tree document path: family is rekap, hhcw or wilayah, or
    rekap-tps for a desa's file of TPS records (``…/<desa>/tps.json``, kode is the desa)."""
    stem = path.removesuffix(".json")
    head, _, code = stem.rpartition("/")
    if code == DESA_TPS[1:] and stem.startswith("rekap/"):
        return "rekap-tps", head.rpartition("/")[2]
    for family, prefix in _FAMILIES:
        if stem.startswith(prefix):
            depth = stem.count("/", len(prefix))  # the parts after the prefix, less one
            if depth == 0:
                return family, ""
            if family == "wilayah" and depth == 1 and code == "0":
                return family, ""
            return family, code
    return None
