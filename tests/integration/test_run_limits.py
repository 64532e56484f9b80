"""Every run's process is limited: memory and CPU time by rlimits, wall time and cancels by the
runner (SIGTERM, then SIGKILL after a grace period); its command line shows no database URL.

Each child here is tripped cheaply: a CPU limit of one second (importing the core alone takes
more), a wall limit shorter than a small run, a child that ignores SIGTERM.
"""
from __future__ import annotations

import dataclasses
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from segmentation.synthetic import make_customers
from service.jobs import Runner, job_command
from service.sandbox import JOB_NICENESS
from service.settings import Settings
from service.store import RunStore


@pytest.fixture
def store(tmp_path) -> RunStore:
    s = RunStore(f"sqlite:///{tmp_path / 'limits.db'}")
    s.create_schema()
    return s


def _submit(store: RunStore, tmp_path) -> str:
    path = tmp_path / "c.csv"
    make_customers(300, seed=0)[0].to_csv(path, index=False)
    up = store.uploads.add(owner="alice", filename="c.csv", path=str(path),
                           size_bytes=path.stat().st_size, preview=None, error=None).id
    return store.runs.submit(owner="alice", title="c.csv", upload_id=up, options={"k": 3})


def _runner(store: RunStore, **limits) -> Runner:
    return Runner(store, concurrency=1, settings=dataclasses.replace(Settings.from_env(), **limits))


def _settle(runner: Runner, run_id: str, *, rounds: int = 600) -> dict:
    """Step the runner (pausing on the child, not the clock) until the run has ended."""
    for _ in range(rounds):
        runner.step()
        proc = runner.children.get(run_id)
        if proc is None and runner.store.runs.get(run_id).status not in ("queued", "running"):
            return runner.store.runs.get(run_id)
        if proc is not None:
            try:
                proc.wait(timeout=0.1)
            except subprocess.TimeoutExpired:
                pass
    raise AssertionError("the run did not end")


def _address_space_limit(pid: int, proc) -> str | None:
    """The child's 'Max address space' soft limit once it has set it (None if it ended first)."""
    while proc.poll() is None:
        try:
            limits = Path(f"/proc/{pid}/limits").read_text()
        except FileNotFoundError:
            return None
        line = next(x for x in limits.splitlines() if x.startswith("Max address space"))
        if "unlimited" not in line.split()[3]:
            return line.split()[3]
        try:
            proc.wait(timeout=0.01)
        except subprocess.TimeoutExpired:
            pass
    return None


def test_a_run_over_its_cpu_time_is_stopped_with_a_message(store, tmp_path):
    run_id = _submit(store, tmp_path)
    runner = _runner(store, run_cpu_seconds=1, run_memory_mb=3000)
    runner.step()
    proc = runner.children[run_id]
    cmdline = Path(f"/proc/{proc.pid}/cmdline").read_bytes().decode()
    assert store.url not in cmdline and "limits.db" not in cmdline
    assert _address_space_limit(proc.pid, proc) == str(3000 * 2**20)
    run = _settle(runner, run_id)
    assert run.status == "failed" and "used up its CPU time (1 s)" in run.message
    assert store.runs.result_json(run_id) is None


def test_a_run_over_its_wall_time_is_failed_and_its_process_ended(store, tmp_path):
    run_id = _submit(store, tmp_path)
    runner = _runner(store, run_wall_seconds=0.3, cancel_grace_seconds=0.5)
    runner.step()
    proc = runner.children[run_id]
    run = _settle(runner, run_id)
    assert run.status == "failed" and "longer than its time limit (0.3 s)" in run.message
    assert proc.poll() is not None and run_id not in runner.children


def _stubborn_child() -> subprocess.Popen:
    """A process that ignores SIGTERM, as a run inside a long library call does; it says when
    it is ready."""
    code = ("import signal, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
            "print('ready', flush=True); time.sleep(120)")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    return proc


@pytest.mark.parametrize("grace", [0.0, 600.0])
def test_cancel_sends_sigterm_then_sigkill_after_the_grace_period(store, tmp_path, grace):
    run_id = _submit(store, tmp_path)
    runner = _runner(store, cancel_grace_seconds=grace)
    assert store.queue.claim(runner.runner_id).id == run_id
    proc = runner.children[run_id] = _stubborn_child()
    try:
        assert store.queue.request_cancel(run_id, owner="alice")
        runner.enforce_cancels()                # SIGTERM: ignored
        assert proc.poll() is None and run_id in runner.stopping
        runner.enforce_cancels()                # SIGKILL once the grace period is over
        if grace:
            assert proc.poll() is None
            return
        assert proc.wait(timeout=30) == -signal.SIGKILL
        runner.reap()
        assert store.runs.get(run_id).status == "cancelled" and run_id not in runner.children
    finally:
        proc.kill()
        proc.wait()


def test_the_database_url_travels_by_environment_and_the_secret_not_at_all(monkeypatch):
    monkeypatch.setenv("CLEARSEG_SECRET_KEY", "k" * 40)
    url = "postgresql+psycopg://clearseg:pa55word@db.internal:5432/clearseg"
    cmd, env = job_command("ab" * 16, url=url, settings=Settings.from_env({}))
    assert not any("pa55word" in part for part in cmd) and "ab" * 16 in cmd
    assert env["CLEARSEG_DATABASE_URL"] == url and "CLEARSEG_SECRET_KEY" not in env
    assert str(4096 * 2**20) in cmd and "7200" in cmd
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "3")
    _, env = job_command("ab" * 16, url=url, settings=Settings.from_env({}), threads=2)
    assert env["OMP_NUM_THREADS"] == "2" and env["OPENBLAS_NUM_THREADS"] == "3"


def test_a_table_wider_than_a_run_uses_is_refused_unless_features_are_chosen():
    """At submission (from the preview) and right after the run reads the table: one limit."""
    from segmentation.options import MAX_FEATURES, OptionError, RunOptions
    wide = MAX_FEATURES + 1
    preview = {"columns_total": wide,   # as build_preview describes a wide table: 200 shown
               "columns": [{"name": f"c{i:04d}", "role": "numeric"} for i in range(MAX_FEATURES)]}
    refused = (rf"^features: the table has {wide} columns and a run uses at most "
               rf"{MAX_FEATURES}: choose the features \(at most {MAX_FEATURES}\)$")
    with pytest.raises(OptionError, match=refused):
        RunOptions().checked_against(preview)
    with pytest.raises(OptionError, match=refused):
        RunOptions().check_table(12, wide)
    RunOptions().check_table(12, MAX_FEATURES)
    chosen = RunOptions(features=["c0001", "c0002"]).checked_against(preview)
    chosen.check_table(12, wide)


def test_a_runs_process_yields_the_cores_to_the_web_tier():
    """limit_job lowers the job's CPU priority, as the runner's job command applies it."""
    code = ("import os; from service.sandbox import limit_job; before = os.nice(0); "
            "limit_job(memory_bytes=2**32, cpu_seconds=60); print(os.nice(0) - before)")
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True,
                         timeout=60, check=True).stdout
    assert int(out) == JOB_NICENESS > 0
