"""The session's smoke run, SIGKILLed inside a long rule and resumed (``conftest.smoke_run``).

One run serves both: the end-to-end tests read its finished results, ``test_resume`` checks
what the kill left and what the resume redid, and ``test_slurm`` compares its tables with
the (uninterrupted) run through SLURM: the determinism check, now across a kill as well.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pyarrow.parquet as pq

from igd.common.datafile import read_lammps_data

from conftest import SNAKEMAKE, run_snakemake, snakemake_env

SMOKE = ("--cores", "2", "--configfile", "config/smoke.yaml")
LONG_RULES = ("artn_", "aqs_")        # log-name prefixes of the long rules (ARTn chunk, AQS)


def outputs(root: Path) -> dict[str, float]:
    """Result files (not logs, benchmarks or hidden temp files) → mtime (ns)."""
    out = {}
    for p in (root / "results").rglob("*"):
        rel = p.relative_to(root)
        if (p.is_file() and rel.parts[1] not in ("logs", "benchmarks")
                and not p.name.startswith(".")):
            out[str(rel)] = p.stat().st_mtime_ns
    return out


def incomplete(root: Path) -> set[str]:
    """Output paths Snakemake has marked incomplete (``.snakemake/incomplete`` records)."""
    base = root / ".snakemake" / "incomplete"
    out = set()
    for p in base.rglob("*"):
        if not p.is_file() or p.name == "migration_underway":
            continue
        parts = p.relative_to(base).parts
        b64 = "".join(s.lstrip("@") for s in parts)
        try:
            name = base64.urlsafe_b64decode(b64).decode()
        except (ValueError, UnicodeDecodeError):
            continue
        name = os.path.relpath(name, root) if os.path.isabs(name) else name
        out.add(name)
    return out


def running_long_job(root: Path) -> str | None:
    """A long job that has started (its log exists) and not finished (no benchmark yet)."""
    logs = root / "results" / "logs"
    if not logs.is_dir():
        return None
    for log in sorted(logs.glob("s*/*.log")):
        if (log.name.startswith(LONG_RULES) and log.stem != "artn_gather"
                and log.stat().st_size > 0):
            bench = root / "results" / "benchmarks" / log.parent.name / f"{log.stem}.tsv"
            if not bench.exists():
                return f"{log.parent.name}/{log.stem}"
    return None


def alive_in_group(pgid: int) -> list[int]:
    """Live (non-zombie) processes of process group ``pgid`` (Linux /proc)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            out.append(int(stat.parent.name))
    return out


def assert_readable(root: Path) -> None:
    """Every result file at its final path is complete (atomic writes)."""
    for p in (root / "results").rglob("*"):
        if not p.is_file() or p.name.startswith("."):
            continue
        if p.suffix == ".parquet":
            pq.read_table(p)                                  # raises on a truncated file
        elif p.suffix == ".data":
            assert read_lammps_data(p).n_atoms > 0
        elif p.suffix == ".json":
            json.loads(p.read_text())


def kill_and_resume(work: Path) -> dict:
    """Run the smoke workflow in ``work``, SIGKILL it (snakemake and every job) once a long
    job has run for 3 s, record what the kill left, then unlock and resume it to the end.
    Returns work, job (``sample/rule_wildcard`` killed, None if none was seen), kill_time
    (ns), before (result path → mtime at the kill), incomplete (Snakemake's records) and
    readable (None, or the error of a half-written file found at a final path)."""
    proc = subprocess.Popen([*SNAKEMAKE, *SMOKE], cwd=work, env=snakemake_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    job = None
    try:
        deadline = time.monotonic() + 900
        while time.monotonic() < deadline and proc.poll() is None:
            job = running_long_job(work)
            if job is not None:
                time.sleep(3.0)                              # well inside the job
                if running_long_job(work) == job:
                    break
            time.sleep(0.5)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)              # snakemake and every job
        except ProcessLookupError:
            pass
        proc.wait()
    for _ in range(50):                                      # the whole group is gone
        if not alive_in_group(proc.pid):
            break
        time.sleep(0.1)
    else:
        raise AssertionError(f"killed workflow processes survive: {alive_in_group(proc.pid)}")
    kill_time = time.time_ns()
    before = outputs(work)
    records = incomplete(work)
    try:
        assert_readable(work)                                # nothing half-written
        readable = None
    except Exception as err:                                 # reported by test_resume
        readable = f"{type(err).__name__}: {err}"
    # a SIGKILL leaves Snakemake's lock behind: unlock, then resume
    run_snakemake(work, "--unlock", *SMOKE)
    run_snakemake(work, "--rerun-incomplete", *SMOKE)
    return dict(work=work, job=job, kill_time=kill_time, before=before,
                incomplete=records, readable=readable)
