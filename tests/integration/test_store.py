"""The run store on a real SQLite file: ownership, atomic claims, cancels, recovery, share links."""
from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select

from service.clock import FakeClock
from service.schema import shares
from service.store import RunStore


def _run(store: RunStore, owner: str = "alice") -> str:
    up = store.uploads.add(owner=owner, filename="c.csv", path="/nowhere", size_bytes=1,
                           preview=None, error=None).id
    return store.runs.submit(owner=owner, title="c.csv", options={"method": "kmeans"},
                             upload_id=up)


def test_runs_and_uploads_are_only_visible_to_their_owner(store):
    run_id = _run(store, "alice")
    assert store.runs.get(run_id, owner="alice").status == "queued"
    assert store.runs.get(run_id, owner="bob") is None
    assert [r.id for r in store.runs.of_owner("alice")] == [run_id]
    assert store.runs.of_owner("bob") == []
    up = store.runs.get(run_id).upload_id
    assert store.uploads.get(up, owner="bob") is None and store.uploads.get(up, owner="alice")


def test_sqlite_runs_in_wal_mode(tmp_path):
    store = RunStore(f"sqlite:///{tmp_path / 'wal.db'}")
    store.create_schema()
    with store.engine.connect() as con:
        assert con.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_two_runners_never_claim_the_same_run(store):
    ids = {_run(store) for _ in range(30)}
    claimed, lock = [], threading.Lock()

    def worker(name):
        other = RunStore(store.url)
        while (run := other.queue.claim(name)) is not None:
            with lock:
                claimed.append(run.id)

    threads = [threading.Thread(target=worker, args=(f"r{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(claimed) == sorted(ids)


def test_progress_cancel_and_finish(store):
    run_id = _run(store)
    store.queue.claim("r1")
    assert store.queue.report_progress(run_id, stage="clustering", progress=0.5,
                                       message="k = 3") is False
    assert store.runs.get(run_id).stage == "clustering"
    assert store.queue.request_cancel(run_id, owner="bob") is False
    assert store.queue.request_cancel(run_id, owner="alice") is True
    assert store.queue.report_progress(run_id, stage="explaining", progress=0.7,
                                       message="") is True
    # a cancelled run never becomes done, and no file of it is stored
    assert store.queue.finish(run_id, result_json="{}", files={"a.csv": b"x"},
                              message="ok") is False
    assert store.runs.artifact(run_id, "a.csv") is None


def test_finish_stores_result_files_and_status_together(store):
    run_id = _run(store)
    store.queue.claim("r1")
    assert store.queue.finish(run_id, result_json='{"k": 1}', files={"rules.sql": b"SELECT 1"},
                              message="done")
    run = store.runs.get(run_id)
    assert run.status == "done" and run.progress == 1.0
    assert store.runs.result_json(run_id) == '{"k": 1}'
    assert store.runs.artifact(run_id, "rules.sql") == b"SELECT 1"


def test_queued_run_cancels_at_once_and_can_be_retried(store):
    run_id = _run(store)
    assert store.queue.request_cancel(run_id, owner="alice")
    assert store.runs.get(run_id).status == "cancelled"
    assert store.queue.claim("r1") is None
    assert store.queue.retry(run_id, owner="alice") == "queued"
    assert store.runs.get(run_id).status == "queued"


def test_recover_marks_runs_of_a_dead_runner_failed(store):
    stale, fresh = _run(store), _run(store)
    store.queue.claim("dead")
    store.queue.claim("alive")
    store.queue.beat("alive", "host", [fresh])
    with store.engine.begin() as con:
        from service.schema import runs
        from sqlalchemy import update
        con.execute(update(runs).where(runs.c.id == stale).values(heartbeat_at=time.time() - 600))
    assert store.queue.recover(stale_after=30) == [stale]
    assert store.runs.get(stale).status == "failed"
    assert "run it again" in store.runs.get(stale).message
    assert store.runs.get(fresh).status == "running"
    assert store.queue.recover(stale_after=30, everything=True) == [fresh]


def test_share_tokens_are_long_random_and_stored_hashed(store):
    run_id = _run(store)
    token = store.shares.add(run_id)[0]
    assert len(token) == 43 and store.shares.run_id_of(token) == run_id
    with store.engine.connect() as con:
        stored = con.execute(select(shares.c.token_hash)).scalar()
    assert token not in stored and len(stored) == 64


@pytest.mark.parametrize("token", ["", "short", "x" * 43, "../../etc/passwd" + "a" * 27, None, 42])
def test_made_up_or_malformed_tokens_open_nothing(store, token):
    _run(store)
    assert store.shares.run_id_of(token) is None


def test_revoked_and_expired_links_open_nothing(store):
    run_id = _run(store)
    token, link = store.shares.add(run_id)
    assert store.shares.of_run(run_id) == [link]
    assert store.shares.revoke(link.id, owner="bob") is False
    assert store.shares.run_id_of(token) == run_id
    assert store.shares.revoke(link.id, owner="alice") is True
    assert store.shares.run_id_of(token) is None


def test_a_link_expires_by_the_store_clock(store):
    clock = store.clock = FakeClock()
    run_id = _run(store)
    day = store.shares.add(run_id, expires_in_days=1)[0]
    forever = store.shares.add(run_id)[0]
    clock.advance(86400 - 1)
    assert store.shares.run_id_of(day) == run_id
    clock.advance(2)
    assert store.shares.run_id_of(day) is None
    assert store.shares.run_id_of(forever) == run_id


def test_schema_of_an_older_database_is_migrated_on_start(store):
    with store.engine.begin() as con:  # as create_all made it before migrations
        con.exec_driver_sql("ALTER TABLE runs DROP COLUMN visibility")
        con.exec_driver_sql("DROP TABLE alembic_version")
    store.create_schema()
    run_id = _run(store)
    assert store.runs.get(run_id).visibility == "private"
