"""Faults lose nothing: killed runners and servers, an unreachable or locked database, many writers.

Real processes throughout: `python -m service worker`, gunicorn with several workers, SQLite
files and a throwaway PostgreSQL server on loopback.
"""
from __future__ import annotations

import multiprocessing
import os
import signal
import sqlite3
import subprocess
import time
from functools import partial
from pathlib import Path

import pytest
import requests
from sqlalchemy import event

from segmentation.synthetic import make_customers
from service.jobs import RUNNER_STALE_SECONDS
from service.store import RunStore
from servers import (Gunicorn, Worker, csrf_token, upload_sample, wait_run, wait_until,
                     wait_upload)

MESSAGE = "the database is not reachable right now; try again in a moment"
PAGE_MESSAGE = "The database is not reachable right now; try again in a moment."
DOWNLOADS = ("assignments.csv", "rules.sql", "report.html", "result.json")
OUTAGE_SECONDS = 4.0


@pytest.fixture(scope="module")
def postgres():
    from pg import PostgresServer
    server = PostgresServer().start()
    yield server
    server.stop()


def _children(pid: int) -> list[int]:
    """Direct children of a process (all its threads), from /proc."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


def _descendants(pid: int) -> list[int]:
    out = []
    for child in _children(pid):
        out += [child, *_descendants(child)]
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def _kill_9(proc: subprocess.Popen) -> None:
    """SIGKILL a process and everything under it, parent first (a crash, not a shutdown)."""
    tree = _descendants(proc.pid)
    proc.kill()
    proc.wait()
    for pid in tree:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    assert wait_until(lambda: not any(map(_alive, tree)))


def _job_children(worker: Worker) -> dict[str, int]:
    """run id -> pid of the runner's job processes."""
    out = {}
    for pid in _children(worker.proc.pid):
        args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        if b"job" in args:
            out[args[args.index(b"job") + 1].decode()] = pid
    return out


def _csv(tmp_path: Path, rows: int) -> Path:
    path = tmp_path / f"customers-{rows}.csv"
    if not path.exists():
        make_customers(rows, seed=0)[0].to_csv(path, index=False)
    return path


def _submit(store: RunStore, path: Path, *, k: int = 3) -> str:
    up = store.uploads.add(owner="alice", filename=path.name, path=str(path),
                           size_bytes=path.stat().st_size, preview=None, error=None).id
    return store.runs.submit(owner="alice", title=path.name, upload_id=up,
                             options={"method": "kmeans", "k": k, "seed": 0})


def _finished(store: RunStore) -> str:
    """A done run with a result and files, as a runner leaves it."""
    run_id = store.runs.submit(owner="alice", title="earlier", upload_id=None, options={})
    assert store.queue.claim("earlier-runner").id == run_id
    assert store.queue.finish(run_id, result_json='{"schema_version": 1}', message="4 segments",
                              files={"assignments.csv": b"id,segment\n1,2\n",
                                     "rules.sql": b"SELECT 1"})
    return run_id


def _snapshot(store: RunStore, run_id: str) -> tuple:
    run = store.runs.get(run_id)
    return (run.status, run.message, run.finished_at, store.runs.result_json(run_id),
            store.runs.artifact(run_id, "assignments.csv"),
            store.runs.artifact(run_id, "rules.sql"))


