"""The schema check every result the suite writes goes through (wired in by tests/conftest.py);
its own module, so tests reach INVALID_RESULTS by a name no other conftest shadows."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

INVALID_RESULTS: list[str] = []   # schema errors of results written during the current test
HOOKS = Path(__file__).resolve().parent / "process_hooks"   # sitecustomize for started processes
LOG_VARIABLE = "TESTS_RESULT_SCHEMA_LOG"


def process_log() -> Path:
    """Where the processes this pytest process starts (servers, runners, their jobs) report the
    results they wrote that do not match the schema."""
    return Path(tempfile.gettempdir()) / f"clearseg-tests-schema-{os.getpid()}.log"


def checked_process_env(env: dict) -> dict:
    """`env` for a started process whose results are schema-checked (process_hooks)."""
    paths = [str(HOOKS), *filter(None, [env.get("PYTHONPATH")])]
    return {**env, "PYTHONPATH": os.pathsep.join(paths), LOG_VARIABLE: str(process_log())}


def invalid_in_processes() -> list[str]:
    """What started processes reported since the last call (the report is then cleared)."""
    log = process_log()
    if not log.exists():
        return []
    lines = log.read_text(encoding="utf-8").splitlines()
    log.unlink()
    return lines


def validated(to_dict, valid: set):
    """`to_dict` that also checks what it returns against docs/result.schema.json (a result
    already found valid, by its digest in `valid`, is not checked again)."""
    import hashlib
    import json

    import jsonschema
    from segmentation.result_schema import PUBLISHED

    validator = jsonschema.Draft202012Validator(json.loads(PUBLISHED.read_text(encoding="utf-8")))

    def checked(self):
        data = to_dict(self)
        digest = hashlib.blake2b(json.dumps(data, sort_keys=True).encode()).digest()
        if digest in valid:
            return data
        error = jsonschema.exceptions.best_match(validator.iter_errors(data))
        if error is None:
            valid.add(digest)
        else:
            where = "/".join(map(str, error.absolute_path)) or "(top level)"
            INVALID_RESULTS.append(f"{where}: {error.message[:300]}")
        return data
    return checked
