"""Kill the smoke workflow in the middle of a long rule, resume it, and check determinism.

One extra full smoke run (the killed + resumed one), compared with the session's
``smoke_run``: the same config and seeds on the same core count must give byte-identical
glass, labels, structure, features and IGD files.
"""

from __future__ import annotations

import base64
import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from igd.common.datafile import read_lammps_data

from conftest import SNAKEMAKE, copy_workflow, run_snakemake

pytestmark = pytest.mark.workflow

SMOKE = ("--cores", "2", "--configfile", "config/smoke.yaml")
LONG_RULES = ("artn_", "aqs_")        # log-name prefixes of the long rules (ARTn chunk, AQS)
TIMING_KEYS = ("wall_s", "cpu_s", "grid_search_seconds", "seconds")


def _env() -> dict:
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def _outputs(root: Path) -> dict[str, float]:
    """Result files (not logs, benchmarks or hidden temp files) → mtime (ns)."""
    out = {}
    for p in (root / "results").rglob("*"):
        rel = p.relative_to(root)
        if (p.is_file() and rel.parts[1] not in ("logs", "benchmarks")
                and not p.name.startswith(".")):
            out[str(rel)] = p.stat().st_mtime_ns
    return out


def _incomplete(root: Path) -> set[str]:
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


def _running_long_job(root: Path) -> str | None:
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


def _alive_in_group(pgid: int) -> list[int]:
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


def _assert_readable(root: Path) -> None:
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


def _strip_timings(obj):
    if isinstance(obj, dict):
        return {k: _strip_timings(v) for k, v in obj.items()
                if not any(k.endswith(t) for t in TIMING_KEYS)}
    if isinstance(obj, list):
        return [_strip_timings(v) for v in obj]
    if isinstance(obj, float) and math.isnan(obj):
        return "nan"
    return obj


@pytest.fixture(scope="module")
def killed_and_resumed(smoke_run, tmp_path_factory):
    """Run the smoke workflow, SIGKILL it inside a long rule, then resume it."""
    work = copy_workflow(tmp_path_factory.mktemp("resume"))
    proc = subprocess.Popen([*SNAKEMAKE, *SMOKE], cwd=work, env=_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    job = None
    try:
        deadline = time.monotonic() + 900
        while time.monotonic() < deadline and proc.poll() is None:
            job = _running_long_job(work)
            if job is not None:
                time.sleep(3.0)                              # well inside the job
                if _running_long_job(work) == job:
                    break
            time.sleep(0.5)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)              # snakemake and every job
        except ProcessLookupError:
            pass
        proc.wait()
    for _ in range(50):                                      # the whole group is gone
        if not _alive_in_group(proc.pid):
            break
        time.sleep(0.1)
    else:
        raise AssertionError(f"killed workflow processes survive: {_alive_in_group(proc.pid)}")
    assert job is not None, "no long rule (ARTn chunk or AQS) was seen running"
    kill_time = time.time_ns()
    before = _outputs(work)
    incomplete = _incomplete(work)
    _assert_readable(work)                                   # nothing half-written
    # a SIGKILL leaves Snakemake's lock behind: unlock, then resume
    run_snakemake(work, "--unlock", *SMOKE)
    run_snakemake(work, "--rerun-incomplete", *SMOKE)
    return dict(work=work, job=job, kill_time=kill_time, before=before,
                incomplete=incomplete)


def test_kill_leaves_no_half_written_file_and_resume_redoes_only_the_killed(
        killed_and_resumed):
    r = killed_and_resumed
    work, job = r["work"], r["job"]
    sample, name = job.split("/")
    # Snakemake knew the killed job was incomplete …
    rule, wildcard = name.split("_", 1)
    output = (f"results/{sample}/artn/chunks/{wildcard}_events.parquet" if rule == "artn"
              else f"results/{sample}/shear/{wildcard}.parquet")
    assert output in r["incomplete"], (output, r["incomplete"])
    # … and the resumed run redid it: its benchmark is written only on success
    bench = work / "results" / "benchmarks" / sample / f"{name}.tsv"
    assert bench.stat().st_mtime_ns > r["kill_time"]
    # every output complete at the kill time is untouched (temp() ones may be gone)
    finished = {p: t for p, t in r["before"].items() if p not in r["incomplete"]}
    assert finished, "nothing had finished before the kill"
    after = _outputs(work)
    redone = [p for p, t in finished.items() if p in after and after[p] != t]
    assert not redone, f"finished outputs were recomputed: {redone}"
    _assert_readable(work)
    assert "Nothing to be done" in run_snakemake(work, "-n", *SMOKE).stdout


DETERMINISTIC = [
    "results/{s}/glass/atoms.parquet",
    "results/{s}/glass/thermo.parquet",
    "results/{s}/glass/rdf.parquet",
    "results/{s}/glass/inherent.data",
    "results/{s}/labels.parquet",
    "results/{s}/structure.parquet",
    "results/{s}/features.parquet",
]


def test_same_config_gives_byte_identical_results(killed_and_resumed, smoke_run):
    work = killed_and_resumed["work"]
    files = [f.format(s=s) for s in ("s0", "s1") for f in DETERMINISTIC]
    files.append("results/learning/igd.parquet")
    differ = [f for f in files if (work / f).read_bytes() != (smoke_run / f).read_bytes()]
    assert not differ, f"not byte-identical between two runs: {differ}"


def test_every_table_equal_up_to_timings(killed_and_resumed, smoke_run):
    """All Parquet files: same values and metadata, once wall/cpu-time fields are removed."""
    work = killed_and_resumed["work"]
    ref = sorted(p.relative_to(smoke_run) for p in (smoke_run / "results").rglob("*.parquet")
                 if not p.name.startswith("."))
    assert ref
    differ = []
    for rel in ref:
        a, b = pq.read_table(smoke_run / rel), pq.read_table(work / rel)
        ma = json.loads((a.schema.metadata or {}).get(b"igd", b"{}"))
        mb = json.loads((b.schema.metadata or {}).get(b"igd", b"{}"))
        cols = [c for c in a.column_names if not c.endswith(TIMING_KEYS)]
        if (_strip_timings(ma) != _strip_timings(mb) or a.column_names != b.column_names
                or not a.select(cols).to_pandas().equals(b.select(cols).to_pandas())):
            differ.append(str(rel))
    assert not differ, f"tables differ between two runs beyond timings: {differ}"
