"""Preview an upload safely: the core's build_preview run in a child under memory and time limits.

A hostile file can then only exhaust or crash that child, never the web worker. One editor makes
one preview at a time (`preview_slot`): a second upload while the first is still being parsed is
answered at once instead of tying up another worker thread and another core, and the parse runs
at a lower CPU priority than the web workers.
"""
from __future__ import annotations

import fcntl
import hashlib
import logging
import os
from contextlib import contextmanager
from pathlib import Path

from segmentation.errors import InputError
from segmentation.preview import build_preview

from .sandbox import ChildError, LimitError, limit_message, run_limited
from .settings import Settings

logger = logging.getLogger(__name__)
PREVIEWS_PER_USER = 1
PREVIEW_NICENESS = 10   # a parse gets the cores pages and /healthz leave free
SLOT_FOLDER = "preview-slots"
BUSY_MESSAGE = ("A preview of another file of yours is still being made: wait until it is shown, "
                "then upload this one.")


@contextmanager
def preview_slot(owner: str, *, instance_dir: Path, per_user: int = PREVIEWS_PER_USER):
    """Yields True while holding one of `owner`'s preview slots, or False at once when all are
    taken. A slot is an exclusive lock on a file: it holds across processes and is released when
    its holder ends, even by a crash."""
    folder = Path(instance_dir) / SLOT_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    name = hashlib.sha256(str(owner).encode()).hexdigest()[:24]
    for index in range(per_user):
        fd = os.open(folder / f"{name}-{index}", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        try:
            yield True
        finally:
            os.close(fd)
        return
    yield False


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
