"""Settings from environment variables, with the embedded defaults of a local install."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from segmentation.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
INSTANCE = Path(os.environ.get("CLEARSEG_INSTANCE_DIR", ROOT / "instance"))
SWITCH = {"1": True, "0": False}


def _switch(env, name: str, default: str) -> bool:
    """A "1"/"0" setting; anything else stops the start with what to set."""
    value = env.get(name, default).strip()
    if value not in SWITCH:
        raise InputError(f"{name} must be 1 (on) or 0 (off), not {value!r}")
    return SWITCH[value]


def _positive_int(env, name: str, default: str) -> int:
    """A whole-number setting of at least 1."""
    value = env.get(name, default).strip()
    if not value.isdigit() or int(value) < 1:
        raise InputError(f"{name} must be a whole number of at least 1, not {value!r}")
    return int(value)


@dataclass(frozen=True)
class Settings:
    """Everything configurable; see README "Settings"."""

    database_url: str
    upload_dir: Path
    max_upload_bytes: int
    runner_concurrency: int
    secret_key: str | None
    secure_cookies: bool | None     # None: secure unless running locally
    sharing: bool = True            # False: no share link opens and none can be made
    share_failure_limit: int = 20   # failed link attempts per address in 10 minutes

    @classmethod
    def from_env(cls, env=None) -> "Settings":
        env = os.environ if env is None else env
        instance = Path(env.get("CLEARSEG_INSTANCE_DIR", INSTANCE))
        return cls(
            database_url=env.get("CLEARSEG_DATABASE_URL", f"sqlite:///{instance / 'clearseg.db'}"),
            upload_dir=Path(env.get("CLEARSEG_UPLOAD_DIR", instance / "uploads")),
            max_upload_bytes=int(float(env.get("CLEARSEG_MAX_UPLOAD_MB", "100")) * 1024 * 1024),
            runner_concurrency=int(env.get("CLEARSEG_RUNNER_CONCURRENCY", os.cpu_count() or 1)),
            secret_key=env.get("CLEARSEG_SECRET_KEY") or None,
            secure_cookies={"1": True, "0": False}.get(env.get("CLEARSEG_SECURE_COOKIES", "auto")),
            sharing=_switch(env, "CLEARSEG_SHARING", "1"),
            share_failure_limit=_positive_int(env, "CLEARSEG_SHARE_FAILURE_LIMIT", "20"),
        )
