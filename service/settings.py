"""Every CLEARSEG_* setting, parsed once from the environment (with the embedded defaults of a
local install) and passed down to what needs it; a bad value stops the start saying what to set."""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from segmentation.errors import InputError
from segmentation.readers import XLSX_MAX_UNPACKED_MB

ROOT = Path(__file__).resolve().parents[1]
SWITCH = {"1": True, "0": False}
BUSY_MS_DEFAULT = 30_000
PARSE_MEMORY_MB = 1536
PARSE_SECONDS = 60
RUN_MEMORY_MB = 4096      # address space of one run's process
RUN_CPU_SECONDS = 7200    # CPU time of one run's process (all its threads)
RUN_WALL_SECONDS = 3600   # from start to end of one run
CANCEL_GRACE_SECONDS = 10  # after SIGTERM (cancel, time limit), SIGKILL
MAX_QUEUED_PER_USER = 5   # runs one user may have waiting at once
STORAGE_QUOTA_MB = 500


def _switch(env, name: str, default: str) -> bool:
    """A "1"/"0" setting; anything else stops the start with what to set."""
    value = env.get(name, default).strip()
    if value not in SWITCH:
        raise InputError(f"{name} must be 1 (on) or 0 (off), not {value!r}")
    return SWITCH[value]


def _positive_int(env, name: str, default) -> int:
    """A whole-number setting of at least 1."""
    value = str(env.get(name, default)).strip()
    if not value.isdigit() or int(value) < 1:
        raise InputError(f"{name} must be a whole number of at least 1, not {value!r}")
    return int(value)


def _count(env, name: str, default: int) -> int:
    """A whole number of at least 0; unset or empty takes the default."""
    value = env.get(name, "").strip() or str(default)
    if not value.isdigit():
        raise InputError(f"{name} must be a whole number of at least 0, not {value!r}")
    return int(value)


def _positive_number(env, name: str, default: float) -> float:
    """A positive number; unset or empty takes the default."""
    raw = env.get(name, "").strip()
    if not raw:
        return float(default)
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise InputError(f"{name} must be a positive number, got {raw!r}")
    return value


def _cookies(env) -> bool | None:
    """CLEARSEG_SECURE_COOKIES: 1, 0 or auto (None: secure unless running locally)."""
    value = env.get("CLEARSEG_SECURE_COOKIES", "auto").strip()
    if value != "auto" and value not in SWITCH:
        raise InputError(f"CLEARSEG_SECURE_COOKIES must be 1, 0 or auto, not {value!r}")
    return SWITCH.get(value)


def _public_url(env) -> str | None:
    """CLEARSEG_PUBLIC_URL: the address users reach the server at (share links are built on it),
    http(s)://host[:port][/path]; unset for a local install, whose links follow the request."""
    raw = env.get("CLEARSEG_PUBLIC_URL", "").strip()
    if not raw:
        return None
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query \
            or parts.fragment or parts.username or parts.password:
        raise InputError("CLEARSEG_PUBLIC_URL must be the server's public address, like "
                         f"https://clearseg.example.com, not {raw!r}")
    return raw.rstrip("/")


def _run_limits(env) -> dict:
    """The limits of every run: its process's memory, CPU and wall time, the cancel grace, and
    how many runs one user may have queued."""
    return dict(
        run_memory_mb=_positive_number(env, "CLEARSEG_RUN_MEMORY_MB", RUN_MEMORY_MB),
        run_cpu_seconds=_positive_number(env, "CLEARSEG_RUN_CPU_SECONDS", RUN_CPU_SECONDS),
        run_wall_seconds=_positive_number(env, "CLEARSEG_RUN_WALL_SECONDS", RUN_WALL_SECONDS),
        cancel_grace_seconds=_positive_number(env, "CLEARSEG_CANCEL_GRACE_SECONDS",
                                              CANCEL_GRACE_SECONDS),
        max_queued_per_user=_positive_int(env, "CLEARSEG_MAX_QUEUED_PER_USER",
                                          MAX_QUEUED_PER_USER))


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
    instance_dir: Path = ROOT / "instance"
    sqlite_busy_ms: int = BUSY_MS_DEFAULT            # a SQLite write waits this long for a lock
    parse_memory_mb: float = PARSE_MEMORY_MB         # the child that previews an upload
    parse_seconds: float = PARSE_SECONDS
    xlsx_max_unpacked_mb: float = XLSX_MAX_UNPACKED_MB
    run_memory_mb: float = RUN_MEMORY_MB             # the limits of each run's child process
    run_cpu_seconds: float = RUN_CPU_SECONDS
    run_wall_seconds: float = RUN_WALL_SECONDS
    cancel_grace_seconds: float = CANCEL_GRACE_SECONDS
    max_queued_per_user: int = MAX_QUEUED_PER_USER
    proxy_hops: int = 0             # reverse proxies in front whose X-Forwarded-* are trusted
    public_url: str | None = None                    # None: share links follow the request's host
    storage_quota_mb: float = STORAGE_QUOTA_MB       # uploads each user may keep

    @classmethod
    def from_env(cls, env=None) -> "Settings":
        """The settings of `env` (default: the process environment), each variable checked."""
        env = os.environ if env is None else env
        instance = Path(env.get("CLEARSEG_INSTANCE_DIR", "") or ROOT / "instance")
        return cls(
            database_url=env.get("CLEARSEG_DATABASE_URL", f"sqlite:///{instance / 'clearseg.db'}"),
            upload_dir=Path(env.get("CLEARSEG_UPLOAD_DIR", instance / "uploads")),
            max_upload_bytes=int(_positive_number(env, "CLEARSEG_MAX_UPLOAD_MB", 100) * 2**20),
            runner_concurrency=_positive_int(env, "CLEARSEG_RUNNER_CONCURRENCY",
                                             os.cpu_count() or 1),
            secret_key=env.get("CLEARSEG_SECRET_KEY") or None,
            secure_cookies=_cookies(env),
            sharing=_switch(env, "CLEARSEG_SHARING", "1"),
            share_failure_limit=_positive_int(env, "CLEARSEG_SHARE_FAILURE_LIMIT", "20"),
            instance_dir=instance,
            sqlite_busy_ms=_positive_int(env, "CLEARSEG_SQLITE_BUSY_MS", BUSY_MS_DEFAULT),
            parse_memory_mb=_positive_number(env, "CLEARSEG_PARSE_MEMORY_MB", PARSE_MEMORY_MB),
            parse_seconds=_positive_number(env, "CLEARSEG_PARSE_SECONDS", PARSE_SECONDS),
            xlsx_max_unpacked_mb=_positive_number(env, "CLEARSEG_XLSX_MAX_UNPACKED_MB",
                                                  XLSX_MAX_UNPACKED_MB),
            **_run_limits(env),
            proxy_hops=_count(env, "CLEARSEG_PROXY_HOPS", 0),
            public_url=_public_url(env),
            storage_quota_mb=_positive_number(env, "CLEARSEG_STORAGE_QUOTA_MB", STORAGE_QUOTA_MB),
        )

    @property
    def parse_limits(self) -> tuple[int, float]:
        """(memory in bytes, seconds) allowed for parsing one upload."""
        return int(self.parse_memory_mb * 2**20), self.parse_seconds
