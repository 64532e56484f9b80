"""Settings from environment variables, with the embedded defaults of a local install."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
INSTANCE = Path(os.environ.get("CLEARSEG_INSTANCE_DIR", ROOT / "instance"))


@dataclass(frozen=True)
class Settings:
    """Everything configurable; see README "Settings"."""

    database_url: str
    upload_dir: Path
    max_upload_bytes: int
    runner_concurrency: int
    secret_key: str | None
    secure_cookies: bool | None     # None: secure unless running locally

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
        )
