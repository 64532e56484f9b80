"""The in-process app the integration tests drive: a local Dash app on a fresh SQLite file, and a
finished run stored in it the way a runner leaves one."""
from __future__ import annotations

from pathlib import Path

from dashboard.app import create_app
from segmentation.outputs import csv_text, rules_sql
from service.settings import Settings


def local_app(root: Path):
    """(app, store): a local app (no accounts) on root/clearseg.db, uploads under root/uploads."""
    settings = Settings(database_url=f"sqlite:///{root / 'clearseg.db'}",
                        upload_dir=root / "uploads", max_upload_bytes=10_000_000,
                        runner_concurrency=1, secret_key="k" * 40, secure_cookies=False)
    app = create_app(settings, local=True)
    return app, app.server.extensions["clearseg"]["store"]


def store_finished(store, result, *, owner: str, title: str = "customers.csv", options=None,
                   assignments=None, message: str = "done", files=None) -> str:
    """A run of `owner` holding `result`, submitted, claimed and finished as a runner would, with
    its rules.sql, its assignments.csv when `assignments` are given, and any other `files`."""
    stored = {"rules.sql": rules_sql(result).encode()}
    if assignments is not None:
        stored["assignments.csv"] = csv_text(assignments).encode()
    run_id = store.runs.submit(owner=owner, title=title, upload_id=None, options=options or {})
    assert store.queue.claim("test").id == run_id
    assert store.queue.finish(run_id, result_json=result.to_json(), message=message,
                              files={**stored, **(files or {})})
    return run_id
