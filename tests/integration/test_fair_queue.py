"""The queue is fair across users and each user's queue is bounded, on SQLite and PostgreSQL.

A runner takes the oldest queued run of the user with the fewest runs running, so one editor's
long queue never holds back another editor's first run; a run beyond a user's queued quota is
refused with a message (the API answers 429). A run whose stored options are damaged fails with a
message of its own instead of blocking a runner.
"""
from __future__ import annotations

from functools import partial

import pytest

from dashboard.app import create_app
from service import usecases
from service.repositories.queue import DAMAGED_OPTIONS
from service.settings import Settings
from service.usecases import UseCaseError

ALICE, BOB, CAROL = "a" * 32, "b" * 32, "c" * 32


def _queue(store, owner: str, *, second: int, upload_id=None) -> str:
    """A queued run of owner's created at 00:00:<second>, so the order is known."""
    run_id = store.runs.submit(owner=owner, title="t", options={}, upload_id=upload_id)
    with store.engine.begin() as con:
        con.exec_driver_sql("UPDATE runs SET created_at = %s WHERE id = %s"
                            if store.url.startswith("postgresql") else
                            "UPDATE runs SET created_at = ? WHERE id = ?",
                            (f"2026-01-01T00:00:{second:02d}+00:00", run_id))
    return run_id


def test_a_second_users_run_is_taken_before_the_first_users_backlog(store):
    alice = [_queue(store, ALICE, second=i) for i in range(6)]
    bob = _queue(store, BOB, second=30)
    carol = _queue(store, CAROL, second=40)
    taken = [store.queue.claim("runner-1").id for _ in range(5)]
    # round robin: each user with nothing running comes first, oldest run first
    assert taken == [alice[0], bob, carol, alice[1], alice[2]]


def test_the_user_with_fewer_runs_running_goes_first_whoever_queued_first(store):
    alice = [_queue(store, ALICE, second=i) for i in range(3)]
    assert store.queue.claim("r").id == alice[0]
    bob = [_queue(store, BOB, second=10 + i) for i in range(2)]
    assert store.queue.claim("r").id == bob[0]          # alice has one running, bob none
    assert store.queue.claim("r").id == alice[1]        # one each: the older run
    assert store.queue.fail(alice[0], "done") and store.queue.fail(alice[1], "done")
    assert store.queue.claim("r").id == alice[2]        # alice now has none running, bob one
    assert store.queue.claim("r").id == bob[1] and store.queue.claim("r") is None


def test_a_run_with_damaged_options_fails_with_its_own_message(store):
    broken = _queue(store, ALICE, second=1)
    good = _queue(store, BOB, second=2)
    with store.engine.begin() as con:
        con.exec_driver_sql("UPDATE runs SET options = '{not json' WHERE id = "
                            + ("%s" if store.url.startswith("postgresql") else "?"), (broken,))
    assert store.queue.claim("r").id == good
    with store.engine.begin() as con:
        status, message = con.exec_driver_sql(
            "SELECT status, message FROM runs WHERE id = "
            + ("%s" if store.url.startswith("postgresql") else "?"), (broken,)).one()
    assert status == "failed" and message == DAMAGED_OPTIONS
    assert store.queue.claim("r") is None


def _upload(store, owner: str) -> str:
    return store.uploads.add(owner=owner, filename="c.csv", path="/nonexistent/c.csv",
                             size_bytes=10, preview=None, error=None).id


def test_a_run_beyond_the_queued_quota_is_refused_until_one_starts(store):
    settings = Settings.from_env({"CLEARSEG_MAX_QUEUED_PER_USER": "3"})
    upload_id = _upload(store, ALICE)

    def submit(owner=ALICE, up=upload_id):
        return usecases.submit_run(store, owner=owner, upload_id=up, settings=settings,
                                   options_for=lambda upload: usecases.RunOptions())
    for _ in range(3):
        submit()
    with pytest.raises(UseCaseError) as refused:
        submit()
    assert refused.value.status == 429 and "3 runs waiting" in refused.value.message
    assert store.queue.queued_count(ALICE) == 3
    submit(owner=BOB, up=_upload(store, BOB))          # another user is not held back
    assert {store.queue.claim("r").owner for _ in range(2)} == {ALICE, BOB}
    submit()                                           # one started: room for one more
    assert store.queue.queued_count(ALICE) == 3


def test_the_api_answers_429_with_the_message_when_the_quota_is_hit(tmp_path):
    settings = Settings.from_env({"CLEARSEG_DATABASE_URL": f"sqlite:///{tmp_path / 'q.db'}",
                                  "CLEARSEG_MAX_QUEUED_PER_USER": "2",
                                  "CLEARSEG_UPLOAD_DIR": str(tmp_path / "uploads"),
                                  "CLEARSEG_SECRET_KEY": "k" * 40,
                                  "CLEARSEG_SECURE_COOKIES": "0"})
    app = create_app(settings, local=True)
    store = app.server.extensions["clearseg"]["store"]
    upload_id = _upload(store, ALICE)
    client = app.server.test_client()
    with client.session_transaction("/", base_url="http://localhost") as session:
        session["uid"] = ALICE
    answers = [client.post("/api/runs", json={"upload_id": upload_id}) for _ in range(3)]
    assert [a.status_code for a in answers] == [201, 201, 429]
    assert "2 runs waiting for a runner" in answers[2].get_json()["error"]
    assert store.queue.queued_count(ALICE) == 2


# --- damaged stored rows answer for themselves -------------------------------------------------