# 1. a runner killed with SIGKILL mid-run --------------------------------------------------------
def test_a_killed_runner_leaves_its_runs_failed_and_they_run_again(tmp_path):
    instance = tmp_path / "instance"
    store = RunStore(f"sqlite:///{instance / 'clearseg.db'}")
    store.create_schema()
    earlier = _finished(store)
    before = _snapshot(store, earlier)
    big = _csv(tmp_path, 30_000)
    orphaned, crashed = _submit(store, big), _submit(store, big)
    worker = Worker(instance, concurrency=2).start()
    try:
        assert wait_until(lambda: all(store.runs.get(i).progress > 0 for i in (orphaned, crashed)))
        jobs = _job_children(worker)
        os.kill(jobs[crashed], signal.SIGSTOP)  # frozen first, so it cannot notice the runner go
        worker.proc.kill()                    # the runner itself; its job processes live on
        worker.proc.wait()
        os.kill(jobs[crashed], signal.SIGKILL)  # this one's job process dies with it
        queued = _submit(store, _csv(tmp_path, 1_000))

        # the orphaned job notices its runner is gone, stops and stores no result
        assert wait_until(lambda: not _alive(jobs[orphaned]))
        run = store.runs.get(orphaned)
        assert run.status == "failed" and "crash or restart" in run.message
        assert store.runs.result_json(orphaned) is None
        assert store.runs.artifact(orphaned, "rules.sql") is None
        assert store.runs.get(crashed).status == "running"   # nobody is left to notice it yet
        assert store.queue.retry(orphaned, owner="alice") == "queued"

        worker = Worker(instance, concurrency=2).start()
        assert wait_until(lambda: store.runs.get(crashed).status == "failed")
        assert "crash or restart" in store.runs.get(crashed).message
        assert store.runs.result_json(crashed) is None

        assert wait_until(lambda: store.runs.get(orphaned).status == "done")
        assert wait_until(lambda: store.runs.get(queued).status == "done")
        assert store.runs.get(orphaned).attempts == 2
        assert b"segment_name" in store.runs.artifact(orphaned, "assignments.csv")
        assert _snapshot(store, earlier) == before
    finally:
        worker.stop()


def test_recovery_judges_a_run_by_its_runners_heartbeat(tmp_path):
    store = RunStore(f"sqlite:///{tmp_path / 'r.db'}")
    store.create_schema()
    claimed = {}
    for runner in ("dead", "alive", "new"):
        claimed[runner] = store.runs.submit(owner="a", title=runner, upload_id=None, options={})
        assert store.queue.claim(runner).id == claimed[runner]
    dead, alive, never_beat = claimed.values()
    store.queue.beat("dead", "h", [])
    store.queue.beat("alive", "h", [])
    with store.engine.begin() as con:   # the dead runner's last beat is old; its job still writes
        con.exec_driver_sql("UPDATE runners SET heartbeat_at = heartbeat_at - 60 WHERE id = 'dead'")
    store.queue.report_progress(dead, stage="clustering", progress=0.5, message="still going")
    assert store.queue.recover(stale_after=RUNNER_STALE_SECONDS) == [dead]
    assert [store.runs.get(i).status for i in (dead, alive, never_beat)] == ["failed", "running",
                                                                               "running"]
    with store.engine.begin() as con:   # a runner that claimed but never beat, long ago
        con.exec_driver_sql("UPDATE runs SET heartbeat_at = heartbeat_at - 60 WHERE id = ?",
                            (never_beat,))
    assert store.queue.recover(stale_after=RUNNER_STALE_SECONDS) == [never_beat]


# 2. a full restart after kill -9 ------------------------------------------------------------------
def test_kill_9_of_server_and_runner_keeps_finished_runs_files_and_links(tmp_path):
    instance = tmp_path / "instance"
    web, worker = Gunicorn(instance, workers=2).start(), Worker(instance).start()
    try:
        alice = requests.Session()
        upload_id = upload_sample(alice, web.url)
        r = alice.post(f"{web.url}/api/runs", json={"upload_id": upload_id, "k": 3}, timeout=30)
        run_id = r.json()["id"]
        assert wait_run(alice, web.url, run_id, timeout=120)["status"] == "done"
        token = alice.post(f"{web.url}/api/runs/{run_id}/shares", json={},
                           timeout=30).json()["url"].rsplit("/", 1)[1]
        files = {name: alice.get(f"{web.url}/runs/{run_id}/download/{name}", timeout=30)
                 for name in DOWNLOADS}
        assert all(f.status_code == 200 and f.content for f in files.values())
        shared = requests.get(f"{web.url}/share/{token}/report.html", timeout=30).content

        _kill_9(web.proc)
        _kill_9(worker.proc)
        web = Gunicorn(instance, port=web.port, workers=2).start()
        worker = Worker(instance).start()
        alice.close()   # drop connections to the killed server; the cookies stay

        assert alice.get(f"{web.url}/api/runs/{run_id}", timeout=30).json()["status"] == "done"
        for name, before in files.items():
            after = alice.get(f"{web.url}/runs/{run_id}/download/{name}", timeout=30)
            assert after.status_code == 200 and after.content == before.content, name
        assert requests.get(f"{web.url}/share/{token}/report.html", timeout=30).content == shared
        assert requests.get(f"{web.url}/share/{token}", timeout=30).status_code == 200
        again = alice.post(f"{web.url}/api/runs", json={"upload_id": upload_id, "k": 4}, timeout=30)
        assert wait_run(alice, web.url, again.json()["id"], timeout=120)["status"] == "done"
        with sqlite3.connect(instance / "clearseg.db") as con:
            assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        web.stop()
        worker.stop()


