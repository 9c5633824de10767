"""The MPI tasks (``mpiexec -n 2 python -m igd.cli TASK --job …``) equal the 1-rank run.

What is comparable across domain decompositions:
* AQS on one given inherent structure is deterministic (minimisations only): the stress–
  strain curve, energies and per-atom ΔD²min of 2 ranks equal the 1-rank run to 1e-6
  relative (only the order of floating-point sums differs).
* The melt-quench is chaotic MD (already the contact-removing minimisation of the random
  start takes another path): the 2-rank glass is another glass of the same ensemble. Its
  inherent structure must be a true minimum of the same composition, with the same thermo
  sampling, and its energy within 0.02 eV/atom and density within 0.03 g/cm³ of the
  1-rank glass of the same (shortened smoke) schedule and seed (500-atom samples of the
  default schedule spread by ~0.003 eV/atom and ~0.004 g/cm³).
Only rank 0 writes: no stray files next to the outputs; a failure on one rank ends the
whole launch instead of leaving the other ranks waiting.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from igd.common.datafile import read_lammps_data
from igd.common.io import read_metadata, read_table
from igd.common.job import Job, document
from igd.common.mpi import Ranks

ROOT = Path(__file__).resolve().parents[2]
MPIEXEC = Path(sys.executable).parent / "mpiexec"
SEED = 12345  # the tiny_glass fixture's seed

pytestmark = pytest.mark.skipif(not MPIEXEC.is_file(),
                                reason=f"no {MPIEXEC} (the mpich wheel provides it)")


def job_json(rule: str, params: dict, wildcards: dict, inputs: dict, outputs: dict) -> str:
    """The ``--job`` document of a rule (what ``task_params`` gives a shell rule)."""
    def paths(files: dict) -> dict:
        return {k: str(v) for k, v in files.items()}

    return json.dumps(document(rule, params, wildcards, paths(inputs), paths(outputs)))


def cli_command(ranks: int, task: str, job: str, log: Path) -> list[str]:
    """The rules' command: ``mpiexec -n RANKS python -m igd.cli TASK --job … --log …``."""
    return [str(MPIEXEC), "-n", str(ranks), sys.executable, "-m", "igd.cli", task,
            "--job", job, "--log", str(log)]


def run_cli(ranks: int, task: str, job: str, log: Path,
            timeout: float = 600) -> subprocess.CompletedProcess:
    """:func:`cli_command` in the repo; it must succeed."""
    proc = subprocess.run(cli_command(ranks, task, job, log), cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)
    assert proc.returncode == 0, (proc.stderr[-3000:], log.read_text()[-3000:]
                                  if log.exists() else "")
    return proc


def test_mpi_rank_from_launcher_environment():
    def rank(environ):
        return Ranks.from_environ(environ).rank

    assert rank({}) == 0
    assert rank({"PMI_RANK": "3"}) == 3
    assert rank({"OMPI_COMM_WORLD_RANK": "1"}) == 1
    # mpiexec inside a SLURM batch step: the launcher's rank wins over SLURM_PROCID=0
    assert rank({"SLURM_PROCID": "0", "PMI_RANK": "1"}) == 1
    assert rank({"SLURM_PROCID": "2"}) == 2


def test_job_document_carries_params_and_wildcards():
    wildcards = {"sample": "s1", "T": "300"}   # like Snakemake's wildcards: has .items()
    doc = json.loads(job_json("vmsd", {"vmsd": {"a": 1}, "seed": 7}, wildcards, {}, {}))
    assert doc["params"] == {"vmsd": {"a": 1}, "seed": 7}
    assert doc["wildcards"] == {"sample": "s1", "T": "300"}
    job = Job.from_document(doc)
    assert (job.rule, job.params.seed, job.wildcards.T) == ("vmsd", 7, "300")
    no_wildcards = json.loads(job_json("glass", {"seed": 7}, {}, {}, {}))
    assert no_wildcards["params"] == {"seed": 7} and no_wildcards["wildcards"] == {}


@pytest.mark.lammps
def test_aqs_two_ranks_equal_one_rank(tiny_glass, smoke_config, tmp_path):
    cfg = smoke_config
    shear = {k: v for k, v in cfg["shear"].items() if k != "threshold"}
    shear.update(strain_max=4e-3, strain_step=1e-3, d2min_interval=2e-3, d2min_cutoff=3.7)
    params = {"shear": shear, "potential": cfg["potential"], "lammps": cfg["lammps"]}
    res = {}
    for ranks in (1, 2):
        out = {k: tmp_path / f"r{ranks}" / f"{k}.parquet" for k in ("atoms", "curve", "trace")}
        job = job_json("aqs", params, {"sample": "s0", "direction": "xy"},
                       {"data": tiny_glass}, out)
        t0 = time.perf_counter()
        run_cli(ranks, "igd.labels.tasks:aqs", job, tmp_path / f"aqs{ranks}.log")
        print(f"aqs, {ranks} rank(s): {time.perf_counter() - t0:.1f} s")
        res[ranks] = {k: read_table(v) for k, v in out.items()}
        assert sorted(p.name for p in out["atoms"].parent.iterdir()) == sorted(
            p.name for p in out.values())
    one, two = res[1], res[2]
    assert len(one["curve"]) == 5 and len(two["curve"]) == 5
    for col in one["curve"].columns:
        a, b = one["curve"][col].to_numpy(), two["curve"][col].to_numpy()
        if a.dtype.kind == "f" and col not in ("fmax", "fnorm"):   # residuals: noise level
            np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-6, err_msg=col)
        elif a.dtype.kind in "iub" and col not in ("iterations",):
            np.testing.assert_array_equal(b, a, err_msg=col)
    np.testing.assert_array_equal(two["atoms"]["id"], one["atoms"]["id"])
    for col in one["atoms"].columns:
        if one["atoms"][col].dtype.kind == "f":
            np.testing.assert_allclose(two["atoms"][col], one["atoms"][col], rtol=1e-5,
                                       atol=1e-7, err_msg=col)
    assert read_metadata(tmp_path / "r2" / "curve.parquet")["provenance"]["mpi_ranks"] == 2
    assert "mpi_ranks" not in read_metadata(tmp_path / "r1" / "curve.parquet")["provenance"]


