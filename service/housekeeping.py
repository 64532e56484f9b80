"""Housekeeping the runner does beside its runs: sweeping upload folders a dead worker left."""
from __future__ import annotations

import logging
import threading
import time

from .settings import Settings
from .store import RunStore, database_unavailable
from .usecases import sweep_orphan_uploads

logger = logging.getLogger(__name__)
SWEEP_EVERY = 600.0


def sweep_once(store: RunStore, settings: Settings) -> list[str]:
    """One sweep of orphan upload folders; a database or disk error is logged, never raised."""
    try:
        removed = sweep_orphan_uploads(store, settings, now=time.time())
    except Exception as exc:  # noqa: BLE001  (the runner keeps running; the next sweep retries)
        if not database_unavailable(exc):
            logger.error("sweep of orphan uploads: %s: %s", type(exc).__name__, exc)
        return []
    if removed:
        logger.warning("removed %d orphan upload folder(s): %s", len(removed), ", ".join(removed))
    return removed


def start_sweeper(store: RunStore, settings: Settings, stop: threading.Event,
                  *, every: float = SWEEP_EVERY) -> threading.Thread:
    """Sweep now and then every `every` seconds until `stop` is set (a daemon thread)."""
    def loop() -> None:
        """Sweep, then wait; a set `stop` ends the wait and the thread."""
        while True:
            sweep_once(store, settings)
            if stop.wait(every):
                return

    thread = threading.Thread(target=loop, name="upload-sweeper", daemon=True)
    thread.start()
    return thread
