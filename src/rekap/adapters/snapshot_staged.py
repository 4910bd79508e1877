"""Publication into a bucket through a folder of this machine: what ``rekap publish --out
s3://…`` writes through (the ``SnapshotStore`` port).

The snapshot is written into a private folder first, by the publication's forked workers as
into any folder (a million small files: a PUT each would take hours at one request latency a
file), then ``S3SnapshotStore.upload`` claims its id in the bucket, sends its files with many
PUTs at once and switches ``latest.json`` (docs/decisions/0003-object-store.md). A failure of the
bucket before the switch deletes what was uploaded; the folder is removed either way. The diff
is made against the snapshot the bucket's pointer names.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rekap.adapters.snapshot_dir import BadPointer, DirectoryWriter, SnapshotExists, plain_id
from rekap.adapters.snapshot_s3 import S3SnapshotStore
from rekap.publish.previous import PreviousAltered
from rekap.publish.records import PreviousSnapshot
from rekap.recount.layout import NoSnapshot


class BucketUnavailable(OSError):
    """The bucket refused or could not be reached: nothing was switched to."""


class StagedBucketStore:
    def __init__(
        self, bucket: S3SnapshotStore, staging_in: Path | None = None, threads: int = 32
    ) -> None:
        self.bucket = bucket
        self.staging_in = staging_in
        """Where the private folder is made (``None``: ``TMPDIR``)."""
        self.staging: Path | None = None
        self.threads = threads
        self._writers: dict[str, DirectoryWriter] = {}

    def location(self) -> str:
        return self.bucket.location()

    def _folder(self, snapshot_id: str) -> Path:
        """The snapshot's private folder (its id checked by ``begin``)."""
        if self.staging is None:
            self.staging = Path(tempfile.mkdtemp(prefix="rekap-publish-", dir=self.staging_in))
        return self.staging / snapshot_id

    def _clean(self) -> None:
        if self.staging is not None:
            shutil.rmtree(self.staging, ignore_errors=True)
            self.staging = None

    def begin(self, snapshot_id: str) -> DirectoryWriter:
        """A writer into the private folder, once the bucket has no snapshot of this id (it
        is checked again, and the id claimed, when the upload starts)."""
        if not plain_id(snapshot_id):
            raise ValueError(f"not a snapshot id: {snapshot_id!r}")
        with _bucket_errors():
            self.bucket.clean_up()  # a killed publication of this very id is cleared first
            taken = self.bucket.read(snapshot_id, "manifest.json") is not None
        if taken:
            raise SnapshotExists(f"snapshot {snapshot_id} exists already in {self.location()}")
        folder = self._folder(snapshot_id)  # made only now: a refusal leaves nothing behind
        folder.mkdir(parents=True)
        writer = self._writers[snapshot_id] = DirectoryWriter(folder)
        return writer

    def commit(self, snapshot_id: str) -> str:
        folder = self._folder(snapshot_id)
        writer = self._writers.pop(snapshot_id, None)
        if writer is not None:
            writer.close()
        try:
            with _bucket_errors():
                return self.bucket.upload(folder, self.threads)
        finally:
            self._clean()

    def abort(self, snapshot_id: str) -> None:
        writer = self._writers.pop(snapshot_id, None)
        if writer is not None:
            writer.close()
        self._clean()

    @property
    def removed(self) -> list[str]:
        """What the upload removed: snapshots that publications killed outright had left in
        the bucket, never published (``S3SnapshotStore.removed``)."""
        return self.bucket.removed

    @property
    def warnings(self) -> list[str]:
        """What went wrong without failing the publication (``S3SnapshotStore.warnings``)."""
        return self.bucket.warnings

    def previous(self, contest: str) -> PreviousSnapshot | None:
        """The snapshot the bucket's ``latest.json`` names; a pointer that cannot be read or
        names no snapshot with its manifest is ``BadPointer``, as in a folder."""
        try:
            with _bucket_errors():
                return self.bucket.previous(contest)
        except PreviousAltered:
            raise
        except (ValueError, NoSnapshot) as error:
            where = f"{self.location()}latest.json"
            raise BadPointer(f"{where} cannot be followed ({error})") from None


@contextmanager
def _bucket_errors() -> Iterator[None]:
    """botocore's errors (a refusal, no connection, no credentials) as ``BucketUnavailable``,
    an ``OSError``, which ``rekap publish`` reports as a write that published nothing."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except (BotoCoreError, ClientError) as error:
        raise BucketUnavailable(f"the bucket answered: {error}") from error
