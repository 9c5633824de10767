"""Benchmark of the boson-peak stage: dense LAMMPS route versus the sparse analytic route.

Usage (one heavy process at a time; each measurement runs in its own subprocess so that
the peak RSS is that of the measured step alone):

    python benchmarks/bench_hessian.py --data results/s0/glass/inherent.data --replicate 1 2 3 \
        --random 19652

For each replication factor n the inherent structure is replicated n×n×n by LAMMPS
(``replicate``, no re-minimisation: timings and memory only), then measured:
``sparse_build`` (analytic EAM/FS Hessian,
:func:`igd.hessian.eam_hessian.sparse_dynamical_matrix`), and, where asked and affordable,
``dense_lammps`` (``dynamical_matrix``, 6N force calls) and ``dense_eigh``. Prints one TSV
row per step: atoms, step, seconds, peak RSS (MB), nnz.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

POTENTIAL = {"file": "potentials/CuZr_mm.eam.fs",
             "sha256": "a512753c2b80a63a7e15d7422f471268888eda650fc12df81fb2275680737781",
             "elements": ["Cu", "Zr"], "pair_style": "eam/fs"}
ROOT = Path(__file__).resolve().parents[1]


def replicate(data: Path, n: int, out: Path) -> None:
    from igd.common.lammps import potential_commands, start_lammps

    lmp = start_lammps(None)
    lmp.command(f"read_data {data}")
    if n > 1:
        lmp.command(f"replicate {n} {n} {n}")
    for cmd in potential_commands(POTENTIAL, ROOT):
        lmp.command(cmd)
    lmp.command(f"write_data {out}")
    lmp.close()


def random_glass(n_atoms: int, density: float, seed: int, out: Path) -> None:
    """A 50/50 random packing (min distance 2 Å), NOT minimised: for cost scaling only."""
    from igd.common.lammps import potential_commands, start_lammps

    side = (n_atoms / density) ** (1 / 3)
    lmp = start_lammps(None)
    lmp.command(f"region box block 0 {side} 0 {side} 0 {side}")
    lmp.command("create_box 2 box")
    lmp.command(f"create_atoms 1 random {n_atoms // 2} {seed} NULL overlap 2.0 maxtry 200")
    lmp.command(f"create_atoms 2 random {n_atoms - n_atoms // 2} {seed + 1} NULL "
                "overlap 2.0 maxtry 200")
    lmp.command("mass 1 63.546")
    lmp.command("mass 2 91.224")
    for cmd in potential_commands(POTENTIAL, ROOT):
        lmp.command(cmd)
    lmp.command(f"write_data {out}")
    lmp.close()


def measure(step: str, data: str) -> dict:
    import numpy as np

    from igd.hessian.dynmat import lammps_dynamical_matrix
    from igd.hessian.eam_hessian import sparse_dynamical_matrix
    from igd.hessian.modes import normal_modes

    t0 = time.perf_counter()
    out: dict = {"step": step}
    if step == "sparse_build":
        d, frame = sparse_dynamical_matrix(data, potential=POTENTIAL, root=ROOT)
        out.update(atoms=frame.n_atoms, nnz=int(d.nnz))
    elif step == "dense_lammps":
        d = lammps_dynamical_matrix(data, potential=POTENTIAL, delta=1e-5, root=ROOT)
        out.update(atoms=d.shape[0] // 3, nnz=int(d.size))
    elif step == "dense_eigh":
        d, frame = sparse_dynamical_matrix(data, potential=POTENTIAL, root=ROOT)
        t0 = time.perf_counter()
        m = normal_modes(d.toarray())
        out.update(atoms=frame.n_atoms, nnz=int(np.count_nonzero(m.nu > -1)))
    out["seconds"] = time.perf_counter() - t0
    out["peak_rss_MB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("results/s0/glass/inherent.data"))
    ap.add_argument("--replicate", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--random", type=int, nargs="*", default=[],
                    help="also measure random 50/50 packings of these atom counts (19652)")
    ap.add_argument("--steps", nargs="+", default=["sparse_build"],
                    choices=["sparse_build", "dense_lammps", "dense_eigh"])
    ap.add_argument("--measure", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure:
        print(json.dumps(measure(*args.measure)))
        return
    print("atoms\tstep\tseconds\tpeak_rss_MB\tnnz")
    with tempfile.TemporaryDirectory() as tmp:
        inputs = []
        for n in args.replicate:
            inputs.append(Path(tmp) / f"rep{n}.data")
            replicate(args.data.resolve(), n, inputs[-1])
        for n in args.random:
            inputs.append(Path(tmp) / f"random{n}.data")
            random_glass(n, 0.0588, 12345, inputs[-1])
        for data in inputs:
            for step in args.steps:
                res = subprocess.run([sys.executable, __file__, "--measure", step, str(data)],
                                     capture_output=True, text=True, check=True)
                r = json.loads(res.stdout.strip().splitlines()[-1])
                print(f"{r['atoms']}\t{r['step']}\t{r['seconds']:.1f}\t"
                      f"{r['peak_rss_MB']:.0f}\t{r['nnz']}", flush=True)


if __name__ == "__main__":
    main()
