"""The job runner for real: child processes, the concurrency limit, cancels, crashes, recovery."""
from __future__ import annotations

import json
import os
import signal
import threading

import pytest

from segmentation.synthetic import make_blobs_table, make_customers
from service.jobs import Runner
from service.store import RunStore
from servers import wait_until


@pytest.fixture
def store(tmp_path) -> RunStore:
    s = RunStore(f"sqlite:///{tmp_path / 'jobs.db'}")
    s.create_schema()
    return s


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory):
    """A table long enough that its run is still going when it is cancelled or killed (written
    once: the tests only read it)."""
    path = tmp_path_factory.mktemp("big") / "big.csv"
    make_blobs_table(300_000, n_features=8, k=4, seed=0)[0].to_csv(path, index=False)
    return path


def _submit(store: RunStore, tmp_path, *, name: str = "c", options=None, path=None) -> str:
    """Queue a run of alice on `path`, else on 400 generated customers in tmp_path."""
    if path is None:
        path = tmp_path / f"{name}.csv"
        if not path.exists():
            make_customers(400, seed=0)[0].to_csv(path, index=False)
    up = store.uploads.add(owner="alice", filename=path.name, path=str(path),
                           size_bytes=path.stat().st_size, preview=None, error=None).id
    return store.runs.submit(owner="alice", title=path.name, upload_id=up,
                             options=options or {"method": "kmeans", "k": 3, "seed": 0})


class _Serving:
    """A runner serving in a thread for the duration of a with-block."""

    def __init__(self, runner: Runner):
        self.runner, self.stop = runner, threading.Event()
        self.thread = threading.Thread(target=runner.serve, args=(self.stop,), daemon=True)

    def __enter__(self):
        self.thread.start()
        return self.runner

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(timeout=30)


def test_more_jobs_than_the_limit_queue_and_all_finish(store, tmp_path):
    ids = [_submit(store, tmp_path) for _ in range(5)]
    peak = 0
    with _Serving(Runner(store, concurrency=2, poll_seconds=0.1)):
        def finished():
            nonlocal peak
            peak = max(peak, store.runs.count("running"))
            return all(store.runs.get(i).status in ("done", "failed") for i in ids)
        assert wait_until(finished, every=0.05)
    assert [store.runs.get(i).status for i in ids] == ["done"] * 5
    assert 1 <= peak <= 2
    result = json.loads(store.runs.result_json(ids[0]))
    assert result["k_selection"]["chosen_k"] == 3
    assert store.runs.artifact(ids[0], "rules.sql").startswith(b"-- Clearseg rules")
    assert b"segment_name" in store.runs.artifact(ids[0], "assignments.csv")


def test_bad_upload_fails_with_its_message(store, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("")
    up = store.uploads.add(owner="alice", filename="empty.csv", path=str(path), size_bytes=0,
                           preview=None, error=None).id
    run_id = store.runs.submit(owner="alice", title="empty.csv", upload_id=up, options={})
    with _Serving(Runner(store, concurrency=1, poll_seconds=0.1)):
        assert wait_until(lambda: store.runs.get(run_id).status == "failed")
    assert "is empty" in store.runs.get(run_id).message


def test_cancel_stops_a_running_job(store, tmp_path, big_csv):
    run_id = _submit(store, tmp_path, path=big_csv, options={"method": "hierarchical"})
    with _Serving(Runner(store, concurrency=1, poll_seconds=0.1)):
        assert wait_until(lambda: store.runs.get(run_id).status == "running")
        assert store.queue.request_cancel(run_id, owner="alice")
        assert wait_until(lambda: store.runs.get(run_id).status == "cancelled", timeout=60)
    assert store.runs.result_json(run_id) is None


def test_a_killed_job_process_is_marked_failed_and_can_run_again(store, tmp_path, big_csv):
    run_id = _submit(store, tmp_path, path=big_csv, options={"method": "hierarchical"})
    other = _submit(store, tmp_path)
    with _Serving(Runner(store, concurrency=2, poll_seconds=0.1)) as runner:
        assert wait_until(lambda: run_id in runner.children)
        os.kill(runner.children[run_id].pid, signal.SIGKILL)
        assert wait_until(lambda: store.runs.get(run_id).status == "failed", timeout=60)
        assert wait_until(lambda: store.runs.get(other).status == "done")
    assert "ended unexpectedly" in store.runs.get(run_id).message
    assert store.queue.retry(run_id, owner="alice") == "queued" == store.runs.get(run_id).status


def test_runner_start_marks_runs_left_running_by_a_crash_failed(store, tmp_path):
    run_id = _submit(store, tmp_path)
    store.queue.claim("crashed-runner")
    stop = threading.Event()
    stop.set()  # recover, then return at once
    Runner(store, concurrency=1).serve(stop, recover_all=True)
    run = store.runs.get(run_id)
    assert run.status == "failed" and "crash or restart" in run.message


def test_a_second_runner_leaves_runs_with_a_live_heartbeat_alone(store, tmp_path):
    run_id = _submit(store, tmp_path)
    store.queue.claim("other-runner")
    stop = threading.Event()
    stop.set()
    Runner(store, concurrency=1).serve(stop)
    assert store.runs.get(run_id).status == "running"
