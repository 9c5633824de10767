"""The hessian task under MPI (``mpiexec -n 2 python -m igd.cli igd.hessian.tasks:hessian``)
equals the 1-rank run.

Ranks > 0 join the dense route's 6N LAMMPS force calls but do not read the matrix file
(LAMMPS writes it from rank 0 only); only rank 0 diagonalises and writes. The two runs
differ only in the order of floating-point sums of the domain decomposition (~1e-10
relative here). The sparse route runs on rank 0 alone.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from igd.common.io import read_metadata, read_table
from igd.hessian.stage import boson_peak_stage

ROOT = Path(__file__).resolve().parents[2]
MPIEXEC = Path(sys.executable).parent / "mpiexec"
OUTPUTS = ("vdos", "atoms", "curves", "atom_vdos")


def job_document(cfg: dict, data: Path, out: Path) -> dict:
    """The rule's ``--job`` document (:func:`igd.common.job.document`) for one sample."""
    return {"rule": "hessian", "wildcards": {"sample": "s0"},
            "params": {"hessian": cfg["hessian"], "n_atoms": cfg["system"]["n_atoms"],
                       "potential": cfg["potential"],
                       "lammps": {k: v for k, v in cfg["lammps"].items() if k != "mpi_tasks"}},
            "input": {"data": str(data), "potential": cfg["potential"]["file"]},
            "output": {k: str(out / f"{k}.parquet") for k in OUTPUTS}}


def run_cli(ranks: int, doc: dict, log: Path) -> None:
    launch = [str(MPIEXEC), "-n", str(ranks)] if ranks > 1 else []
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    proc = subprocess.run([*launch, sys.executable, "-m", "igd.cli", "igd.hessian.tasks:hessian",
                           "--job", json.dumps(doc), "--log", str(log)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, (proc.stderr[-3000:], log.read_text()[-3000:]
                                  if log.exists() else "")


def test_sparse_route_returns_at_once_on_other_ranks():
    # no LAMMPS on the sparse route: ranks > 0 do nothing (not even read the data file)
    assert boson_peak_stage("no/such.data", potential={}, params={"max_dense_atoms": 10},
                            n_atoms=11, writes=False) is None


@pytest.mark.lammps
@pytest.mark.skipif(not MPIEXEC.is_file(), reason=f"no {MPIEXEC} (the mpich wheel provides it)")
def test_dense_hessian_two_ranks_equal_one_rank(tiny_glass, smoke_config, tmp_path):
    for ranks in (1, 2):
        run_cli(ranks, job_document(smoke_config, tiny_glass, tmp_path / f"r{ranks}"),
                tmp_path / f"hessian{ranks}.log")
    # only rank 0 wrote: exactly the four outputs
    assert sorted(p.name for p in (tmp_path / "r2").iterdir()) == sorted(
        f"{k}.parquet" for k in OUTPUTS)
    for name in OUTPUTS:
        one = read_table(tmp_path / "r1" / f"{name}.parquet")
        two = read_table(tmp_path / "r2" / f"{name}.parquet")
        assert list(two.columns) == list(one.columns) and len(two) == len(one)
        for col in one.columns:
            a, b = one[col].to_numpy(), two[col].to_numpy()
            if a.dtype.kind == "f":
                np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-7 * np.abs(a).max(),
                                           err_msg=f"{name}.{col}")
            else:
                np.testing.assert_array_equal(b, a, err_msg=f"{name}.{col}")
    meta = read_metadata(tmp_path / "r2" / "vdos.parquet")
    assert meta["provenance"]["mpi_ranks"] == 2
    assert meta["diagnostics"]["n_negative"] == 0
    assert "mpi_ranks" not in read_metadata(tmp_path / "r1" / "vdos.parquet")["provenance"]
