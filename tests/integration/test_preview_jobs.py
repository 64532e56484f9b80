"""Previews as jobs: an upload is stored unread, a runner reads it (one file per editor at a time)
and the home page polls it like a run; a run cannot start on a file not yet read."""
from __future__ import annotations

import time
from contextlib import contextmanager

import flask
import pytest
from dash.exceptions import PreventUpdate

from dash_tree import ids_of
from dashboard.app import create_app
from dashboard.components import page_ids
from dashboard.pages.home import poll_upload
from segmentation.options import RunOptions
from segmentation.synthetic import make_customers
from service import usecases
from service.jobs import Runner
from service.preview_jobs import PreviewReaders
from service.settings import Settings

ANA, BEN = "a" * 32, "b" * 32


def _save_customers(rows: int = 60):
    table, _ = make_customers(rows, seed=1)
    return lambda path: table.to_csv(path, index=False)


def _upload(store, settings, owner: str, *, save=None, name: str = "customers.csv"):
    return usecases.store_upload(store, settings, owner=owner, filename=name,
                                 save=save or _save_customers())


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings.from_env({"CLEARSEG_INSTANCE_DIR": str(tmp_path / "instance"),
                              "CLEARSEG_SECRET_KEY": "k" * 40})


def test_an_upload_is_stored_unread_and_no_run_starts_on_it(store, settings):
    upload = _upload(store, settings, ANA)
    assert upload.preview_state == "pending" and upload.being_read and upload.preview is None
    with pytest.raises(usecases.UseCaseError) as refused:
        usecases.submit_run(store, owner=ANA, upload_id=upload.id, settings=settings,
                            options_for=lambda u: RunOptions(source=u.filename))
    assert refused.value.status == 409 and "still being read" in refused.value.message
    assert store.runs.of_owner(ANA) == []


def test_each_editor_has_one_file_read_at_a_time(store, settings):
    first, second = _upload(store, settings, ANA), _upload(store, settings, ANA)
    other = _upload(store, settings, BEN)
    claimed = {u.owner: u.id for u in (store.uploads.claim_preview("r1"),
                                       store.uploads.claim_preview("r2"))}
    assert set(claimed) == {ANA, BEN} and claimed[BEN] == other.id
    assert store.uploads.claim_preview("r1") is None          # ana's second waits for her first
    assert store.uploads.finish_preview(claimed[ANA], preview={"columns": []}, error=None,
                                        runner=store.uploads.get(claimed[ANA], owner=ANA)
                                        .preview_runner)
    rest = ({first.id, second.id} - {claimed[ANA]}).pop()
    assert store.uploads.claim_preview("r2").id == rest


def test_only_the_runner_holding_a_file_stores_its_preview(store, settings):
    upload = _upload(store, settings, ANA)
    assert store.uploads.claim_preview("dead").id == upload.id
    assert store.uploads.release_previews(stale_after=6.0) == 1   # "dead" never beat: given back
    assert store.uploads.claim_preview("alive").id == upload.id
    assert not store.uploads.finish_preview(upload.id, preview={"x": 1}, error=None, runner="dead")
    assert store.uploads.get(upload.id, owner=ANA).preview_state == "reading"
    assert store.uploads.release_previews(runner="alive") == 1    # a runner stopping
    assert store.uploads.get(upload.id, owner=ANA).preview_state == "pending"


def _read_all(readers: PreviewReaders) -> None:
    """Step the readers until nothing waits or is being read (each read is a child process)."""
    for _ in range(600):
        readers.step()
        if not readers.reading:
            return
        time.sleep(0.05)
    raise AssertionError("the previews were not read")


def test_the_runner_reads_files_and_stores_preview_or_message(sqlite_store, settings):
    good = _upload(sqlite_store, settings, ANA)
    bad = _upload(sqlite_store, settings, BEN, name="broken.xlsx",
                  save=lambda path: path.write_bytes(b"PK\x03\x04 not a workbook"))
    runner = Runner(sqlite_store, concurrency=2, settings=settings)
    _read_all(runner.previews)
    read = sqlite_store.uploads.get(good.id, owner=ANA)
    assert read.preview_state == "done" and read.error is None
    assert {c["name"] for c in read.preview["columns"]} >= {"customer_id", "annual_income"}
    failed = sqlite_store.uploads.get(bad.id, owner=BEN)
    assert failed.preview_state == "done" and failed.preview is None
    assert "'broken.xlsx'" in failed.error and "Traceback" not in failed.error
    run = usecases.submit_run(sqlite_store, owner=ANA, upload_id=good.id, settings=settings,
                              options_for=lambda u: RunOptions(source=u.filename))
    assert run.status == "queued"


@pytest.fixture
def app(settings):
    return create_app(settings, local=True)


@contextmanager
def session_of(app, owner: str):
    with app.server.test_request_context("/"):
        flask.session["uid"] = owner
        yield


def test_the_home_page_waits_for_the_file_then_shows_its_settings(app, settings):
    store = app.server.extensions["clearseg"]["store"]
    upload = _upload(store, settings, ANA)
    waiting = {"id": upload.id, "state": "pending"}
    with session_of(app, ANA):
        with pytest.raises(PreventUpdate):        # still waiting: nothing redrawn
            poll_upload(1, waiting)
        store.uploads.claim_preview("r1")
        assert page_ids.UPLOAD_READING in ids_of(poll_upload(2, waiting))   # now "Reading ..."
        usecases.read_upload(store, settings, store.uploads.get(upload.id, owner=ANA))
        shown = ids_of(poll_upload(3, {**waiting, "state": "reading"}))
    assert page_ids.UPLOAD_REF in shown and page_ids.UPLOAD_POLL not in shown
    with session_of(app, BEN):                     # another session learns nothing
        shown = poll_upload(4, waiting)
    assert page_ids.UPLOAD_REF not in ids_of(shown) and "not available" in str(shown)


def test_a_database_away_while_storing_does_not_read_the_file_again(sqlite_store, settings,
                                                                     monkeypatch):
    import sqlite3

    from sqlalchemy.exc import OperationalError

    upload = _upload(sqlite_store, settings, ANA)
    reads, finish = [], sqlite_store.uploads.finish_preview

    def safe_preview(path, **_kwargs):
        reads.append(path)
        return {"columns": []}, None

    def finish_once_away(*args, **kwargs):
        if len(reads) == 1 and not finish_once_away.failed:
            finish_once_away.failed = True
            raise OperationalError("UPDATE", {}, sqlite3.OperationalError("database is locked"))
        return finish(*args, **kwargs)
    finish_once_away.failed = False
    monkeypatch.setattr("service.usecases.safe_preview", safe_preview)
    monkeypatch.setattr("service.jobs.time.sleep", lambda _seconds: None)   # patiently's wait
    monkeypatch.setattr(sqlite_store.uploads, "finish_preview", finish_once_away)
    readers = PreviewReaders(sqlite_store, settings, "r1")
    readers.read(sqlite_store.uploads.claim_preview("r1"))
    assert finish_once_away.failed and len(reads) == 1
    assert sqlite_store.uploads.get(upload.id, owner=ANA).preview_state == "done"
