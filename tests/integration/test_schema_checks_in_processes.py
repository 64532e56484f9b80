"""The schema check reaches the processes tests start (servers, runners and the jobs they spawn):
a result written there that does not match docs/result.schema.json is reported to this run."""
from __future__ import annotations

import os
import subprocess
import sys

import result_checks
from servers import ROOT

WRITE = """
from segmentation.result import RunResult
result = RunResult.from_dict({"dataset": {}, "k_selection": {}, "clustering": {},
                              "explanation": {}, "segments": [], "schema_version": 2})
result.k_selection.structure = STRUCTURE   # set after validation: only the schema sees it
result.to_json()
"""


def _write_in_a_child(structure: str) -> None:
    code = f"STRUCTURE = {structure!r}\n" + WRITE
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=dict(os.environ), check=True,
                   timeout=120)


def test_an_invalid_result_written_by_a_started_process_is_reported():
    assert result_checks.invalid_in_processes() == []
    _write_in_a_child("huge")
    found = result_checks.invalid_in_processes()
    assert len(found) == 1 and "k_selection/structure: 'huge'" in found[0], found
    assert result_checks.invalid_in_processes() == []       # reported once, then cleared


def test_a_valid_result_written_by_a_started_process_reports_nothing():
    _write_in_a_child("strong")
    assert result_checks.invalid_in_processes() == []
