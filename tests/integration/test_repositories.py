"""The repositories on SQLite and PostgreSQL: frozen records named like the columns, deletes that take
every row of a run together, upload sizes for the quota, and the refusals that keep active runs whole."""
from __future__ import annotations

from dataclasses import FrozenInstanceError, fields

import pytest
from sqlalchemy import func, select

from service.repositories import RunRecord, ShareRecord, UploadRecord
from service.schema import artifacts, runs, segment_names, shares, uploads
from service.segment_names import rename

OWNER, OTHER = "alice", "bob"


def _upload(store, owner=OWNER, size=10) -> str:
    return store.uploads.add(owner=owner, filename="c.csv", path="/nowhere", size_bytes=size,
                             preview={"columns": []}, error=None).id


def _count(store, table, **where) -> int:
    query = select(func.count()).select_from(table)
    for name, value in where.items():
        query = query.where(table.c[name] == value)
    with store.reading() as con:
        return con.execute(query).scalar_one()


def test_records_are_frozen_and_named_like_their_columns(store, finished_run):
    upload_id = _upload(store)
    run_id = finished_run(store, owner=OWNER, upload_id=upload_id)
    token, share = store.shares.add(run_id)
    run, upload = store.runs.get(run_id), store.uploads.get(upload_id, owner=OWNER)
    assert {f.name for f in fields(RunRecord)} == {c.name for c in runs.c} - {"result"}
    assert {f.name for f in fields(UploadRecord)} == {c.name for c in uploads.c}
    assert {f.name for f in fields(ShareRecord)} == {c.name for c in shares.c} - {"token_hash"}
    assert (run.status, run.upload_id, run.cancel_requested) == ("done", upload_id, False)
    assert upload.preview == {"columns": []} and store.shares.of_run(run_id) == [share]
    assert store.shares.run_id_of(token) == run_id
    with pytest.raises(FrozenInstanceError):
        upload.size_bytes = 0
    with pytest.raises(TypeError):   # fields are attributes only, not dict keys
        run["status"]
    assert not hasattr(run, "result") and not hasattr(run, "get")


def test_deleting_a_run_takes_its_files_links_and_names_in_one_go(store, finished_run):
    run_id = finished_run(store, owner=OWNER)
    store.shares.add(run_id)
    assert rename(store, run_id, owner=OWNER, segment_id=1, name="Big spenders")
    assert store.runs.delete(run_id, owner=OTHER) is False
    assert store.runs.delete(run_id, owner=OWNER) is True
    assert store.runs.get(run_id) is None
    for table in (artifacts, shares, segment_names):
        assert _count(store, table, run_id=run_id) == 0


def test_an_active_run_is_not_deleted(store):
    run_id = store.runs.submit(owner=OWNER, title="t", options={}, upload_id=None)
    assert store.runs.delete(run_id, owner=OWNER) is False
    store.queue.claim("r1")
    assert store.runs.delete(run_id, owner=OWNER) is False
    assert store.runs.get(run_id).status == "running"


def test_an_upload_is_deleted_by_its_owner_once_no_active_run_reads_it(store, finished_run):
    upload_id = _upload(store)
    done = finished_run(store, owner=OWNER, upload_id=upload_id)
    queued = store.runs.submit(owner=OWNER, title="t", options={}, upload_id=upload_id)
    assert store.uploads.active_runs(upload_id) == 1
    assert store.uploads.delete(upload_id, owner=OWNER) is False
    store.queue.request_cancel(queued, owner=OWNER)
    assert store.uploads.delete(upload_id, owner=OTHER) is False
    assert store.runs.get(done).upload_id == upload_id
    assert store.uploads.delete(upload_id, owner=OWNER) is True
    assert store.uploads.get(upload_id, owner=OWNER) is None
    assert store.runs.get(done).upload_id is None and store.runs.get(done).status == "done"


def test_used_bytes_counts_the_owners_uploads_only(store):
    assert store.uploads.used_bytes(OWNER) == (0, 0)
    first, _ = _upload(store, size=100), _upload(store, size=23)
    _upload(store, owner=OTHER, size=5000)
    assert store.uploads.used_bytes(OWNER) == (123, 2)
    assert first in store.uploads.ids() and len(store.uploads.ids()) == 3
