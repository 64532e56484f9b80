"""Editor accounts: scrypt password hashes, and sign-in attempts slowed down after failures.

Hashes are `scrypt$N$r$p$salt$hash` (hashlib's scrypt, memory-hard, no extra dependency). Failed
sign-ins are counted per account and per address in the store, so every worker sees the same
counts and a restart forgets none.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time

from sqlalchemy import delete, insert, select, update

from segmentation.errors import InputError

from .schema import signin_failures, users
from .store import RunStore, new_id, now_iso

SCRYPT = {"n": 2 ** 14, "r": 8, "p": 1}
USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
MIN_PASSWORD = 10
FREE_FAILURES = 3          # failures before any delay
MAX_DELAY = 300.0          # seconds, the longest a key is held back
FORGET_AFTER = 3600.0      # failures older than this no longer count


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, maxmem=64 * 1024 * 1024, **SCRYPT)
    b64 = base64.urlsafe_b64encode
    return f"scrypt${SCRYPT['n']}${SCRYPT['r']}${SCRYPT['p']}${b64(salt).decode()}${b64(digest).decode()}"


def check_password(password: str, stored: str) -> bool:
    try:
        _, n, r, p, salt, digest = stored.split("$")
        expected = base64.urlsafe_b64decode(digest)
        got = hashlib.scrypt(password.encode(), salt=base64.urlsafe_b64decode(salt), n=int(n),
                             r=int(r), p=int(p), dklen=len(expected), maxmem=64 * 1024 * 1024)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


def check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InputError(f"passwords need at least {MIN_PASSWORD} characters")


def delay_for(failures: int) -> float:
    """Seconds a key must wait after `failures` failed attempts: none, then doubling."""
    if failures < FREE_FAILURES:
        return 0.0
    return min(2.0 ** (failures - FREE_FAILURES), MAX_DELAY)


class Accounts:
    """Users and sign-in throttling, in the run store's database."""

    def __init__(self, store: RunStore):
        self.store = store

    @property
    def engine(self):
        return self.store.engine

    def any_user(self) -> bool:
        with self.store.reading() as con:
            return con.execute(select(users.c.id).limit(1)).first() is not None

    def add(self, username: str, password: str) -> str:
        if not USERNAME.match(username or ""):
            raise InputError("user names are 1-64 letters, digits or _ . @ -")
        check_new_password(password)
        with self.engine.begin() as con:
            if con.execute(select(users.c.id).where(users.c.username == username)).first():
                raise InputError(f"user '{username}' already exists")
            user_id = new_id()
            con.execute(insert(users).values(id=user_id, username=username,
                                             password_hash=hash_password(password),
                                             created_at=now_iso()))
        return user_id

    def remove(self, username: str) -> None:
        with self.engine.begin() as con:
            if con.execute(delete(users).where(users.c.username == username)).rowcount != 1:
                raise InputError(f"no user '{username}'")

    def set_password(self, username: str, password: str) -> None:
        check_new_password(password)
        with self.engine.begin() as con:
            if con.execute(update(users).where(users.c.username == username)
                           .values(password_hash=hash_password(password))).rowcount != 1:
                raise InputError(f"no user '{username}'")

    def list(self) -> list[dict]:
        with self.store.reading() as con:
            rows = con.execute(select(users.c.id, users.c.username, users.c.created_at)
                               .order_by(users.c.username)).mappings()
            return [dict(r) for r in rows]

    def user(self, user_id: str) -> dict | None:
        with self.store.reading() as con:
            row = con.execute(select(users.c.id, users.c.username)
                              .where(users.c.id == user_id)).mappings().first()
        return dict(row) if row else None

    # sign-in ---------------------------------------------------------------------------------
    def _failures(self, key: str) -> tuple[int, float]:
        with self.store.reading() as con:
            row = con.execute(select(signin_failures.c.failures, signin_failures.c.last_at)
                              .where(signin_failures.c.key == key)).first()
        if row is None or row.last_at < time.time() - FORGET_AFTER:
            return 0, 0.0
        return row.failures, row.last_at

    def wait_seconds(self, *keys: str) -> float:
        """How long these keys (account, address) must still wait before another attempt."""
        now = time.time()
        waits = [last + delay_for(n) - now for n, last in map(self._failures, keys)]
        return max([0.0, *waits])

    def _record_failure(self, key: str) -> None:
        failures, _ = self._failures(key)
        with self.engine.begin() as con:
            con.execute(delete(signin_failures).where(signin_failures.c.key == key))
            con.execute(insert(signin_failures).values(key=key, failures=failures + 1,
                                                       last_at=time.time()))

    def sign_in(self, username: str, password: str, *, address: str) -> tuple[str | None, float]:
        """(user id, 0) on success; (None, seconds to wait) when refused or throttled."""
        keys = (f"user:{username}"[:200], f"addr:{address}"[:200])
        wait = self.wait_seconds(*keys)
        if wait > 0:
            return None, wait
        with self.store.reading() as con:
            row = con.execute(select(users.c.id, users.c.password_hash)
                              .where(users.c.username == username)).first()
        stored = row.password_hash if row else hash_password(secrets.token_hex(8))  # same cost
        if row is not None and check_password(password, stored):
            with self.engine.begin() as con:
                con.execute(delete(signin_failures).where(signin_failures.c.key == keys[0]))
            return row.id, 0.0
        if row is None:
            check_password(password, stored)
        for key in keys:
            self._record_failure(key)
        return None, 0.0
