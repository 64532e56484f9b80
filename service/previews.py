"""Preview an upload safely: the core's build_preview run in a child under memory and time limits.

A hostile file can then only exhaust or crash that child, never the web worker.
"""
from __future__ import annotations

import logging
from pathlib import Path

from segmentation.errors import InputError
from segmentation.preview import build_preview
from segmentation.readers import XLSX_MAX_UNPACKED_MB

from .sandbox import ChildError, LimitError, env_limit, limit_message, run_limited

PARSE_MEMORY_MB = 1536    # env CLEARSEG_PARSE_MEMORY_MB
PARSE_SECONDS = 60        # env CLEARSEG_PARSE_SECONDS

logger = logging.getLogger(__name__)


def parse_limits() -> tuple[int, float]:
    """(memory in bytes, seconds) allowed for parsing one upload, from the environment or defaults."""
    megabytes = env_limit("CLEARSEG_PARSE_MEMORY_MB", default=PARSE_MEMORY_MB)
    return int(megabytes * 2**20), env_limit("CLEARSEG_PARSE_SECONDS", default=PARSE_SECONDS)


def xlsx_limit_mb() -> float:
    """How much a workbook may unpack to, in MB: $CLEARSEG_XLSX_MAX_UNPACKED_MB or the default."""
    return env_limit("CLEARSEG_XLSX_MAX_UNPACKED_MB", default=XLSX_MAX_UNPACKED_MB)


def safe_preview(path: str | Path, *, name: str | None = None) -> tuple[dict | None, str | None]:
    """(preview, None) or (None, the message saying why the file cannot be used).

    The file is parsed in a child process under parse_limits(); nothing in it can stop the caller.
    `name` is the upload's original name, used in the messages instead of the stored file's.
    """
    memory_bytes, seconds = parse_limits()
    name = name or Path(path).name
    try:
        preview = run_limited(build_preview, str(path), xlsx_max_unpacked_mb=xlsx_limit_mb(),
                              name=name, memory_bytes=memory_bytes, seconds=seconds)
        return preview, None
    except LimitError as exc:
        logger.warning("preview of %s stopped by the limits: %s", path, exc.reason)
        return None, (limit_message(f"'{name}'", memory_bytes=memory_bytes, seconds=seconds)
                      + "; check the file, or upload a smaller extract")
    except InputError as exc:
        return None, str(exc)
    except ChildError as exc:
        logger.error("preview of %s failed: %s\n%s", path, exc, exc.child_traceback)
        return None, (f"'{name}' could not be previewed ({exc.type_name}): check that it is a CSV, "
                      "XLSX or Parquet table, or export it again")
