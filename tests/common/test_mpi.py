"""The LAMMPS stages under MPI (``mpiexec -n 2 python -m igd.cli …``) equal the 1-rank run.

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
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from igd.cli_old import mpi_rank, params_json
from igd.common.datafile import read_lammps_data
from igd.common.io import read_metadata, read_table

ROOT = Path(__file__).resolve().parents[2]
MPIEXEC = Path(sys.executable).parent / "mpiexec"
SEED = 12345  # the tiny_glass fixture's seed

pytestmark = pytest.mark.skipif(not MPIEXEC.is_file(),
                                reason=f"no {MPIEXEC} (the mpich wheel provides it)")


def run_cli(ranks: int, stage: str, params: dict, inputs: dict, outputs: dict, log: Path,
            timeout: float = 600) -> subprocess.CompletedProcess:
    """The rules' command: ``mpiexec -n RANKS python -m igd.cli STAGE …`` in the repo."""
    cmd = [str(MPIEXEC), "-n", str(ranks), sys.executable, "-m", "igd.cli", stage,
           "--params-json", json.dumps(params),
           "--input", *(f"{k}={v}" for k, v in inputs.items()),
           "--output", *(f"{k}={v}" for k, v in outputs.items()), "--log", str(log)]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, (proc.stderr[-3000:], log.read_text()[-3000:]
                                  if log.exists() else "")
    return proc


def test_mpi_rank_from_launcher_environment():
    assert mpi_rank({}) == 0
    assert mpi_rank({"PMI_RANK": "3"}) == 3
    assert mpi_rank({"OMPI_COMM_WORLD_RANK": "1"}) == 1
    # mpiexec inside a SLURM batch step: the launcher's rank wins over SLURM_PROCID=0
    assert mpi_rank({"SLURM_PROCID": "0", "PMI_RANK": "1"}) == 1
    assert mpi_rank({"SLURM_PROCID": "2"}) == 2


def test_params_json_adds_wildcards():
    wildcards = {"sample": "s1", "T": "300"}   # like Snakemake's wildcards: has .items()
    out = json.loads(params_json(wildcards, vmsd={"a": 1}, seed=7))
    assert out == {"vmsd": {"a": 1}, "seed": 7, "sample": "s1", "T": "300"}
    assert json.loads(params_json(None, seed=7)) == {"seed": 7}


@pytest.mark.lammps
def test_aqs_two_ranks_equal_one_rank(tiny_glass, smoke_config, tmp_path):
    cfg = smoke_config
    shear = {k: v for k, v in cfg["shear"].items() if k != "threshold"}
    shear.update(strain_max=4e-3, strain_step=1e-3, d2min_interval=2e-3, d2min_cutoff=3.7)
    params = {"shear": shear, "potential": cfg["potential"], "lammps": cfg["lammps"],
              "sample": "s0", "direction": "xy"}
    res = {}
    for ranks in (1, 2):
        out = {k: tmp_path / f"r{ranks}" / f"{k}.parquet" for k in ("atoms", "curve", "trace")}
        t0 = time.perf_counter()
        run_cli(ranks, "aqs", params, {"data": tiny_glass}, out, tmp_path / f"aqs{ranks}.log")
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
              "lammps": cfg["lammps"], "seed": SEED, "sample": "s0"}
    res = {}
    for ranks in (1, 2):
        d = tmp_path / f"r{ranks}"
        out = {"data": d / "inherent.data", "atoms": d / "atoms.parquet",
               "thermo": d / "thermo.parquet"}
        t0 = time.perf_counter()
        run_cli(ranks, "glass", params, {"potential": cfg["potential"]["file"]}, out,
                tmp_path / f"glass{ranks}.log")
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


def test_failure_on_one_rank_ends_the_launch(tmp_path):
    """Rank 0 fails while rank 1 is inside a long LAMMPS run: the launch must end."""
    script = tmp_path / "boom.py"
    script.write_text(textwrap.dedent(f"""
        import sys
        from igd import cli
        from igd.common import lammps as lmp

        def stage_boom(p, inp, out, log_file, threads, rank):
            l = lmp.start_lammps(None)
            l.commands_list(["region b block 0 20 0 20 0 20", "create_box 1 b",
                             "create_atoms 1 random 200 1 NULL", "mass 1 1.0",
                             "pair_style lj/cut 2.5", "pair_coeff 1 1 1.0 1.0",
                             "velocity all create 1.0 1", "fix 1 all nve"])
            if rank == 0:
                raise RuntimeError("boom on rank 0")
            l.command("run 100000000")   # collective: would wait for rank 0 forever

        cli.STAGES["boom"] = stage_boom
        sys.exit(cli.main(["boom", "--params-json", "{{}}", "--log", "{tmp_path / 'boom.log'}"]))
    """))
    t0 = time.perf_counter()
    proc = subprocess.run([str(MPIEXEC), "-n", "2", sys.executable, str(script)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    elapsed = time.perf_counter() - t0
    assert proc.returncode != 0
    assert elapsed < 60
    assert "boom on rank 0" in (tmp_path / "boom.log").read_text()
    assert not os.environ.get("PMI_RANK")   # the test itself is not an MPI rank
