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
LINKED_FILE = "unreadable: a link, not a file (not followed)"
IN_LINK = "unreadable: its folder, or one above it, is a link, not a folder (not followed)"
ABSENT = "listed in SHA256SUMS but absent"
UNREADABLE_FOLDER = "unreadable: its folder, or one above it, cannot be opened"


@dataclass
class _Folder:
    path: str
    """Relative to the root, '/'-separated; '' for the root."""
    descriptor: int
    """-1 when it could not be opened (``failure`` says why)."""
    failure: str = ABSENT
    """Why its files cannot be read when it could not be opened: ``ABSENT``, ``IN_LINK``, or
    ``UNREADABLE_FOLDER`` with the system's reason."""
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
        """The open descriptor of ``folder``, or -1 when it, or one above it, is absent, a
        link or cannot be opened (``failure`` tells which)."""
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
    def failure(self) -> str:
        """Why the files of the folder last asked for cannot be read (when its descriptor is
        -1): ``ABSENT``, ``IN_LINK`` or ``UNREADABLE_FOLDER``."""
        return self._stack[-1].failure

    @property
    def listed(self) -> set[str]:
        """The names listed in the folder last asked for, so far: the caller adds each listed
        name in it (needed only while listing)."""
        return self._stack[-1].listed

    def close(self) -> None:
        """Leave every folder still open (checking its listing), and close every descriptor
        even when a check fails."""
        try:
            while len(self._stack) > 1:
                self._leave()
        finally:
            for folder in self._stack:
                if folder.descriptor >= 0:
                    os.close(folder.descriptor)
                    folder.descriptor = -1
            del self._stack[1:]

    def _enter(self, name: str) -> None:
        parent = self._stack[-1]
        path = f"{parent.path}/{name}" if parent.path else name
        folder = _Folder(path, -1, failure=parent.failure)
        expected = True  # the name is what the listed paths say it is (or absent)
        if parent.descriptor >= 0:
            try:
                folder.descriptor = os.open(name, _FOLDER_FLAGS, dir_fd=parent.descriptor)
            except OSError as error:
                folder.failure, expected = _failure(error, name, parent.descriptor)
                if folder.failure == IN_LINK and parent.present is not None:
                    self._problems.append(Problem(Kind.UNLISTED, path, UNLISTED_LINK))
        if expected:  # else (a file where a folder should be) named when the parent is left
            parent.listed.add(name)
        if folder.descriptor >= 0 and self._checks(path):
            try:
                folder.present = os.listdir(folder.descriptor)
            except OSError as error:
                self._problems.append(_unlistable(path, error))
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
            except FileNotFoundError:  # gone since it was listed
                continue
            except OSError as error:
                self._problems.append(_unlistable(path, error))
                continue
            if stat.S_ISDIR(mode):
                self.name_inside(path)
            else:
                said = UNLISTED_LINK if stat.S_ISLNK(mode) else UNLISTED_FILE
                self._problems.append(Problem(Kind.UNLISTED, path, said))

    def name_inside(self, path: str) -> None:
        """Name everything in the folder ``path`` (none of it listed): its files, links and
        empty folders, or the folder itself when it cannot be read."""
        try:
            found = list(walk(self._root, path, frozenset()))
        except OSError as error:
            self._problems.append(_unlistable(path, error))
            return
        self._problems.extend(Problem(Kind.UNLISTED, p, SAID[what]) for p, what in found)


def _unlistable(path: str, error: OSError) -> Problem:
    return Problem(Kind.UNLISTED, path, f"{UNLISTED_FILE}; cannot be read: {error.strerror}")


UNREADABLE_UNLISTED = f"{UNLISTED_FILE}; a folder that cannot be read"
SAID = {
    Found.FILE: UNLISTED_FILE,
    Found.LINK: UNLISTED_LINK,
    Found.EMPTY_FOLDER: EMPTY_FOLDER,
    Found.UNREADABLE_FOLDER: UNREADABLE_UNLISTED,
}


def _inside(folder: str, ancestor: str) -> bool:
    return folder == ancestor or (folder.startswith(ancestor) and folder[len(ancestor)] == "/")


def _failure(error: OSError, name: str, parent: int) -> tuple[str, bool]:
    """Why a folder could not be opened, and whether its name is still the one the listed
    paths expect there (absent, a link, unreadable) rather than something else (a file)."""
    if error.errno in LINK_ERRORS:
        return IN_LINK, True
    if error.errno == errno.ENOENT:
        return ABSENT, True
    try:
        mode = os.stat(name, dir_fd=parent, follow_symlinks=False).st_mode
    except OSError:
        return ABSENT, True
    if stat.S_ISLNK(mode):
        return IN_LINK, True
    if stat.S_ISDIR(mode):
        return f"{UNREADABLE_FOLDER} ({error.strerror})", True
    return ABSENT, False  # a file (or a pipe) where a folder is listed: unlisted itself
