"""Fixtures for the integration layer: one PostgreSQL server for the layer and a run store on both
engines (modules that need another store define their own `store`)."""
from __future__ import annotations

import pytest

from service.store import RunStore


@pytest.fixture(scope="session")
def postgres():
    """A throwaway PostgreSQL server shared by the layer (each test takes a fresh database of its
    own): a machine without one fails, it does not skip."""
    from pg import PostgresServer
    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path) -> RunStore:
    """The same tests against a real SQLite file and a real PostgreSQL server."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.db'}"
    else:
        module = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")[:12]
        name = f"t_{module}_" + request.node.name.split("[")[0][-40:].lower()
        url = request.getfixturevalue("postgres").fresh_database(name)
    s = RunStore(url)
    s.create_schema()
    yield s
    s.engine.dispose()


@pytest.fixture
def sqlite_store(tmp_path) -> RunStore:
    """A run store on a fresh SQLite file of this test (cheap: for use-case and callback tests that
    need no second engine); fill it through its repositories, not raw SQL."""
    s = RunStore(f"sqlite:///{tmp_path / 'store.db'}")
    s.create_schema()
    yield s
    s.engine.dispose()


def _finished_run(store: RunStore, *, owner: str, upload_id: str | None = None,
                  status: str = "done") -> str:
    """A run of owner brought to `status` (done, failed or cancelled) the way a runner would:
    submitted, claimed, then finished or ended. The store must hold no other queued run."""
    run_id = store.runs.submit(owner=owner, title="c.csv", options={"method": "kmeans"},
                               upload_id=upload_id)
    assert store.queue.claim("test-runner").id == run_id
    if status == "done":
        assert store.queue.finish(run_id, result_json="{}", files={"rules.sql": b"SELECT 1"},
                                  message="done")
    else:
        assert store.queue.fail(run_id, "stopped", status=status)
    return run_id


@pytest.fixture
def finished_run():
    """`finished_run(store, owner=..., upload_id=..., status=...)`: see _finished_run."""
    return _finished_run
