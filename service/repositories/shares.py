"""Share links: a new token (only its hash is stored), the run a token opens, list and revoke."""
from __future__ import annotations

import re
import secrets
from typing import TYPE_CHECKING

from sqlalchemy import insert, select, update

from ..ids import hash_token, new_id, now_iso
from ..schema import runs, shares
from .records import ShareRecord

if TYPE_CHECKING:
    from ..store import Database

TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{43}$")


class ShareRepository:
    """The `shares` table; callers check that the run is the owner's before making a link."""

    def __init__(self, db: "Database"):
        self.db = db

    def add(self, run_id: str, *, expires_in_days: float | None = None) -> tuple[str, ShareRecord]:
        """(token, record) of a new link to run_id; the token is shown once and never stored."""
        token = secrets.token_urlsafe(32)
        expires = self.db.clock() + expires_in_days * 86400 if expires_in_days else None
        record = ShareRecord(id=new_id(), run_id=run_id, created_at=now_iso(), expires_at=expires,
                             revoked_at=None)
        with self.db.engine.begin() as con:
            con.execute(insert(shares).values(id=record.id, run_id=run_id,
                                              token_hash=hash_token(token),
                                              created_at=record.created_at, expires_at=expires))
        return token, record

    def run_id_of(self, token) -> str | None:
        """The run a token opens, if the token is well formed, known, unexpired (by the store's
        clock) and not revoked."""
        if not isinstance(token, str) or not TOKEN_PATTERN.match(token):
            return None
        with self.db.reading() as con:
            row = con.execute(select(shares.c.run_id, shares.c.expires_at, shares.c.revoked_at)
                              .where(shares.c.token_hash == hash_token(token))).first()
        if row is None or row.revoked_at is not None:
            return None
        if row.expires_at is not None and row.expires_at < self.db.clock():
            return None
        return row.run_id

    def of_run(self, run_id: str) -> list[ShareRecord]:
        """Every link of a run, oldest first."""
        query = (select(shares.c.id, shares.c.run_id, shares.c.created_at, shares.c.expires_at,
                        shares.c.revoked_at).where(shares.c.run_id == run_id)
                 .order_by(shares.c.created_at))
        with self.db.reading() as con:
            return [ShareRecord.from_row(r) for r in con.execute(query).mappings()]

    def revoke(self, share_id: str, *, owner: str) -> bool:
        """Revoke a link of one of owner's runs; False if it is not theirs or already revoked."""
        with self.db.engine.begin() as con:
            run_id = con.execute(select(shares.c.run_id).where(shares.c.id == share_id)).scalar()
            if run_id is None or con.execute(select(runs.c.id).where(
                    runs.c.id == run_id, runs.c.owner == owner)).scalar() is None:
                return False
            return con.execute(update(shares).where(shares.c.id == share_id,
                                                    shares.c.revoked_at.is_(None))
                               .values(revoked_at=now_iso())).rowcount == 1
