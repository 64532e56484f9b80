"""Loaded at start-up by every Python process the e2e and browser tests start (their PYTHONPATH
holds this folder, see servers.server_env): once `segmentation.result` is imported there, every
result the process writes is checked against docs/result.schema.json, and a mismatch is appended
to the file $TESTS_RESULT_SCHEMA_LOG, which the test run reads after each test.

The check is installed only when that module is imported (a job), so the processes that never
write a result (web workers' imports aside, previews) pay nothing for it.
"""
from __future__ import annotations

import importlib.abc
import importlib.util
import os
import sys

LOG = os.environ.get("TESTS_RESULT_SCHEMA_LOG")
TARGET = "segmentation.result"


def _install(module) -> None:
    """Wrap RunResult.to_dict with the suite's schema check, reporting to LOG."""
    sys.path.append(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))   # tests/
    from result_checks import INVALID_RESULTS, validated

    to_dict = validated(module.RunResult.to_dict, set())

    def checked(self):
        data = to_dict(self)
        if INVALID_RESULTS:
            with open(LOG, "a", encoding="utf-8") as log:
                log.write(f"pid {os.getpid()}: " + "; ".join(INVALID_RESULTS) + "\n")
            INVALID_RESULTS.clear()
        return data

    module.RunResult.to_dict = checked


class _AfterImport(importlib.abc.MetaPathFinder):
    """Finds TARGET with the normal machinery, then installs the check once it is executed."""

    def find_spec(self, name, path=None, target=None):
        if name != TARGET:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        loader = spec.loader
        run = loader.exec_module

        def exec_module(module):
            run(module)
            _install(module)

        loader.exec_module = exec_module
        return spec


if LOG:
    sys.meta_path.insert(0, _AfterImport())
