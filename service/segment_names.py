"""Segment names a run's owner chose, kept beside the run (table `segment_names`).

The stored Result keeps the names the run made; these override them wherever the run is shown or
exported. Only the run's owner renames, checked here against the runs table in the same
transaction.
"""
from __future__ import annotations

from sqlalchemy import delete, insert, select

from .schema import runs, segment_names
from .store import RunStore, now_iso


def names_of(store: RunStore, run_id: str) -> dict[int, str]:
    """{segment id: name} of every segment the owner renamed (empty when none was)."""
    col = segment_names.c
    with store.reading() as con:
        rows = con.execute(select(col.segment_id, col.name).where(col.run_id == str(run_id)))
        return {int(segment): str(name) for segment, name in rows}


def rename(store: RunStore, run_id: str, *, owner: str, segment_id: int, name: str) -> bool:
    """Store a checked name for one segment of the owner's run; False when the run is not theirs."""
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
