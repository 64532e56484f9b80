"""The one throttle for guesses (sign-in passwords, share-link tokens): failed attempts per key,
counted in the store's `throttle` table, so every worker sees the same counts and a restart forgets
none.

A key's count covers one window: its first failure opens it, failures less than `window` seconds
after that add to it, and the first failure after it opens a new one. Counting a failure is ONE statement
(INSERT ... ON CONFLICT DO UPDATE SET failures = failures + 1 ... RETURNING), never a read followed
by a write, so parallel failures on any number of workers each count once.

Share links: failures are counted per client address; `limit` of them within SHARE_WINDOW seconds
hold the address back for COOL_DOWN seconds, during which its links are not even looked up.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from .clock import Clock, system_clock
from .schema import throttle

KEY_LENGTH = 200
SHARE_WINDOW = 600.0
COOL_DOWN = 600.0
UPSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


@dataclass(frozen=True)
class Attempts:
    """The failures counted under a key in its current window (none: failures == 0)."""

    key: str
    failures: int = 0
    first_at: float = 0.0
    last_at: float = 0.0


def throttle_key(kind: str, value: str) -> str:
    """The key of one thing being guessed at or guessing: "user:ana", "addr:203.0.113.7"."""
    return f"{kind}:{value}"[:KEY_LENGTH]


class Throttle:
    """Failed attempts per key in the database `db` (a service.store.Database)."""

    def __init__(self, db, *, window: float, clock: Clock = system_clock):
        self.db, self.window, self.clock = db, float(window), clock

    def attempts(self, key: str) -> Attempts:
        """The key's failures in its current window (none once the window is over)."""
        col = throttle.c
        with self.db.reading() as con:
            row = con.execute(select(col.failures, col.first_at, col.last_at)
                              .where(col.key == key[:KEY_LENGTH])).first()
        if row is None or row.first_at <= self.clock() - self.window:
            return Attempts(key)
        return Attempts(key, row.failures, row.first_at, row.last_at)

    def fail(self, key: str) -> Attempts:
        """Count one failure under `key`, atomically; the count after it."""
        now, col = self.clock(), throttle.c
        over = col.first_at <= now - self.window
        upsert = UPSERTS[self.db.engine.dialect.name](throttle).values(
            key=key[:KEY_LENGTH], failures=1, first_at=now, last_at=now)
        upsert = upsert.on_conflict_do_update(index_elements=[col.key], set_={
            "failures": case((over, 1), else_=col.failures + 1),
            "first_at": case((over, now), else_=col.first_at),
            "last_at": now,
        }).returning(col.failures, col.first_at, col.last_at)
        with self.db.engine.begin() as con:
            row = con.execute(upsert).one()
        return Attempts(key, row.failures, row.first_at, row.last_at)

    def clear(self, *keys: str) -> None:
        """Forget the failures of these keys."""
        with self.db.engine.begin() as con:
            con.execute(delete(throttle).where(throttle.c.key.in_([k[:KEY_LENGTH] for k in keys])))


# --- share links -------------------------------------------------------------------------------

def _share_keys(address: str) -> tuple[str, str]:
    return throttle_key("share", address), throttle_key("share-block", address)


def share_blocked(db, *, address: str, clock: Clock = system_clock) -> bool:
    """True while `address` is held back after too many failed link attempts."""
    block = _share_keys(address)[1]
    return Throttle(db, window=COOL_DOWN, clock=clock).attempts(block).failures > 0


def record_share_failure(db, *, address: str, limit: int, clock: Clock = system_clock) -> bool:
    """Count a failed link attempt from `address`; True when it starts the address's cool-down."""
    count, block = _share_keys(address)
    counts = Throttle(db, window=SHARE_WINDOW, clock=clock)
    if counts.fail(count).failures < limit:
        return False
    Throttle(db, window=COOL_DOWN, clock=clock).fail(block)
    counts.clear(count)
    return True


def clear_share_failures(db, *, address: str) -> None:
    """Forget an address's failed link attempts and lift its cool-down."""
    Throttle(db, window=SHARE_WINDOW).clear(*_share_keys(address))
