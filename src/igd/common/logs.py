"""Logging set-up for rule scripts and progress lines for long loops."""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

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
    if log_file is not None:
        sys.excepthook = _log_uncaught
    return counter


def _log_uncaught(exc_type, exc, tb) -> None:
    """Put an uncaught exception (e.g. LAMMPS' own error message) into the rule's log."""
    if not issubclass(exc_type, KeyboardInterrupt):
        logging.getLogger("igd").critical("%s: %s", exc_type.__name__, exc,
                                          exc_info=(exc_type, exc, tb))
    sys.__excepthook__(exc_type, exc, tb)


def count_warnings(log_dir: str | os.PathLike) -> dict[str, dict[str, Any]]:
    """Warnings and errors per log file under ``log_dir`` (recursively, ``*.log``).

    A line counts as a warning if it holds ``WARNING`` (our records and LAMMPS'
    ``WARNING: …`` lines), as an error if it holds ``ERROR`` or ``CRITICAL``. Returns
    {log path relative to ``log_dir`` without ``.log``: {"warnings", "errors", "first",
    "first_error"}} for every log, ``first``/``first_error`` being the first warning/error
    line (or None).
    """
    log_dir = Path(log_dir)
    out: dict[str, dict[str, Any]] = {}
    for path in sorted(log_dir.rglob("*.log")):
        warnings = errors = 0
        first = first_error = None
        with open(path, errors="replace") as fh:
            for line in fh:
                if "WARNING" in line:
                    warnings += 1
                    if first is None:
                        first = line.strip()[:200]
                elif "ERROR" in line or "CRITICAL" in line:
                    errors += 1
                    if first_error is None:
                        first_error = line.strip()[:200]
        out[path.relative_to(log_dir).with_suffix("").as_posix()] = {
            "warnings": warnings, "errors": errors, "first": first, "first_error": first_error}
    return out


def summarise(log_dir: str | os.PathLike = "results/logs",
              out_file: str | os.PathLike | None = "warnings.txt") -> str:
    """Summarise the warnings of a run: a short text, also written to ``log_dir/out_file``.

    Called by the Snakefile's ``onsuccess``/``onerror`` handlers. The totals, then one
    line per log with warnings or errors (counts, first warning, first error).
    """
    counts = count_warnings(log_dir)
    noisy = {k: v for k, v in counts.items() if v["warnings"] or v["errors"]}
    n_warn = sum(v["warnings"] for v in counts.values())
    n_err = sum(v["errors"] for v in counts.values())
    lines = [f"{n_warn} warning(s) and {n_err} error line(s) in {len(noisy)} of "
             f"{len(counts)} rule log(s) under {log_dir}"]
    for name, v in noisy.items():
        lines.append(f"  {name}: {v['warnings']} warning(s), {v['errors']} error(s)"
                     + (f"; first: {v['first']}" if v["first"] else "")
                     + (f"; first error: {v['first_error']}" if v["first_error"] else ""))
    text = "\n".join(lines) + "\n"
    if out_file is not None and Path(log_dir).is_dir():
        from igd.common.io import atomic_path  # noqa: PLC0415

        with atomic_path(Path(log_dir) / out_file) as tmp:
            tmp.write_text(text)
    return text


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
