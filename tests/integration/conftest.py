"""Fixtures for the integration layer: a PostgreSQL server per module and a run store on both engines
(modules that need another store define their own `store`)."""
from __future__ import annotations

import pytest

from service.store import RunStore


@pytest.fixture(scope="module")
def postgres():
    """A throwaway PostgreSQL server per test module: a machine without one fails, it does not skip."""
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
        name = "t_" + request.node.name.split("[")[0][-40:].lower()
        url = request.getfixturevalue("postgres").fresh_database(name)
    s = RunStore(url)
    s.create_schema()
    yield s
    s.engine.dispose()