@pytest.mark.lammps
def test_glass_two_ranks_same_ensemble(smoke_config, tmp_path):
    cfg = smoke_config
    # the smoke schedule at a quarter of its steps (0.5 ps heat, 1 ps melt, 2.5 ps quench)
    glass = {**cfg["glass"], "heat_time": 0.5, "equilibrate_time": 1.0, "quench_rate": 8e14}
    params = {"system": cfg["system"], "glass": glass, "potential": cfg["potential"],
              "lammps": cfg["lammps"], "seed": SEED}
    res = {}
    for ranks in (1, 2):
        d = tmp_path / f"r{ranks}"
        out = {"data": d / "inherent.data", "atoms": d / "atoms.parquet",
               "thermo": d / "thermo.parquet"}
        job = job_json("glass", params, {"sample": "s0"},
                       {"potential": cfg["potential"]["file"]}, out)
        t0 = time.perf_counter()
        run_cli(ranks, "igd.glass.tasks:glass", job, tmp_path / f"glass{ranks}.log")
        print(f"glass (short schedule), {ranks} rank(s): {time.perf_counter() - t0:.1f} s")
        # only rank 0 wrote: exactly the three outputs, no thermo scratch file
        assert sorted(p.name for p in d.iterdir()) == sorted(p.name for p in out.values())
        meta = read_metadata(out["atoms"])
        res[ranks] = (read_table(out["atoms"]), read_table(out["thermo"]), meta)
        assert meta["provenance"].get("mpi_ranks", 1) == ranks
        assert read_lammps_data(out["data"]).n_atoms == cfg["system"]["n_atoms"]
    (atoms1, thermo1, meta1), (atoms2, thermo2, meta2) = res[1], res[2]
    s1, s2 = meta1["summary"], meta2["summary"]
    np.testing.assert_array_equal(atoms2["id"], atoms1["id"])
    np.testing.assert_array_equal(np.bincount(atoms2["type"]), np.bincount(atoms1["type"]))
    np.testing.assert_array_equal(thermo2["step"], thermo1["step"])
    assert len(thermo2) > 10
    for s in (s1, s2):
        assert s["fmax_eV_per_A"] <= cfg["glass"]["minimize"]["fmax_tolerance"]
        assert np.isclose(float(np.linalg.det(np.asarray(s["box_cell"]))), s["volume_A3"])
    print("IS energy (eV/atom), density (g/cm^3), 1 vs 2 ranks:", s1["energy_eV_per_atom"],
          s2["energy_eV_per_atom"], s1["density_g_cm3"], s2["density_g_cm3"])
    assert abs(s2["energy_eV_per_atom"] - s1["energy_eV_per_atom"]) < 0.02
    assert abs(s2["density_g_cm3"] - s1["density_g_cm3"]) < 0.03


def test_failure_on_one_rank_ends_the_launch(smoke_config, tmp_path):
    """Rank 0 fails while rank 1 is inside a long LAMMPS run: the launch must end.

    Only the writing rank quenches into the real output folder (the others into private
    paths, :meth:`igd.common.mpi.Ranks.private`). There a stale directory has the name of
    the quench's scratch thermo file, so rank 0 fails removing it, after the collective
    set-up of LAMMPS, while rank 1 goes on into the melt (a collective run that would wait
    for rank 0 for ever). A small B2 start: no contact-removing minimisation before.
    """
    cfg = smoke_config
    system = {**cfg["system"], "n_atoms": 128,
              "initial": {**cfg["system"]["initial"], "structure": "b2"}}
    params = {"system": system, "glass": cfg["glass"], "potential": cfg["potential"],
              "lammps": cfg["lammps"], "seed": SEED}
    d = tmp_path / "glass"
    out = {"data": d / "inherent.data", "atoms": d / "atoms.parquet",
           "thermo": d / "thermo.parquet"}
    stale = d / "inherent.thermo.tmp"
    (stale / "stale").mkdir(parents=True)
    job = job_json("glass", params, {"sample": "s0"}, {"potential": cfg["potential"]["file"]},
                   out)
    log = tmp_path / "glass.log"
    t0 = time.perf_counter()
    proc = subprocess.run(cli_command(2, "igd.glass.tasks:glass", job, log), cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    elapsed = time.perf_counter() - t0
    assert proc.returncode != 0
    assert elapsed < 60
    text = log.read_text()
    assert "igd.glass.tasks:glass failed on rank 0 of 2; aborting all ranks" in text
    assert str(stale) in text
    assert "failed on rank 1" not in text + proc.stderr
    assert not any(p.exists() for p in out.values())
    assert not os.environ.get("PMI_RANK")   # the test itself is not an MPI rank