def _corrupt(store, table: str, column: str, value, key: str, ident: str) -> None:
    mark = "%s" if store.url.startswith("postgresql") else "?"
    with store.engine.begin() as con:
        con.exec_driver_sql(f"UPDATE {table} SET {column} = {mark} WHERE {key} = {mark}",
                            (value, ident))


def test_damaged_options_preview_and_files_read_as_missing_with_a_message(store):
    from service.repositories.records import DAMAGED_PREVIEW
    upload_id = store.uploads.add(owner=ALICE, filename="c.csv", path="/x", size_bytes=1,
                                  preview={"columns": []}, error=None).id
    run_id = _queue(store, ALICE, second=1, upload_id=upload_id)
    with store.engine.begin() as con:
        con.exec_driver_sql("UPDATE runs SET status = 'running' WHERE id = "
                            + ("%s" if store.url.startswith("postgresql") else "?"), (run_id,))
    assert store.queue.finish(run_id, result_json="{}", files={"rules.sql": b"SELECT 1"},
                              message="ok")
    _corrupt(store, "runs", "options", "[1, 2", "id", run_id)
    _corrupt(store, "uploads", "preview", "{\"columns\": [", "id", upload_id)
    _corrupt(store, "artifacts", "content", b"not gzip at all", "run_id", run_id)
    assert store.runs.get(run_id).options == {} and store.runs.get(run_id).status == "done"
    upload = store.uploads.get(upload_id, owner=ALICE)
    assert upload.preview is None and upload.error == DAMAGED_PREVIEW
    assert store.runs.artifact(run_id, "rules.sql") is None
    other = _queue(store, BOB, second=2)              # other users' rows are untouched
    assert store.runs.get(other).options == usecases.RunOptions().to_stored()


def _outcomes_at_once(calls) -> list:
    """Each call in its own thread, all released together: "queued", or the refusal's status."""
    import threading
    start, outcomes = threading.Barrier(len(calls)), []

    def attempt(call):
        start.wait()
        try:
            call()
            outcomes.append("queued")
        except UseCaseError as exc:
            outcomes.append(exc.status)
    threads = [threading.Thread(target=attempt, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_concurrent_submissions_never_queue_more_than_the_quota(store):
    """Eight submissions at once against a quota of 3: at most 3 are kept, each refusal says why."""
    settings = Settings.from_env({"CLEARSEG_MAX_QUEUED_PER_USER": "3"})
    upload_id = _upload(store, ALICE)
    outcomes = _outcomes_at_once([lambda: usecases.submit_run(
        store, owner=ALICE, upload_id=upload_id, settings=settings,
        options_for=lambda upload: usecases.RunOptions())] * 8)
    assert len(outcomes) == 8 and set(outcomes) <= {"queued", 429}
    assert store.queue.queued_count(ALICE) == outcomes.count("queued") <= 3


def test_concurrent_retries_never_queue_more_than_the_quota(store):
    """Eight failed runs retried at once against a quota of 3: at most 3 are queued again, and
    every other one is left failed with its own message."""
    settings = Settings.from_env({"CLEARSEG_MAX_QUEUED_PER_USER": "3"})
    upload_id = _upload(store, ALICE)
    failed = []
    for index in range(8):
        run_id = store.runs.submit(owner=ALICE, title="t", options={}, upload_id=upload_id)
        assert store.queue.claim("r").id == run_id
        assert store.queue.fail(run_id, f"failure {index}", runner="r")
        failed.append(run_id)
    outcomes = _outcomes_at_once([partial(usecases.retry_run, store, owner=ALICE, run_id=run_id,
                                          settings=settings) for run_id in failed])
    assert len(outcomes) == 8 and set(outcomes) <= {"queued", 429}
    assert store.queue.queued_count(ALICE) == outcomes.count("queued") <= 3
    for index, run_id in enumerate(failed):
        run = store.runs.get(run_id)
        assert run.status == "queued" or (run.status, run.message) == ("failed", f"failure {index}")


def test_the_run_button_says_when_the_quota_is_hit(tmp_path):
    """The form shows the same message beside the button and opens no run page."""
    import flask

    from dashboard.pages.home import submit_run
    from segmentation.preview import build_preview
    from segmentation.synthetic import make_customers
    settings = Settings.from_env({"CLEARSEG_DATABASE_URL": f"sqlite:///{tmp_path / 'f.db'}",
                                  "CLEARSEG_UPLOAD_DIR": str(tmp_path / "uploads"),
                                  "CLEARSEG_SECRET_KEY": "k" * 40, "CLEARSEG_SECURE_COOKIES": "0",
                                  "CLEARSEG_MAX_QUEUED_PER_USER": "1"})
    app = create_app(settings, local=True)
    store = app.server.extensions["clearseg"]["store"]
    path = tmp_path / "customers.csv"
    make_customers(60, seed=0)[0].to_csv(path, index=False)
    upload_id = store.uploads.add(owner=ALICE, filename="customers.csv", path=str(path),
                                  size_bytes=1, preview=build_preview(path), error=None).id
    form = {"features": ["age", "annual_income"], "id_column": "customer_id", "orders": False, "order_fields": {},
            "as_of": "", "method": "kmeans", "k": "3", "depth": "3", "seed": 0, "roles": []}
    with app.server.test_request_context("/", base_url="http://clearseg.example"):
        flask.session["uid"] = ALICE
        first = submit_run(1, upload_id=upload_id, form=form)
        second = submit_run(1, upload_id=upload_id, form=form)
    assert first["message"] is None and first["href"].startswith("/runs/")
    assert "1 runs waiting for a runner" in str(second["message"])
    assert store.queue.queued_count(ALICE) == 1
