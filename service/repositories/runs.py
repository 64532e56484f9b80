"""Runs as their owners and readers see them: submit, look up, list, visibility, results, delete."""
from __future__ import annotations

import gzip
import json
import zlib
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, insert, select, update

from segmentation.options import RunOptions

from ..ids import new_id, now_iso
from ..schema import artifacts, runs, segment_names, shares
from .records import RunRecord

if TYPE_CHECKING:
    from ..store import Database

VISIBILITIES = ("private", "team", "public")
RECORD_COLUMNS = [c for c in runs.c if c.name != "result"]


class RunRepository:
    """The `runs` table (without the job side, see QueueRepository) and the runs' artifacts."""

    def __init__(self, db: "Database"):
        self.db = db

    def submit(self, *, owner: str, title: str, options: RunOptions | dict, upload_id: str | None,
               visibility: str = "private") -> str:
        """Queue a run; its options are validated (OptionError) and kept as RunOptions' JSON."""
        if not isinstance(options, RunOptions):
            options = RunOptions.from_stored(options)
        run_id = new_id()
        with self.db.engine.begin() as con:
            con.execute(insert(runs).values(
                id=run_id, owner=owner, upload_id=upload_id, title=title[:255], visibility=visibility,
                options=json.dumps(options.to_stored()), status="queued", stage="", progress=0.0,
                message="waiting for a free runner", cancel_requested=False, attempts=0,
                created_at=now_iso()))
        return run_id

    def get(self, run_id: str, *, owner: str | None = None) -> RunRecord | None:
        """A run's record without its result; owner-checked when owner is given."""
        query = select(*RECORD_COLUMNS).where(runs.c.id == str(run_id))
        if owner is not None:
            query = query.where(runs.c.owner == owner)
        with self.db.reading() as con:
            row = con.execute(query).mappings().first()
        return RunRecord.from_row(row) if row is not None else None

    def _listed(self, query, limit: int) -> list[RunRecord]:
        query = query.order_by(runs.c.created_at.desc(), runs.c.id).limit(limit)
        with self.db.reading() as con:
            return [RunRecord.from_row(r) for r in con.execute(query).mappings()]

    def of_owner(self, owner: str, *, limit: int = 50) -> list[RunRecord]:
        """The owner's runs, newest first."""
        return self._listed(select(*RECORD_COLUMNS).where(runs.c.owner == owner), limit)

    def public(self, *, limit: int = 10) -> list[RunRecord]:
        """Runs anyone may look at (the demo), newest first."""
        return self._listed(select(*RECORD_COLUMNS).where(runs.c.visibility == "public"), limit)

    def set_visibility(self, run_id: str, *, owner: str, visibility: str) -> bool:
        """private (the owner only), team (every signed-in editor) or public (anyone, read-only)."""
        if visibility not in VISIBILITIES:
            raise ValueError(f"unknown visibility {visibility!r}")
        with self.db.engine.begin() as con:
            return con.execute(update(runs).where(runs.c.id == run_id, runs.c.owner == owner)
                               .values(visibility=visibility)).rowcount == 1

    def result_json(self, run_id: str) -> str | None:
        """The stored result.json of a finished run (None before it is done)."""
        with self.db.reading() as con:
            return con.execute(select(runs.c.result).where(runs.c.id == str(run_id))).scalar()

    def artifact(self, run_id: str, name: str) -> bytes | None:
        """One file the run made (stored gzipped), or None."""
        with self.db.reading() as con:
            blob = con.execute(select(artifacts.c.content).where(
                artifacts.c.run_id == str(run_id), artifacts.c.name == name)).scalar()
        if blob is None:
            return None
        try:
            return gzip.decompress(blob)
        except (OSError, EOFError, zlib.error):   # a damaged file: not available, for this run only
            return None

    def count(self, status: str) -> int:
        """How many runs are in `status` (for tests and the runner's view of the queue)."""
        with self.db.reading() as con:
            return con.execute(select(func.count()).select_from(runs)
                               .where(runs.c.status == status)).scalar_one()

    def others_using(self, upload_id: str, *, run_id: str) -> int:
        """How many runs other than run_id read this upload."""
        with self.db.reading() as con:
            return con.execute(select(func.count()).select_from(runs).where(
                runs.c.upload_id == upload_id, runs.c.id != run_id)).scalar_one()

    def delete(self, run_id: str, *, owner: str) -> bool:
        """Remove the owner's ended run with its files, links and segment names, in one
        transaction; False when it is not the owner's or is still queued or running."""
        with self.db.engine.begin() as con:
            ended = con.execute(select(runs.c.id).where(
                runs.c.id == str(run_id), runs.c.owner == owner,
                runs.c.status.notin_(("queued", "running")))).scalar()
            if ended is None:
                return False
            for table in (artifacts, shares, segment_names):
                con.execute(delete(table).where(table.c.run_id == ended))
            return con.execute(delete(runs).where(runs.c.id == ended)).rowcount == 1
