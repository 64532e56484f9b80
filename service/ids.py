"""Ids, token hashes and timestamps shared by the store and its repositories."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timezone


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def new_id() -> str:
    """128 random bits: ids of runs and uploads cannot be guessed."""
    return secrets.token_hex(16)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
