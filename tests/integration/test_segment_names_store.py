"""Segment names in the store, on a real SQLite file and a real PostgreSQL server: the owner's
names are kept per run and segment, a rename replaces the last one, and nobody else renames."""
from __future__ import annotations

import threading

from service.segment_names import names_of, rename
from service.store import RunStore


def _run(store: RunStore, owner: str) -> str:
    return store.runs.submit(owner=owner, title="c.csv", options={"method": "kmeans"},
                             upload_id=None)


def test_names_are_kept_per_run_and_segment_and_a_rename_replaces_the_last(store):
    first, second = _run(store, "alice"), _run(store, "alice")
    assert names_of(store, first) == {}
    assert rename(store, first, owner="alice", segment_id=2, name="Big spenders")
    assert rename(store, first, owner="alice", segment_id=1, name="Newcomers")
    assert rename(store, first, owner="alice", segment_id=2, name="Loyal big spenders")
    assert names_of(store, first) == {1: "Newcomers", 2: "Loyal big spenders"}
    assert names_of(store, second) == {}


def test_nobody_but_the_owner_renames(store):
    run_id = _run(store, "alice")
    assert not rename(store, run_id, owner="bob", segment_id=1, name="Mine now")
    assert not rename(store, "0" * 32, owner="alice", segment_id=1, name="No such run")
    assert names_of(store, run_id) == {}


def test_renames_at_the_same_moment_leave_one_name(store):
    run_id = _run(store, "alice")
    names = [f"Name {i}" for i in range(6)]
    threads = [threading.Thread(target=rename, args=(store, run_id),
                                kwargs={"owner": "alice", "segment_id": 1, "name": n})
               for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert list(names_of(store, run_id)) == [1] and names_of(store, run_id)[1] in names
