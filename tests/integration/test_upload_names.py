"""Messages about an upload name the user's own file, not the file the server stored it as."""
from __future__ import annotations

import threading
import time

import pytest

from service.jobs import Runner
from service.previews import safe_preview
from service.store import RunStore

ORIGINAL = "Kunden März.csv"


@pytest.fixture
def stored(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("")
    return path


def test_the_preview_names_the_upload(stored):
    preview, error = safe_preview(stored, name=ORIGINAL)
    assert preview is None
    assert f"'{ORIGINAL}' is empty" in error and "data.csv" not in error


def test_a_failed_run_names_the_upload(stored, tmp_path):
    store = RunStore(f"sqlite:///{tmp_path / 'jobs.db'}")
    store.create_schema()
    upload = store.uploads.add(owner="alice", filename=ORIGINAL, path=str(stored), size_bytes=0,
                               preview=None, error=None).id
    run_id = store.runs.submit(owner="alice", title=ORIGINAL, upload_id=upload,
                               options={"source": ORIGINAL})
    stop = threading.Event()
    runner = threading.Thread(target=Runner(store, concurrency=1, poll_seconds=0.1).serve,
                              args=(stop,), daemon=True)
    runner.start()
    try:
        end = time.monotonic() + 120
        while store.runs.get(run_id).status not in ("failed", "done") and time.monotonic() < end:
            time.sleep(0.2)
    finally:
        stop.set()
        runner.join(timeout=30)
    message = store.runs.get(run_id).message
    assert f"'{ORIGINAL}' is empty" in message and "data.csv" not in message
