"""Group commit for uploads: one writer thread records whatever photos have arrived since its
last transaction, all in one.

Every upload still gets its own receipt only after the transaction that records it has
committed, so nothing is acknowledged that is not stored. Writers no longer queue on the
database's write lock (SQLite) or the log's lock (PostgreSQL) one transaction each: while one
batch commits, the next gathers, so the cost of a commit, of the log's head and of the tally
update is shared by every photo in the batch. A batch that fails is retried photo by photo,
so one bad upload never costs the others their receipts. A batch whose photo files cannot be
flushed to disk is refused whole (no rows, no receipts), not retried.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from rekap.adapters.storage.photos import Arrival, PhotoStore, Receipt, Upload
from rekap.capture.access import Principal

MAX_BATCH = 64

MakeDurable = Callable[[Sequence[Path]], object]
"""Flushes photo files written but not yet durable (``LocalPhotoStore.make_durable``)."""


@dataclass(frozen=True, slots=True)
class _Pending:
    arrival: Arrival
    done: Future[Receipt]
    written: Path | None  # a photo file still to be flushed before its row is committed


class Intake:
    def __init__(
        self,
        photos: PhotoStore,
        make_durable: MakeDurable | None = None,
        max_batch: int = MAX_BATCH,
    ) -> None:
        self.photos = photos
        self.make_durable = make_durable
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.batches = 0
        self.recorded = 0

    def receive(self, principal: Principal, upload: Upload, at: datetime) -> Receipt:
        """Record one photo (with whatever else is waiting) and wait for its receipt."""
        return self.submit(principal, upload, at).result()

    def submit(
        self, principal: Principal, upload: Upload, at: datetime, written: Path | None = None
    ) -> Future[Receipt]:
        """Queue one photo; the future holds its receipt once the batch has committed.
        ``written``: its file, written but not yet flushed (needs ``make_durable``)."""
        if written is not None and self.make_durable is None:
            raise ValueError("a written file needs an intake that can make it durable")
        done: Future[Receipt] = Future()
        self._start()
        self._queue.put(_Pending(Arrival(principal, upload, at), done, written))
        return done

    def close(self) -> None:
        """Record what is waiting, then stop the writer thread."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join()

    def _start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="rekap-intake", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            stop = False
            while len(batch) < self.max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    break
                batch.append(item)
            self._record(batch)
            if stop:
                return

    def _record(self, batch: list[_Pending]) -> None:
        # A caller that gave up (its future cancelled) gets nothing; the others can no longer
        # be cancelled, so setting their results never fails and never stops this thread.
        batch = [p for p in batch if p.done.set_running_or_notify_cancel()]
        if not batch:
            return
        written = [p.written for p in batch if p.written is not None]
        try:
            if written and self.make_durable is not None:
                self.make_durable(written)  # the files are on disk before their rows exist
        except Exception as error:
            # Not retried here: a failed flush is reported once, so a second one would say
            # the files are safe when they may not be. No row, no receipt; the phone resends.
            for pending in batch:
                pending.done.set_exception(error)
            return
        try:
            receipts = self.photos.receive_many([p.arrival for p in batch])
        except Exception:  # the batch as a whole failed: give each photo its own chance
            for pending in batch:
                try:
                    pending.done.set_result(self.photos.receive_many([pending.arrival])[0])
                except Exception as error:
                    pending.done.set_exception(error)
            return
        self.batches += 1
        self.recorded += len(batch)
        for pending, receipt in zip(batch, receipts, strict=True):
            pending.done.set_result(receipt)
