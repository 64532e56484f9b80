"""Tables of the run store (SQLAlchemy Core): uploads, runs (jobs), artifacts, share links, users
and the throttle's counts."""
from __future__ import annotations

from sqlalchemy import (Boolean, Column, Float, ForeignKey, Index, Integer, LargeBinary, MetaData,
                        String, Table, Text, text)

metadata = MetaData()

uploads = Table(
    "uploads", metadata,
    Column("id", String(32), primary_key=True),
    Column("owner", String(64), nullable=False, index=True),
    Column("filename", String(255), nullable=False),
    Column("path", Text, nullable=False),
    Column("size_bytes", Integer, nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("preview", Text),                      # JSON: columns, roles, first rows, problems
    Column("error", Text),                        # why the file cannot be used, if it cannot
    # pending (waiting for a runner to read it), reading (by preview_runner) or done
    Column("preview_state", String(16), nullable=False, server_default=text("'done'")),
    Column("preview_runner", String(64)),
)

runs = Table(
    "runs", metadata,
    Column("id", String(32), primary_key=True),
    Column("owner", String(64), nullable=False, index=True),
    Column("upload_id", String(32), ForeignKey("uploads.id"), nullable=True),
    Column("title", String(255), nullable=False),
    Column("visibility", String(16), nullable=False, default="private"),  # private | public
    Column("options", Text, nullable=False),      # JSON of the run's settings
    Column("status", String(16), nullable=False),  # queued | running | done | failed | cancelled
    Column("stage", String(32), nullable=False, default=""),
    Column("progress", Float, nullable=False, default=0.0),
    Column("message", Text, nullable=False, default=""),
    Column("cancel_requested", Boolean, nullable=False, default=False),
    Column("runner", String(64)),
    Column("attempts", Integer, nullable=False, default=0),
    Column("created_at", String(32), nullable=False),
    Column("started_at", String(32)),
    Column("finished_at", String(32)),
    Column("heartbeat_at", Float),
    Column("result", Text),                       # result.json, once done
    Index("ix_runs_status_created", "status", "created_at"),
)

artifacts = Table(
    "artifacts", metadata,
    Column("run_id", String(32), ForeignKey("runs.id"), primary_key=True),
    Column("name", String(64), primary_key=True),
    Column("content", LargeBinary, nullable=False),  # gzip
)

shares = Table(
    "shares", metadata,
    Column("id", String(32), primary_key=True),
    Column("run_id", String(32), ForeignKey("runs.id"), nullable=False, index=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", String(32), nullable=False),
    Column("expires_at", Float),
    Column("revoked_at", String(32)),
)

runners = Table(
    "runners", metadata,
    Column("id", String(64), primary_key=True),
    Column("host", String(255), nullable=False),
    Column("heartbeat_at", Float, nullable=False),
)

users = Table(
    "users", metadata,
    Column("id", String(32), primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),
    Column("created_at", String(32), nullable=False),
    # bumped by sign-out, a new password and removal: a cookie naming an older one is void
    Column("session_generation", Integer, nullable=False, default=0, server_default=text("0")),
    Column("removed_at", String(32)),             # set when removed: the row stays as a tombstone
)

throttle = Table(
    "throttle", metadata,                         # failed attempts per key (service.throttle)
    Column("key", String(200), primary_key=True),   # "user:<name>", "addr:<address>", "share:..."
    Column("failures", Integer, nullable=False),
    Column("first_at", Float, nullable=False),      # the failure that opened the current window
    Column("last_at", Float, nullable=False),
)

segment_names = Table(
    "segment_names", metadata,                       # names the run's owner gave its segments
    Column("run_id", String(32), ForeignKey("runs.id"), primary_key=True),
    Column("segment_id", Integer, primary_key=True),
    Column("name", String(255), nullable=False),
    Column("renamed_at", String(32), nullable=False),
)
