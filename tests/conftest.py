"""Shared fixtures: a seeded untidy customer table as a CSV file and a finished CLI run on it; each test
is marked with its layer (unit, integration, e2e, browser) from the folder it lives in."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from segmentation.cli import main as cli_main

TESTS = Path(__file__).resolve().parent
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))  # the shared helpers (servers, pg, engines, ...) import by name
from result_checks import (INVALID_RESULTS, checked_process_env,  # noqa: E402 (path)
                           invalid_in_processes, validated)
from seeded_runs import make_untidy  # noqa: E402

LAYERS = ("unit", "integration", "e2e", "browser")


def pytest_collection_modifyitems(config, items) -> None:
    """Mark every test with the layer named by its folder, so `-m unit` runs the fast layer alone."""
    for item in items:
        parts = Path(str(item.path)).resolve().relative_to(TESTS).parts
        if len(parts) > 1 and parts[0] in LAYERS:
            item.add_marker(getattr(pytest.mark, parts[0]))


@pytest.fixture(scope="session", autouse=True)
def results_follow_the_schema():
    """Every Result the suite writes (to_dict, hence to_json) is checked against the schema, here
    and in the servers, runners and jobs the tests start (tests/process_hooks/sitecustomize.py)."""
    from segmentation.result import RunResult

    saved, valid = {cls: cls.to_dict for cls in (RunResult,)}, set()
    for cls, to_dict in saved.items():
        cls.to_dict = validated(to_dict, valid)
    environ = dict(os.environ)
    os.environ.update(checked_process_env(environ))   # and in every process a test starts
    yield
    os.environ.clear()
    os.environ.update(environ)
    for cls, to_dict in saved.items():
        cls.to_dict = to_dict


@pytest.fixture(autouse=True)
def no_invalid_result(results_follow_the_schema):
    """Fail the test during (or for) which a result not matching the published schema was written
    (results of module and session fixtures fail the first test that uses them)."""
    yield
    found = [*INVALID_RESULTS, *invalid_in_processes()]   # this process's, the servers' and jobs'
    INVALID_RESULTS.clear()
    if found:
        pytest.fail("a result does not match docs/result.schema.json: " + "; ".join(found[:3]))


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