# 3. the database briefly unavailable ----------------------------------------------------------
def _pg_ctl(pg, action: str) -> None:
    """Stop or start the test server in place (its data stays)."""
    from pg import _as_postgres
    cmd = [str(pg.bin / "pg_ctl"), "-D", str(pg.data), "-w"]
    if action == "stop":
        cmd += ["-m", "fast", "stop"]
    else:
        opts = f"-p {pg.port} -k {pg.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        cmd += ["-o", opts, "-l", str(pg.root / "log"), "start"]
    subprocess.run(_as_postgres(cmd), check=True, capture_output=True)


def _assert_unavailable(response: requests.Response, *, page: bool) -> None:
    """The product's own 503: its message (page or JSON) and a Retry-After."""
    assert response.status_code == 503, response.text[:300]
    assert response.headers.get("Retry-After") == "5"
    if page:
        assert PAGE_MESSAGE in response.text
    else:
        assert response.json() == {"error": MESSAGE}


def test_postgres_outage_answers_503_and_all_recovers_without_restarts(tmp_path, postgres):
    url = postgres.fresh_database("faults_outage")
    instance = tmp_path / "instance"
    web = Gunicorn(instance, workers=2, CLEARSEG_DATABASE_URL=url).start()
    worker = Worker(instance, concurrency=1, CLEARSEG_DATABASE_URL=url).start()
    try:
        alice = requests.Session()
        body = _csv(tmp_path, 30_000).read_bytes()
        r = alice.post(f"{web.url}/upload", files={"file": ("c.csv", body)}, allow_redirects=False,
                       data={"csrf": csrf_token(alice, web.url)}, timeout=60)
        upload_id = wait_upload(alice, web.url, r.headers["Location"].split("upload=")[1])["id"]
        run_id = alice.post(f"{web.url}/api/runs", json={"upload_id": upload_id, "k": 3},
                            timeout=30).json()["id"]
        assert wait_until(lambda: alice.get(f"{web.url}/api/runs/{run_id}", timeout=10)
                          .json()["progress"] > 0)

        _pg_ctl(postgres, "stop")
        stopped = time.monotonic()
        try:
            _assert_unavailable(alice.get(f"{web.url}/", timeout=30), page=True)
            _assert_unavailable(alice.get(f"{web.url}/runs/{run_id}", timeout=30), page=True)
            _assert_unavailable(alice.get(f"{web.url}/api/runs/{run_id}", timeout=30), page=False)
            _assert_unavailable(alice.post(f"{web.url}/api/runs", json={"upload_id": upload_id},
                                           timeout=30), page=False)
            assert requests.get(f"{web.url}/healthz", timeout=30).status_code == 503
            assert wait_until(lambda: "database is not reachable" in worker.log.read_text())
            time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - stopped)))  # the job goes on
        finally:
            _pg_ctl(postgres, "start")

        assert wait_until(lambda: requests.get(f"{web.url}/healthz",
                                               timeout=10).status_code == 200)
        assert wait_run(alice, web.url, run_id, timeout=120)["status"] == "done"  # it kept going
        again = alice.post(f"{web.url}/api/runs", json={"upload_id": upload_id, "k": 2}, timeout=30)
        assert again.status_code == 201
        assert wait_run(alice, web.url, again.json()["id"], timeout=120)["status"] == "done"
        assert alice.get(f"{web.url}/", timeout=30).status_code == 200
        assert web.proc.poll() is None and worker.proc.poll() is None   # never restarted
        log = worker.log.read_text()
        assert "database is reachable again" in log and "Traceback" not in log
    finally:
        web.stop()
        worker.stop()


