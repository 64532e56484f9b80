"""Previews as jobs: the runner reads uploaded files, a few at a time, off the web request.

An upload is stored as pending; a runner claims it (one per owner at a time, so one editor's pile
of workbooks waits behind itself, not in front of everybody), previews it in a limited child and
stores the preview or the reason the file cannot be used. The page polls the upload like a run.
A runner that stops or dies gives its files back to the queue.
"""
from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from .repositories import UploadRecord
from .settings import Settings
from .store import RunStore

logger = logging.getLogger(__name__)
FAULT = ("'{name}' could not be read because of a fault on the server; upload it again, and "
         "tell the administrator if it happens again")


@dataclass
class PreviewReaders:
    """Up to `workers` previews at once for the runner `runner_id`, each in a pool thread that
    waits on its sandboxed child."""

    store: RunStore
    settings: Settings
    runner_id: str
    workers: int = 1
    reading: dict[str, Future] = field(default_factory=dict)   # upload id -> its read
    pool: ThreadPoolExecutor | None = None

    def step(self) -> None:
        """Forget finished reads; claim waiting uploads while a worker is free."""
        for upload_id, future in list(self.reading.items()):
            if future.done():
                del self.reading[upload_id]
        while len(self.reading) < self.workers:
            upload = self.store.uploads.claim_preview(self.runner_id)
            if upload is None:
                return
            self.pool = self.pool or ThreadPoolExecutor(self.workers, "clearseg-preview")
            self.reading[upload.id] = self.pool.submit(self.read, upload)

    def read(self, upload: UploadRecord) -> None:
        """Preview one upload once and store the outcome (the database waited for, if it is
        away, without reading the file again)."""
        from . import usecases
        from .jobs import patiently

        try:
            found = usecases.preview_of(self.settings, upload)
        except Exception as exc:  # never a traceback for the user: a message on the upload
            logger.exception("reading upload %s failed: %s", upload.id, exc)
            found = {"preview": None, "error": FAULT.format(name=upload.filename)}
        patiently(lambda: self.store.uploads.finish_preview(upload.id, **found,
                                                            runner=self.runner_id))

    def stop(self) -> None:
        """Stop claiming; give the files still being read back to the queue for another runner
        (a read that ends later finds them taken back and stores nothing)."""
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)
        self.store.uploads.release_previews(runner=self.runner_id)
        self.reading.clear()
