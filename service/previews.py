"""Preview an upload safely: the core's build_preview run in a child under memory and time limits.

A hostile file can then only exhaust or crash that child, never the runner that asked. The parse
runs at a lower CPU priority than the web workers (the runner reads uploads: service.preview_jobs).
"""
from __future__ import annotations

import logging
import os
from pathlib import Path

from segmentation.errors import InputError
from segmentation.preview import build_preview

from .sandbox import ChildError, LimitError, limit_message, run_limited
from .settings import Settings

logger = logging.getLogger(__name__)
PREVIEW_NICENESS = 10   # a parse gets the cores pages and /healthz leave free


def niced_preview(path: str, **kwargs) -> dict:
    """build_preview at a lower CPU priority (it runs in the sandboxed child): a large workbook
    being parsed slows other people's pages as little as possible."""
    os.nice(PREVIEW_NICENESS)
    return build_preview(path, **kwargs)


def clean_upload_name(filename) -> str:
    """An upload's name as stored and shown: no control character (PostgreSQL refuses a NUL in
    text; a line break would split a message), at most 255 characters."""
    return "".join(ch for ch in str(filename) if ch.isprintable())[:255].strip()


def parse_limits(settings: Settings | None = None) -> tuple[int, float]:
    """(memory in bytes, seconds) allowed for parsing one upload (settings: from the environment
    when not given)."""
    return (settings or Settings.from_env()).parse_limits


def safe_preview(path: str | Path, *, name: str | None = None,
                 settings: Settings | None = None) -> tuple[dict | None, str | None]:
    """(preview, None) or (None, the message saying why the file cannot be used).

    The file is parsed in a child process under the settings' parse limits; nothing in it can stop
    the caller. `name` is the upload's original name, used in the messages instead of the stored
    file's. Without `settings`, they are read from the environment.
    """
    settings = settings or Settings.from_env()
    memory_bytes, seconds = settings.parse_limits
    name = name or Path(path).name
    try:
        preview = run_limited(niced_preview, str(path),
                              xlsx_max_unpacked_mb=settings.xlsx_max_unpacked_mb,
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
