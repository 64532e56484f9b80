"""Uploaded files' rows: add, look up by owner, sizes for the storage quota, delete; and the
queue of files waiting for a runner to read them (claim, finish, release)."""
from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, insert, or_, select, update

from ..ids import new_id, now_iso
from ..schema import runners, runs, uploads
from .records import UploadRecord

if TYPE_CHECKING:
    from ..store import Database

ACTIVE = ("queued", "running")
PENDING, READING, DONE = "pending", "reading", "done"


class UploadRepository:
    """The `uploads` table."""

    def __init__(self, db: "Database"):
        self.db = db

    def add(self, *, owner: str, filename: str, path: str, size_bytes: int,
            preview: dict | None = None, error: str | None = None,
            upload_id: str | None = None, pending: bool = False) -> UploadRecord:
        """Record an upload whose file is already saved at `path`: `pending`, it waits for a
        runner to read it; otherwise it is read (its preview or error given)."""
        state = PENDING if pending else DONE
        record = UploadRecord(id=upload_id or new_id(), owner=owner, filename=filename, path=path,
                              size_bytes=int(size_bytes), created_at=now_iso(), preview=preview,
                              error=error, preview_state=state)
        with self.db.engine.begin() as con:
            con.execute(insert(uploads).values(
                id=record.id, owner=owner, filename=filename, path=path,
                size_bytes=record.size_bytes, created_at=record.created_at,
                preview=json.dumps(preview) if preview else None, error=error,
                preview_state=state))
        return record

    def claim_preview(self, runner_id: str) -> UploadRecord | None:
        """The oldest upload waiting to be read, now held by `runner_id`; one per owner at a time
        (an editor sending many files waits for their own, not others). None when none waits."""
        busy = select(uploads.c.owner).where(uploads.c.preview_state == READING)
        with self.db.engine.begin() as con:
            upload_id = con.execute(
                select(uploads.c.id).where(uploads.c.preview_state == PENDING,
                                           uploads.c.owner.not_in(busy))
                .order_by(uploads.c.created_at, uploads.c.id).limit(1)).scalar()
            if upload_id is None or not con.execute(
                    update(uploads).where(uploads.c.id == upload_id,
                                          uploads.c.preview_state == PENDING)
                    .values(preview_state=READING, preview_runner=runner_id)).rowcount:
                return None
            row = con.execute(select(uploads).where(uploads.c.id == upload_id)).mappings().one()
        return UploadRecord.from_row(row)

    def finish_preview(self, upload_id: str, *, preview: dict | None, error: str | None,
                       runner: str | None = None) -> bool:
        """Store what reading the file found; with `runner`, only while that runner still holds
        it (a runner taken for dead must not overwrite the one reading it now)."""
        held = [uploads.c.preview_state == READING, uploads.c.preview_runner == runner]
        with self.db.engine.begin() as con:
            return con.execute(update(uploads).where(
                uploads.c.id == str(upload_id), *(held if runner is not None else []))
                .values(preview=json.dumps(preview) if preview else None, error=error,
                        preview_state=DONE, preview_runner=None)).rowcount == 1

    def release_previews(self, *, stale_after: float | None = None,
                         runner: str | None = None) -> int:
        """Put back in the queue the files being read by `runner` (it is stopping), or by runners
        whose heartbeat is older than `stale_after` seconds (None and no runner: by anyone)."""
        which = [uploads.c.preview_state == READING]
        if runner is not None:
            which.append(uploads.c.preview_runner == runner)
        elif stale_after is not None:
            live = select(runners.c.id).where(runners.c.heartbeat_at >= time.time() - stale_after)
            which.append(or_(uploads.c.preview_runner.is_(None),
                             uploads.c.preview_runner.not_in(live)))
        with self.db.engine.begin() as con:
            return con.execute(update(uploads).where(*which).values(
                preview_state=PENDING, preview_runner=None)).rowcount

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
