"""Editor accounts (the users repository) and signing in.

Passwords are hashed by werkzeug.security (salted scrypt); hashes of the former
`scrypt$N$r$p$salt$hash` form still verify. Every sign-in attempt that is not held back costs
exactly one hash check, known user or not (an unknown name is checked against a fixed dummy hash),
so the time taken does not tell which names exist.

Failed sign-ins count in the one throttle (service.throttle) per account and per address. An
address that failed too often waits; an account that failed too often holds back only addresses
that failed too, so guesses from many addresses are slowed while the right password from a fresh
address still gets in. A session names its user and the user's session generation, which sign-out,
a new password and removal bump: a cookie from before that signs in no more.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass

from sqlalchemy import delete, func, insert, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from segmentation.errors import InputError

from .clock import Clock, system_clock
from .schema import users
from .store import new_id, now_iso
from .throttle import Throttle, throttle_key

METHOD = "scrypt:32768:8:1"    # werkzeug's scrypt; stated so the dummy hash costs the same
# a hash of a random password nobody kept: what an unknown user name is checked against
DUMMY_HASH = ("scrypt:32768:8:1$s95dJxa9cMJSFUJk$8672f5518ab74f490a788930f406f3f58d563605a57d82ce"
              "4430fdb0673c8f9afb0452303874d228245298fbd1f89dcf388168117790ca4a46be562057cae4d0")
REMOVED_HASH = "!"             # no password matches it
USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
MIN_PASSWORD = 10
FREE_FAILURES = 3          # failures before any delay
MAX_DELAY = 300.0          # seconds, the longest a key is held back
FORGET_AFTER = 3600.0      # a key's failures count for this long after its first one
LAST_EDITOR = ("'{name}' is the last editor: without one nobody can sign in (and a server on a "
               "public address will not start). Add another editor first, or pass --force.")


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=METHOD)


def _check_legacy(password: str, stored: str) -> bool:
    """A hash of the former form scrypt$N$r$p$salt$digest (URL-safe base64)."""
    try:
        _, n, r, p, salt, digest = stored.split("$")
        expected = base64.urlsafe_b64decode(digest)
        got = hashlib.scrypt(password.encode(), salt=base64.urlsafe_b64decode(salt), n=int(n),
                             r=int(r), p=int(p), dklen=len(expected), maxmem=64 * 1024 * 1024)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


def check_password(password: str, stored: str) -> bool:
    """True when `password` matches the stored hash (werkzeug's or the former form)."""
    if stored.startswith("scrypt$"):
        return _check_legacy(password, stored)
    try:
        return check_password_hash(stored, password)
    except (ValueError, TypeError):
        return False


def check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InputError(f"passwords need at least {MIN_PASSWORD} characters")


def delay_for(failures: int) -> float:
    """Seconds a key must wait after `failures` failed attempts: none, then doubling."""
    if failures < FREE_FAILURES:
        return 0.0
    return min(2.0 ** (failures - FREE_FAILURES), MAX_DELAY)


@dataclass(frozen=True)
class User:
    """An editor; `session_generation` is what a valid session cookie must name."""

    id: str
    username: str
    created_at: str
    session_generation: int = 0


ACTIVE = users.c.removed_at.is_(None)
USER_COLUMNS = (users.c.id, users.c.username, users.c.created_at, users.c.session_generation)


class Users:
    """The `users` table: editors, their password hashes and session generations. A removed
    editor's row stays (without a usable hash), so the store remembers it had accounts."""

    def __init__(self, db):
        self.db = db

    def add(self, username: str, password: str) -> str:
        """Add an editor; its id."""
        if not USERNAME.match(username or ""):
            raise InputError("user names are 1-64 letters, digits or _ . @ -")
        check_new_password(password)
        user = User(id=new_id(), username=username, created_at=now_iso())
        with self.db.engine.begin() as con:
            if con.execute(select(users.c.id).where(users.c.username == username, ACTIVE)).first():
                raise InputError(f"user '{username}' already exists")
            con.execute(delete(users).where(users.c.username == username))  # a tombstone
            con.execute(insert(users).values(id=user.id, username=username,
                                             password_hash=hash_password(password),
                                             created_at=user.created_at))
        return user.id

    def remove(self, username: str, *, force: bool = False) -> None:
        """Remove an editor (its sessions end); the last one only with `force`."""
        with self.db.engine.begin() as con:
            active = con.execute(select(users.c.username).where(ACTIVE)
                                 .with_for_update()).scalars().all()
            if username not in active:
                raise InputError(f"no user '{username}'")
            if active == [username] and not force:
                raise InputError(LAST_EDITOR.format(name=username))
            con.execute(update(users).where(users.c.username == username, ACTIVE).values(
                removed_at=now_iso(), password_hash=REMOVED_HASH,
                session_generation=users.c.session_generation + 1))

    def set_password(self, username: str, password: str) -> None:
        """A new password; every session of the editor ends."""
        check_new_password(password)
        with self.db.engine.begin() as con:
            if con.execute(update(users).where(users.c.username == username, ACTIVE).values(
                    password_hash=hash_password(password),
                    session_generation=users.c.session_generation + 1)).rowcount != 1:
                raise InputError(f"no user '{username}'")

    def _rehash(self, user_id: str, password: str) -> None:
        """Store a hash of the former form again as werkzeug's (the sessions go on)."""
        with self.db.engine.begin() as con:
            con.execute(update(users).where(users.c.id == user_id, ACTIVE)
                        .values(password_hash=hash_password(password)))

    def end_sessions(self, user_id: str) -> None:
        """Void every session cookie of this editor (sign-out)."""
        with self.db.engine.begin() as con:
            con.execute(update(users).where(users.c.id == user_id)
                        .values(session_generation=users.c.session_generation + 1))

    def list(self) -> list[User]:
        with self.db.reading() as con:
            rows = con.execute(select(*USER_COLUMNS).where(ACTIVE).order_by(users.c.username))
            return [User(*row) for row in rows]

    def get(self, user_id: str) -> User | None:
        """The editor with this id, unless removed."""
        with self.db.reading() as con:
            row = con.execute(select(*USER_COLUMNS).where(users.c.id == user_id, ACTIVE)).first()
        return User(*row) if row else None

    def credentials(self, username: str) -> tuple[User, str] | None:
        """(editor, password hash) of an editor who is not removed."""
        with self.db.reading() as con:
            row = con.execute(select(*USER_COLUMNS, users.c.password_hash)
                              .where(users.c.username == username, ACTIVE)).first()
        return (User(*row[:4]), row[4]) if row else None

    def counts(self) -> tuple[int, int]:
        """(editors now, accounts ever made and not re-added): the second is never below the first."""
        with self.db.reading() as con:
            total, removed = con.execute(select(func.count(), func.count(users.c.removed_at))
                                         .select_from(users)).one()
        return total - removed, total

    def any_user(self) -> bool:
        return self.counts()[0] > 0


class Accounts(Users):
    """The users repository plus signing in, throttled, on the clock `clock`."""

    def __init__(self, db, *, clock: Clock = system_clock):
        super().__init__(db)
        self.clock = clock
        self.throttle = Throttle(db, window=FORGET_AFTER, clock=clock)

    def session_valid(self, user_id, generation) -> bool:
        """True when a session naming this user and generation is still good."""
        user = self.get(user_id) if isinstance(user_id, str) else None
        return user is not None and generation == user.session_generation

    def wait_seconds(self, key: str) -> float:
        """How long `key` must still wait before another attempt."""
        found = self.throttle.attempts(key)
        return max(0.0, found.last_at + delay_for(found.failures) - self.clock())

    def _held_back(self, account: str, client: str) -> float:
        """Seconds this address must wait before trying this account (0: it may try now)."""
        wait = self.wait_seconds(client)
        if wait > 0:
            return wait
        wait = self.wait_seconds(account)
        return wait if wait > 0 and self.throttle.attempts(client).failures > 0 else 0.0

    def sign_in(self, username: str, password: str, *, address: str) -> tuple[User | None, float]:
        """(editor, 0) on success; (None, seconds to wait) when held back; (None, 0) when wrong."""
        account, client = throttle_key("user", username), throttle_key("addr", address)
        wait = self._held_back(account, client)
        if wait > 0:
            return None, wait
        found = self.credentials(username)
        good = check_password(password, found[1] if found else DUMMY_HASH) and found is not None
        if good:
            self.throttle.clear(account)
            if found[1].startswith("scrypt$"):
                self._rehash(found[0].id, password)
            return found[0], 0.0
        self.throttle.fail(account)
        self.throttle.fail(client)
        return None, 0.0
