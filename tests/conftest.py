"""Shared fixtures: a seeded untidy customer table as a CSV file and a finished CLI run on it; each test
is marked with its layer (unit, integration, e2e, browser) from the folder it lives in."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from segmentation.cli import main as cli_main

TESTS = Path(__file__).resolve().parent
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))  # the shared helpers (servers, pg, engines, ...) import by name
from seeded_runs import make_untidy  # noqa: E402 (needs the path above)

LAYERS = ("unit", "integration", "e2e", "browser")


def pytest_collection_modifyitems(config, items) -> None:
    """Mark every test with the layer named by its folder, so `-m unit` runs the fast layer alone."""
    for item in items:
        parts = Path(str(item.path)).resolve().relative_to(TESTS).parts
        if len(parts) > 1 and parts[0] in LAYERS:
            item.add_marker(getattr(pytest.mark, parts[0]))


@pytest.fixture(scope="session")
def untidy_csv(tmp_path_factory) -> Path:
    table, _ = make_untidy()
    path = tmp_path_factory.mktemp("data") / "customers.csv"
    table.to_csv(path, index=False)
    return path


@pytest.fixture(scope="session")
def untidy_run(untidy_csv, tmp_path_factory) -> Path:
    """A finished CLI run on the untidy table (k fixed at 3): its output folder."""
    out = tmp_path_factory.mktemp("run")
    code = cli_main(["run", str(untidy_csv), "--out", str(out), "--k", "3", "--quiet"])
    assert code == 0
    return out
