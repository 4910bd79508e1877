"""Files present but not listed: counted cheaply first, named only when the count is off.

A task's listed files that were opened are a subset of the files found in its directories;
when the two counts agree (and no link was met), the sets are equal and nothing is unlisted.
An empty folder counts as one more entry than any listed file can match, so a task holding
one is walked again too: SHA256SUMS lists files only, and an empty folder no listed path is
in would otherwise go unseen. Only a task whose count is off is walked again to name them.
"""

from __future__ import annotations

import itertools
import operator
import os
from collections.abc import Iterator
from enum import Enum

from rekap.recount.layout import INDEX, MANIFEST, SIGNATURE

# files at the top of a snapshot that SHA256SUMS cannot list (it, and what signs it)
UNINDEXED = frozenset({INDEX, MANIFEST, SIGNATURE})
LINK_FOUND = -1
_PLAIN_FILE = operator.methodcaller("is_file", follow_symlinks=False)
_FOLDER = operator.methodcaller("is_dir", follow_symlinks=False)


class Found(Enum):
    """What the walk found at a path."""

    FILE = "file"
    LINK = "link"
    EMPTY_FOLDER = "empty folder"
    UNREADABLE_FOLDER = "unreadable folder"


def count_files(root: str, relative: str, skip: frozenset[str]) -> int:
    """The plain files and empty folders under ``root/relative``, leaving out the folders in
    ``skip`` and, at the top, the unindexed files; ``LINK_FOUND`` when a link (or any other
    kind of entry) is met: a linked folder could hold listed files that the walk does not see.

    A folder's entries are sorted into files and folders by ``map`` over their kinds (the
    kind read from the folder listing itself, no ``stat``), not one by one in Python: a
    national snapshot has a million files."""
    try:
        with os.scandir(f"{root}/{relative}" if relative else root) as listing:
            items = list(listing)
    except OSError:  # a folder that cannot be read: walked (and named) by ``walk``
        return LINK_FOUND
    if not items:  # one entry, that no listed file can match (the snapshot's own: none)
        return 1 if relative else 0
    files: int = sum(map(_PLAIN_FILE, items))
    folders = list(itertools.compress(items, map(_FOLDER, items)))
    if files + len(folders) != len(items):  # a link, or neither a file nor a folder
        return LINK_FOUND
    if not relative:
        files -= sum(1 for item in items if item.name in UNINDEXED and _PLAIN_FILE(item))
    for item in folders:
        path = f"{relative}/{item.name}" if relative else item.name
        if path in skip:
            continue
        found = count_files(root, path, skip)
        if found == LINK_FOUND:
            return LINK_FOUND
        files += found
    return files


def walk(root: str, relative: str, skip: frozenset[str]) -> Iterator[tuple[str, Found]]:
    """Every file's, link's and empty folder's path under ``root/relative``, relative to
    ``root``, with what it is, leaving out the folders in ``skip`` (links are not followed;
    any other kind of entry, a pipe say, is a file here); a folder that cannot be read is
    one entry, ``UNREADABLE_FOLDER``."""
    empty = True
    try:
        listing = os.scandir(os.path.join(root, relative) if relative else root)
    except OSError:
        yield relative, Found.UNREADABLE_FOLDER
        return
    with listing:
        for item in listing:
            empty = False
            path = f"{relative}/{item.name}" if relative else item.name
            if item.is_dir(follow_symlinks=False):
                if path not in skip:
                    yield from walk(root, path, skip)
            else:
                yield path, Found.LINK if item.is_symlink() else Found.FILE
    if empty and relative:
        yield relative, Found.EMPTY_FOLDER
