"""Uploaded files' rows: add, look up by owner, sizes for the storage quota, delete."""
from __future__ import annotations

import json
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, insert, select, update

from ..ids import new_id, now_iso
from ..schema import runs, uploads
from .records import UploadRecord

if TYPE_CHECKING:
    from ..store import Database

ACTIVE = ("queued", "running")


class UploadRepository:
    """The `uploads` table."""

    def __init__(self, db: "Database"):
        self.db = db

    def add(self, *, owner: str, filename: str, path: str, size_bytes: int,
            preview: dict | None, error: str | None, upload_id: str | None = None) -> UploadRecord:
        """Record an upload whose file is already saved at `path`."""
        record = UploadRecord(id=upload_id or new_id(), owner=owner, filename=filename, path=path,
                              size_bytes=int(size_bytes), created_at=now_iso(), preview=preview,
                              error=error)
        with self.db.engine.begin() as con:
            con.execute(insert(uploads).values(
                id=record.id, owner=owner, filename=filename, path=path,
                size_bytes=record.size_bytes, created_at=record.created_at,
                preview=json.dumps(preview) if preview else None, error=error))
        return record

    def get(self, upload_id: str, *, owner: str) -> UploadRecord | None:
        """The upload, if it exists and belongs to owner."""
        with self.db.reading() as con:
            row = con.execute(select(uploads).where(uploads.c.id == str(upload_id),
                                                    uploads.c.owner == owner)).mappings().first()
        return UploadRecord.from_row(row) if row is not None else None

    def used_bytes(self, owner: str) -> tuple[int, int]:
        """(bytes, number of uploads) the owner's uploads hold."""
        with self.db.reading() as con:
            total, count = con.execute(select(func.coalesce(func.sum(uploads.c.size_bytes), 0),
                                              func.count()).where(uploads.c.owner == owner)).one()
        return int(total), int(count)

    def ids(self) -> set[str]:
        """Every upload's id (to tell orphan folders from live ones)."""
        with self.db.reading() as con:
            return set(con.execute(select(uploads.c.id)).scalars())

    def active_runs(self, upload_id: str) -> int:
        """How many queued or running runs still read this upload."""
        with self.db.reading() as con:
            return con.execute(select(func.count()).select_from(runs).where(
                runs.c.upload_id == str(upload_id), runs.c.status.in_(ACTIVE))).scalar_one()

    def delete(self, upload_id: str, *, owner: str) -> bool:
        """Remove the owner's upload row unless an active run needs it; finished runs keep their
        results and forget the upload. False when nothing was removed."""
        with self.db.engine.begin() as con:
            mine = con.execute(select(uploads.c.id).where(uploads.c.id == str(upload_id),
                                                          uploads.c.owner == owner)).scalar()
            busy = con.execute(select(func.count()).select_from(runs).where(
                runs.c.upload_id == str(upload_id), runs.c.status.in_(ACTIVE))).scalar_one()
            if mine is None or busy:
                return False
            con.execute(update(runs).where(runs.c.upload_id == mine).values(upload_id=None))
            return con.execute(delete(uploads).where(uploads.c.id == mine)).rowcount == 1
