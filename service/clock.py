"""The clock the service reads for expiry and throttling: a callable returning the time now (Unix
seconds), `time.time` by default, so tests pass a fake clock and move it instead of sleeping."""
from __future__ import annotations

import time
from typing import Callable

Clock = Callable[[], float]
system_clock: Clock = time.time


class FakeClock:
    """A clock that stands still until moved: `clock.advance(seconds)`."""

    def __init__(self, start: float = 1_800_000_000.0):
        self.now = float(start)

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += float(seconds)