def _home_call() -> dict:
    """The routing callback a browser makes for the home page (it reads the store)."""
    return {"output": ".._pages_content.children..._pages_store.data..",
            "outputs": [{"id": "_pages_content", "property": "children"},
                        {"id": "_pages_store", "property": "data"}],
            "inputs": [{"id": "_pages_location", "property": "pathname", "value": "/"},
                       {"id": "_pages_location", "property": "search", "value": ""}],
            "changedPropIds": ["_pages_location.pathname"]}


def test_a_locked_sqlite_database_answers_503_not_500(tmp_path):
    instance = tmp_path / "instance"
    web = Gunicorn(instance, workers=2, CLEARSEG_SQLITE_BUSY_MS=300).start()
    worker = Worker(instance, concurrency=1).start()   # reads the upload
    try:
        alice = requests.Session()
        upload_id, token = upload_sample(alice, web.url), csrf_token(alice, web.url)
        worker.stop()   # the runner would queue the runs below and hold the lock itself
        holder = sqlite3.connect(instance / "clearseg.db", isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")   # another process holds the write lock
        try:
            _assert_unavailable(alice.post(f"{web.url}/api/runs", json={"upload_id": upload_id},
                                           timeout=30), page=False)
            _assert_unavailable(alice.post(f"{web.url}/samples/customers", allow_redirects=False,
                                           data={"csrf": token}, timeout=30), page=True)
            home = alice.post(f"{web.url}/_dash-update-component", json=_home_call(), timeout=30)
            if home.status_code == 503:   # reads may go on beside the writer, or wait for it
                assert home.json() == {"error": MESSAGE}
            else:
                assert home.status_code == 200 and '"my-runs"' in home.text, home.status_code
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        r = alice.post(f"{web.url}/api/runs", json={"upload_id": upload_id}, timeout=30)
        assert r.status_code == 201, r.text
    finally:
        web.stop()
        worker.stop()


def test_only_an_unavailable_database_is_a_503():
    import flask
    from sqlalchemy import exc

    from dashboard.errors import register

    app = flask.Flask("faults")
    register(app)
    faults = {
        "locked": exc.OperationalError("UPDATE", {},
                                       sqlite3.OperationalError("database is locked")),
        "typo": exc.OperationalError("SELEC", {}, sqlite3.OperationalError("near SELEC: syntax")),
        "refused": exc.OperationalError("SELECT 1", {}, OSError("connection refused")),
        "constraint": exc.IntegrityError("INSERT", {}, sqlite3.IntegrityError("UNIQUE failed")),
    }
    for name, fault in faults.items():
        app.add_url_rule(f"/{name}", name, partial(_raise, fault))
        app.add_url_rule(f"/api/{name}", f"api_{name}", partial(_raise, fault))
    client = app.test_client()
    for name, status in (("locked", 503), ("refused", 503), ("typo", 500), ("constraint", 500)):
        page, api = client.get(f"/{name}"), client.get(f"/api/{name}")
        assert (page.status_code, api.status_code) == (status, status), name
        if status == 503:
            assert PAGE_MESSAGE in page.text and api.json == {"error": MESSAGE}, name
        for said in ("SELEC", "UNIQUE failed", "database is locked", "connection refused"):
            assert said not in page.text + api.text, (name, said)   # the fault stays in the log
    assert PAGE_MESSAGE in client.get("/locked").text
    assert client.get("/api/refused").json == {"error": MESSAGE}
    assert client.get("/api/refused").headers["Retry-After"] == "5"


def _raise(fault: Exception):
    raise fault


def test_sqlite_busy_timeout_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("CLEARSEG_SQLITE_BUSY_MS", "1234")
    store = RunStore(f"sqlite:///{tmp_path / 'b.db'}")
    store.create_schema()
    with store.reading() as con:
        assert con.exec_driver_sql("PRAGMA busy_timeout").scalar() == 1234
        assert con.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


# 4. SQLite under several writing processes ---------------------------------------------------
def _hammer(url: str, number: int, runs: int, barrier, results) -> None:
    """One process: submit, claim, report, finish and share, as fast as it can."""
    store, claimed, errors = RunStore(url), [], []
    runner = f"runner-{number}"
    barrier.wait()
    for step in range(runs + 100):
        try:
            if step < runs:
                store.runs.submit(owner="alice", title=f"{number}-{step}", upload_id=None,
                                  options={})
            run = store.queue.claim(runner)
            if run is None:
                if step >= runs:
                    break
                continue
            claimed.append(run.id)
            store.queue.report_progress(run.id, stage="clustering", progress=0.5, message="half")
            store.queue.finish(run.id, result_json="{}", files={"rules.sql": b"SELECT 1"},
                               message="done", runner=runner)
            token, share = store.shares.add(run.id)
            assert store.shares.run_id_of(token) == run.id
            assert store.shares.revoke(share.id, owner="alice")
        except Exception as exc:  # noqa: BLE001  (reported to the test, which fails on any)
            errors.append(f"{type(exc).__name__}: {exc}")
    results.put((claimed, errors))


def test_several_processes_write_one_sqlite_file_without_locked_errors(tmp_path):
    url = f"sqlite:///{tmp_path / 'busy.db'}"
    store = RunStore(url)
    store.create_schema()
    ctx = multiprocessing.get_context("spawn")
    procs, runs = 4, 25
    barrier, results = ctx.Barrier(procs), ctx.Queue()
    workers = [ctx.Process(target=_hammer, args=(url, n, runs, barrier, results))
               for n in range(procs)]
    for w in workers:
        w.start()
    outcomes = [results.get(timeout=120) for _ in workers]
    for w in workers:
        w.join(timeout=30)
    claimed = [run_id for ids, _ in outcomes for run_id in ids]
    assert [errors for _, errors in outcomes] == [[]] * procs
    assert len(claimed) == len(set(claimed)) == procs * runs   # each run claimed exactly once
    assert store.runs.count("done") == procs * runs
    with store.reading() as con:
        assert con.exec_driver_sql("SELECT max(attempts) FROM runs").scalar() == 1


# 5. a result and its 'done' status in one transaction -----------------------------------------
@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path) -> RunStore:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'one.db'}"
    else:
        url = request.getfixturevalue("postgres").fresh_database("faults_one_transaction")
    s = RunStore(url)
    s.create_schema()
    yield s
    s.engine.dispose()


