"""Logging set-up for rule scripts and progress lines for long loops."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


class WarningCounter(logging.Handler):
    """Counts warnings so a stage can summarise them at its end."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


def setup(log_file: str | os.PathLike | None, level: int = logging.INFO) -> WarningCounter:
    """Send the package's log records to ``log_file`` (appending) and count warnings."""
    root = logging.getLogger()
    root.setLevel(level)
    for h in list(root.handlers):
        root.removeHandler(h)
    if log_file is not None:
        Path(log_file).parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.FileHandler(log_file, mode="a")
    else:
        handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(FORMAT))
    root.addHandler(handler)
    counter = WarningCounter()
    root.addHandler(counter)
    return counter


class Progress:
    """'done / total, rate, ETA' lines, at most one every ``every`` seconds (plus the last)."""

    def __init__(self, total: int, what: str, logger: logging.Logger, *, unit: str = "",
                 every: float = 10.0) -> None:
        self.total, self.what, self.log, self.unit, self.every = total, what, logger, unit, every
        self.start = self.last = time.perf_counter()
        self.done = 0

    def update(self, done: int) -> None:
        self.done = done
        now = time.perf_counter()
        if now - self.last < self.every and done < self.total:
            return
        self.last = now
        elapsed = now - self.start
        rate = done / elapsed if elapsed > 0 else float("nan")
        eta = (self.total - done) / rate if rate > 0 else float("nan")
        self.log.info("%s: %d / %d %s (%.1f%%), %.3g %s/s, ETA %.0f s", self.what, done,
                      self.total, self.unit, 100.0 * done / max(self.total, 1), rate,
                      self.unit or "items", eta)
