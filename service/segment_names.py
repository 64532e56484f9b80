"""Segment names a run's owner chose, kept beside the run (table `segment_names`).

The stored Result keeps the names the run made; these override them wherever the run is shown or
exported. Only the run's owner renames, checked here against the runs table in the same
transaction.
"""
from __future__ import annotations

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError

from .schema import runs, segment_names
from .store import RunStore, now_iso


def names_of(store: RunStore, run_id: str) -> dict[int, str]:
    """{segment id: name} of every segment the owner renamed (empty when none was)."""
    col = segment_names.c
    with store.reading() as con:
        rows = con.execute(select(col.segment_id, col.name).where(col.run_id == str(run_id)))
        return {int(segment): str(name) for segment, name in rows}


def rename(store: RunStore, run_id: str, *, owner: str, segment_id: int, name: str) -> bool:
    """Store a checked name for one segment of the owner's run; False when the run is not theirs.

    Two renames of one segment at the same moment (two tabs, two workers): the later one wins.
    """
    for _ in range(3):
        try:
            return _replace(store, run_id, owner=owner, segment_id=segment_id, name=name)
        except IntegrityError:  # the other rename inserted the row between our delete and insert
            continue
    return False


def _replace(store: RunStore, run_id: str, *, owner: str, segment_id: int, name: str) -> bool:
    col = segment_names.c
    with store.engine.begin() as con:
        mine = con.execute(select(runs.c.id).where(runs.c.id == str(run_id),
                                                   runs.c.owner == owner)).first()
        if mine is None:
            return False
        con.execute(delete(segment_names).where(col.run_id == str(run_id),
                                                col.segment_id == int(segment_id)))
        con.execute(insert(segment_names).values(run_id=str(run_id), segment_id=int(segment_id),
                                                 name=name, renamed_at=now_iso()))
    return True
