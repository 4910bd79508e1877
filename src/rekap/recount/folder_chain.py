"""The open folders from a snapshot's root down to the one being read, each opened relative
to the one above it and never through a link: a link anywhere on a listed path (the file's
folder, or any folder above it) is not followed.

The listed paths are visited in sorted order, so a folder's paths come one after another
(every path under ``a/b/`` sorts between ``a/b/`` and ``a/b0``) and a folder, once left, is
not entered again. With ``listing`` set to a folder, each folder at or under it is listed
when entered, and the names present but not listed are named when it is left: the check for
unlisted files costs one listing of each folder already opened, not a second walk.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass, field

from rekap.recount.presence import Found, walk
from rekap.recount.problems import Kind, Problem

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_FOLDER_FLAGS = os.O_RDONLY | os.O_DIRECTORY | _NOFOLLOW
LINK_ERRORS = frozenset({errno.ELOOP, errno.EMLINK})
"""What ``open`` with ``O_NOFOLLOW`` says of a link: ELOOP (Linux, macOS), EMLINK (FreeBSD)."""

UNLISTED_FILE = "present but not in SHA256SUMS"
UNLISTED_LINK = "a link, not in SHA256SUMS (not followed)"
EMPTY_FOLDER = "an empty folder that SHA256SUMS lists nothing in"
IN_LINK = "unreadable: its folder, or one above it, is a link, not a folder (not followed)"
ABSENT = "listed in SHA256SUMS but absent"


@dataclass
class _Folder:
    path: str
    """Relative to the root, '/'-separated; '' for the root."""
    descriptor: int
    """-1 when it could not be opened (``link``: because it, or a folder above it, is one)."""
    link: bool = False
    present: list[str] | None = None
    """The names in it, when its listing is checked."""
    listed: set[str] = field(default_factory=set)


class FolderChain:
    """``descriptor(folder)`` for each listed path's folder, in sorted order; ``close`` ends
    the walk (and checks the listings of the folders still open)."""

    def __init__(self, root: str, listing: str | None, problems: list[Problem]) -> None:
        self._root = root
        self._listing = listing
        self._problems = problems
        # the snapshot's own folder is opened as given: a link there is the user's choice
        try:
            top = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            top = -1
        self._stack = [_Folder("", top)]

    def descriptor(self, folder: str) -> int:
        """The open descriptor of ``folder``, or -1 when it, or one above it, is absent or a
        link (``link`` tells which)."""
        stack = self._stack
        top = stack[-1]
        if top.path == folder:
            return top.descriptor
        while len(stack) > 1 and not _inside(folder, stack[-1].path):
            self._leave()
        base = stack[-1].path
        if folder != base:
            for name in (folder[len(base) + 1 :] if base else folder).split("/"):
                self._enter(name)
        return stack[-1].descriptor

    @property
    def link(self) -> bool:
        """Whether the folder last asked for could not be opened because of a link."""
        return self._stack[-1].link

    @property
    def listed(self) -> set[str]:
        """The names listed in the folder last asked for, so far: the caller adds each listed
        name in it (needed only while listing)."""
        return self._stack[-1].listed

    def close(self) -> None:
        while len(self._stack) > 1:
            self._leave()
        root = self._stack[0]
        if root.descriptor >= 0:
            os.close(root.descriptor)
            root.descriptor = -1

    def _enter(self, name: str) -> None:
        parent = self._stack[-1]
        parent.listed.add(name)
        path = f"{parent.path}/{name}" if parent.path else name
        folder = _Folder(path, -1, link=parent.link)
        if parent.descriptor >= 0:
            try:
                folder.descriptor = os.open(name, _FOLDER_FLAGS, dir_fd=parent.descriptor)
            except OSError as error:
                folder.link = _is_link(error, name, parent.descriptor)
                if folder.link and parent.present is not None:
                    self._problems.append(Problem(Kind.UNLISTED, path, UNLISTED_LINK))
        if folder.descriptor >= 0 and self._checks(path):
            folder.present = os.listdir(folder.descriptor)
        self._stack.append(folder)

    def _checks(self, path: str) -> bool:
        return self._listing is not None and _inside(path, self._listing)

    def _leave(self) -> None:
        folder = self._stack.pop()
        try:
            if folder.present is not None and (
                len(folder.present) != len(folder.listed)
                or not folder.listed.issuperset(folder.present)
            ):
                self._name_unlisted(folder)
        finally:
            if folder.descriptor >= 0:
                os.close(folder.descriptor)

    def _name_unlisted(self, folder: _Folder) -> None:
        assert folder.present is not None
        for name in sorted(set(folder.present) - folder.listed):
            path = f"{folder.path}/{name}"
            try:
                mode = os.stat(name, dir_fd=folder.descriptor, follow_symlinks=False).st_mode
            except OSError:  # gone since it was listed
                continue
            if stat.S_ISDIR(mode):
                for found, what in walk(self._root, path, frozenset()):
                    self._problems.append(Problem(Kind.UNLISTED, found, _SAID[what]))
            else:
                said = UNLISTED_LINK if stat.S_ISLNK(mode) else UNLISTED_FILE
                self._problems.append(Problem(Kind.UNLISTED, path, said))


_SAID = {Found.FILE: UNLISTED_FILE, Found.LINK: UNLISTED_LINK, Found.EMPTY_FOLDER: EMPTY_FOLDER}


def _inside(folder: str, ancestor: str) -> bool:
    return folder == ancestor or (folder.startswith(ancestor) and folder[len(ancestor)] == "/")


def _is_link(error: OSError, name: str, parent: int) -> bool:
    """Whether a folder that could not be opened is a link (asked only once the open failed:
    no ``lstat`` on the normal path)."""
    if error.errno in LINK_ERRORS:
        return True
    try:
        return stat.S_ISLNK(os.stat(name, dir_fd=parent, follow_symlinks=False).st_mode)
    except OSError:
        return False