def test_a_failure_between_result_and_done_stores_neither(store):
    run_id = store.runs.submit(owner="alice", title="t", upload_id=None, options={})
    store.queue.claim("runner-1")

    def disk_full(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("INSERT INTO ARTIFACTS"):
            raise OSError("disk full while writing the files")

    files = {"assignments.csv": b"id,segment\n1,2\n", "rules.sql": b"SELECT 1"}
    event.listen(store.engine, "before_cursor_execute", disk_full)
    try:
        with pytest.raises(OSError, match="disk full"):
            store.queue.finish(run_id, result_json='{"k": 3}', files=files, message="3 segments",
                               runner="runner-1")
    finally:
        event.remove(store.engine, "before_cursor_execute", disk_full)
    run = store.runs.get(run_id)
    assert (run.status, run.stage, run.finished_at) == ("running", "reading", None)
    assert store.runs.result_json(run_id) is None
    assert store.runs.artifact(run_id, "assignments.csv") is None
    # nothing half-written stands in the way: the same finish goes through now
    assert store.queue.finish(run_id, result_json='{"k": 3}', files=files, message="3 segments",
                              runner="runner-1")
    assert store.runs.get(run_id).status == "done"
    assert store.runs.artifact(run_id, "rules.sql") == b"SELECT 1"
    assert not store.queue.finish(run_id, result_json="{}", files={}, message="again",
                                  runner="runner-1")
