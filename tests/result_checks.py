"""The schema check every result the suite writes goes through (wired in by tests/conftest.py);
its own module, so tests reach INVALID_RESULTS by a name no other conftest shadows."""
from __future__ import annotations

INVALID_RESULTS: list[str] = []   # schema errors of results written during the current test


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
