"""Repositories, one per aggregate of the run store (uploads, runs, the job queue, share links);
each takes the shared database (`service.store.Database`) and returns frozen records."""
from __future__ import annotations

from .queue import QueueRepository
from .records import RunRecord, ShareRecord, UploadRecord
from .runs import RunRepository
from .shares import ShareRepository
from .uploads import UploadRepository

__all__ = ["QueueRepository", "RunRecord", "RunRepository", "ShareRecord", "ShareRepository",
           "UploadRecord", "UploadRepository"]
