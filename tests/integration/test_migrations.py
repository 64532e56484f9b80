"""Schema migrations (Alembic): the initial revision is the schema, old create_all databases are
adopted, and several processes starting at once migrate a database exactly once."""
from __future__ import annotations

import subprocess
import sys

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, insert, inspect, select

from service.cli import main as service_main
from service.migrate import current, head
from service.schema import metadata, runs
from service.store import RunStore
from servers import ROOT


def sqlite_url(tmp_path, name: str = "m.db") -> str:
    return f"sqlite:///{tmp_path / name}"


def test_a_new_database_is_migrated_to_the_schema_in_schema_py(tmp_path):
    store = RunStore(sqlite_url(tmp_path))
    assert store.create_schema() is True
    with store.reading() as con:
        assert current(con) == head()
        assert compare_metadata(MigrationContext.configure(con), metadata) == []
    assert store.create_schema() is False


def test_a_database_made_by_create_all_is_stamped_and_keeps_its_rows(tmp_path):
    url = sqlite_url(tmp_path, "old.db")
    engine = create_engine(url)
    metadata.create_all(engine)
    with engine.begin() as con:
        con.execute(insert(runs).values(id="r" * 32, owner="alice", title="old run", options="{}",
                                        status="done", created_at="2026-01-01T00:00:00"))
        con.exec_driver_sql("ALTER TABLE runs DROP COLUMN visibility")  # an older create_all
    engine.dispose()
    store = RunStore(url)
    assert store.create_schema() is True
    with store.reading() as con:
        assert current(con) == head()
        assert compare_metadata(MigrationContext.configure(con), metadata) == []
    old = store.runs.get("r" * 32)
    assert (old.title, old.visibility) == ("old run", "private")


def test_the_migrate_command_reports_what_it_did(tmp_path, capsys):
    url = sqlite_url(tmp_path)
    assert service_main(["migrate", "--database", url]) == 0
    assert capsys.readouterr().err.strip() == f"database upgraded to revision {head()}"
    assert service_main(["migrate", "--database", url]) == 0
    assert capsys.readouterr().err.strip() == f"database already at revision {head()}"


def _migrate_at_once(url: str, *, processes: int) -> list[str]:
    """Start `python -m service migrate` several times at once; their stderr lines."""
    procs = [subprocess.Popen([sys.executable, "-m", "service", "migrate", "--database", url],
                              cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              text=True) for _ in range(processes)]
    lines = []
    for proc in procs:
        _, err = proc.communicate(timeout=240)
        assert proc.returncode == 0, err
        lines.append(err.strip())
    return lines


def test_processes_starting_at_once_migrate_a_sqlite_database_exactly_once(tmp_path):
    url = sqlite_url(tmp_path, "race.db")
    lines = _migrate_at_once(url, processes=4)
    assert sorted(lines) == sorted([f"database upgraded to revision {head()}"]
                                   + [f"database already at revision {head()}"] * 3)
    engine = create_engine(url)
    assert set(inspect(engine).get_table_names()) == set(metadata.tables) | {"alembic_version"}


def test_processes_starting_at_once_migrate_a_postgresql_database_exactly_once(postgres):
    url = postgres.fresh_database("migrate_race")
    lines = _migrate_at_once(url, processes=4)
    assert lines.count(f"database upgraded to revision {head()}") == 1
    store = RunStore(url)
    with store.reading() as con:
        assert current(con) == head()
        assert compare_metadata(MigrationContext.configure(con), metadata) == []


def test_a_postgresql_database_made_by_create_all_is_adopted(postgres):
    url = postgres.fresh_database("migrate_adopt")
    engine = create_engine(url)
    metadata.create_all(engine)
    engine.dispose()
    store = RunStore(url)
    assert store.create_schema() is True
    with store.reading() as con:
        assert con.execute(select(runs.c.id)).all() == []
        versions = con.exec_driver_sql("SELECT version_num FROM alembic_version").scalars().all()
    assert versions == [head()]
