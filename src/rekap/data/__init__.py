"""Data files shipped inside the package (the 2024 region tree, the election definition)."""

from __future__ import annotations

import gzip
import io
from functools import cache
from importlib.resources import files

from rekap.domain.election import Election
from rekap.domain.region_tree import RegionTree
from rekap.sources.election_file import parse_election
from rekap.sources.wilayah_file import load_tree

WILAYAH_FILE = "wilayah-2024.tsv.gz"


def read_text(name: str) -> str:
    """The text of a packaged data file (gzip-compressed when its name ends in .gz)."""
    raw = files(__package__).joinpath(name).read_bytes()
    if name.endswith(".gz"):
        raw = gzip.decompress(raw)
    return raw.decode("utf-8")


@cache
def region_tree() -> RegionTree:
    """The real 2024 region tree (built once per process, well under a second)."""
    return load_tree(io.StringIO(read_text(WILAYAH_FILE)))


ELECTION_FILE = "pemilu-2024.json"


@cache
def election_2024() -> Election:
    """The 2024 general election: five contests, PPWP complete."""
    return parse_election(read_text(ELECTION_FILE))
