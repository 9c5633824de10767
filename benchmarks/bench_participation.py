"""Participation fractions p_i of the sparse route (exact lowest modes by Chebyshev-filtered
subspace iteration, igd.hessian.kpm.lowest_eigenpairs: no LU) against the dense route, and
the sparse route run whole on a paper-size structure.

Usage (every measurement in its own subprocess, so that its peak RSS is its own):

    python benchmarks/bench_participation.py prepare --out /tmp/g2000.data
    python benchmarks/bench_participation.py compare /tmp/g2000.data
    python benchmarks/bench_participation.py whole results/s0/glass/inherent.data

``prepare``: the 500-atom inherent structure of s0 (``--data``) replicated (2×2×1 =
2 000 atoms by default), ``--delete`` random atoms of EACH type removed, every atom
displaced 0.1 Å rms per component, re-minimised (with a zero-pressure box relaxation when
atoms were deleted): the copies are no longer identical, so the replica has no artificial
mode degeneracies.
``compare``: dense route (analytic sparse D → ``eigh``) and the sparse route of the
workflow (``max_dense_atoms = 0``); prints Spearman ρ and the largest difference of
p_1pct, p_025pct and I_BP, and the two routes' times and peak RSS (ratios sparse/dense).
``whole``: the sparse route of the workflow (:func:`igd.hessian.stage.boson_peak_stage`
with the config's ``hessian`` section) start to end; wall, CPU, peak RSS, load average.
Progress (subspace iterations with their residual and ETA, then KPM probes/s) is logged to
stderr, so a run stopped early still gives its rate.

Measured 2026-12-04 with the KPM estimate of p_i that the subspace iteration replaced
(its cut-off step is gone from the code; the numbers say why):

* 2 000 atoms (``prepare`` default) ``compare`` (load 4–8): Spearman ρ KPM vs exact
  p_1pct 0.796, p_025pct 0.575 with 2 probe realisations, 0.919 / 0.753 with 8; the
  exact p_i behind a smoothed step of width σ (what KPM estimated, without probe noise)
  0.996 / 0.976 against the exact ones, so the gap was probe noise.
* The subspace iteration (then bench_participation_chebyshev.py, same code) on that
  2 000-atom glass: 4 iterations, 26 s CPU with the Hessian's assembly, Spearman 1.000 /
  1.000 against dense (largest difference 2.2e-6 / 8.7e-8). On the rehearsal's
  19 652-atom s0 IS (D 54 M non-zeros, 630 vectors): ~600 s CPU per iteration on a
  loaded core, residual 0.247 → 3.1e-3 in two iterations, 1.8 GB RSS.

Earlier (2 cores busy with the default run, load 10–17; every process of this benchmark
at nice 19 got ≈ 1.5–3 % of a core, so no time below is a cost):

* 500-atom s0 IS, dense modes, σ = 0.1 THz: the exact smoothed-step p_i (what KPM
  estimates, without probe noise) vs the exact p_i: Spearman 0.984 (1 %, K = 15 modes,
  ν_K 0.901 THz, cut 0.898 THz), 0.953 (0.25 %, K = 4, ν_K 0.576, cut 0.582 THz).
* 2 000 atoms (``prepare`` default: 2×2×1 of s0, 0.1 Å, re-minimised) ``compare``
  (session 9, load 4–8): Spearman ρ KPM vs exact p_1pct 0.796, p_025pct 0.575, I_BP 0.825
  with the config's 2 realisations (207 s CPU, 588 MB; dense 118 s CPU, 1 598 MB); the
  smoothed step vs exact 0.996 / 0.976, so the gap is probe noise. ``run kpm …
  --realisations 8`` (ρ computed from the two .npz): p_1pct 0.919, p_025pct 0.753, I_BP
  0.922 (745 s CPU).
* 20 000 atoms (5×4×2 of s0, unperturbed: ``bench_hessian_sparse.py prepare --perturb 0``)
  ``whole``: not finished (19 CPU s in 19 min, still building the Hessian). The earlier
  kpm_block measurement (bench_hessian_sparse.py) gives ≈ 1 000 CPU s per probe set,
  82 s for the Hessian and 4.7 GB peak; the KPM p_* add only the step coefficients
  (< 1 s) to it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_hessian_sparse import POTENTIAL, ROOT, hessian_params


def prepare(data: Path, n: list[int], out: Path, delete: int, perturb: float,
            seed: int) -> None:
    from igd.common.lammps import potential_commands, start_lammps

    lmp = start_lammps(None)
    lmp.command(f"read_data {data}")
    lmp.command(f"replicate {n[0]} {n[1]} {n[2]}")
    for cmd in potential_commands(POTENTIAL, ROOT):
        lmp.command(cmd)
    if delete:
        for t in (1, 2):
            lmp.command(f"group t{t} type {t}")
            lmp.command(f"delete_atoms random count {delete} yes t{t} NULL {seed + t}")
        lmp.command("reset_atoms id")
    lmp.command(f"displace_atoms all random {perturb} {perturb} {perturb} {seed} units box")
    lmp.command("min_style cg")
    if delete:
        lmp.command("fix relax all box/relax iso 0.0 vmax 0.001")
        lmp.command("minimize 0.0 1.0e-6 5000 50000")
        lmp.command("unfix relax")
    lmp.command("minimize 0.0 1.0e-8 20000 100000")
    lmp.command(f"write_data {out}")
    print(json.dumps({"atoms": int(lmp.get_natoms()), "out": str(out)}), flush=True)
    lmp.close()


def _usage(t0: float) -> dict:
    u = resource.getrusage(resource.RUSAGE_SELF)
    return {"wall_s": round(time.perf_counter() - t0, 1),
            "cpu_s": round(u.ru_utime + u.ru_stime, 1), "peak_rss_MB": round(u.ru_maxrss / 1024),
            "loadavg": os.getloadavg()[0]}


def run(route: str, data: str, out: str, realisations: int | None) -> dict:
    """One route in this process: ``dense`` or ``sparse`` (``max_dense_atoms`` = 0)."""
    from igd.common.datafile import read_lammps_data
    from igd.hessian.eam_hessian import sparse_dynamical_matrix
    from igd.hessian.modes import (
        as_grid,
        boson_peak_intensity,
        fraction_column,
        normal_modes,
        participation_fraction,
        per_atom_vdos,
    )
    from igd.hessian.stage import boson_peak_stage

    h = hessian_params()
    if realisations:
        h["sparse"]["realisations"] = realisations
    t0 = time.perf_counter()
    extra = {}
    if route == "dense":
        d, _frame = sparse_dynamical_matrix(data, potential=POTENTIAL, root=ROOT)
        modes = normal_modes(d.toarray(), n_zero=h["n_zero"])
        del d
        grid = as_grid(h["nu_grid"])
        res = {"I_BP": boson_peak_intensity(per_atom_vdos(modes, grid, h["sigma"]), grid,
                                            h["band"])}
        for f in h["fractions"]:
            res[fraction_column(f)] = participation_fraction(modes, f)
    else:
        h["max_dense_atoms"] = 0                      # the sparse route at any size
        _v, a, _u, diag = boson_peak_stage(data, potential=POTENTIAL, params=h,
                                           n_atoms=read_lammps_data(data).n_atoms, root=ROOT)
        res = {c: a[c].to_numpy() for c in a.columns if c not in ("id", "type")}
        extra = {"p_method": diag.get("p_method"), "n_moments": diag.get("n_moments"),
                 "modes_s": round(diag.get("modes_seconds", 0.0), 1),
                 "kpm_s": round(diag["kpm_seconds"], 1)}
    np.savez(out, **res)
    return {"route": route, **_usage(t0), **extra}


def _subprocess(*args: str) -> dict:
    out = subprocess.run([sys.executable, __file__, *args], check=True, text=True,
                         stdout=subprocess.PIPE).stdout
    return json.loads(out.strip().splitlines()[-1])


def compare(data: str, realisations: int | None) -> dict:
    from scipy.stats import spearmanr

    opts = ["--realisations", str(realisations)] if realisations else []
    stem = str(Path(data).with_suffix(""))
    times = {r: _subprocess("run", r, data, f"{stem}_{r}.npz", *opts)
             for r in ("dense", "sparse")}
    a, b = np.load(f"{stem}_dense.npz"), np.load(f"{stem}_sparse.npz")
    out: dict = {"atoms": int(a["I_BP"].size)}
    for key in a.files:
        out[f"rho_{key}_sparse_vs_dense"] = round(float(spearmanr(a[key], b[key])[0]), 4)
        out[f"max_diff_{key}"] = float(f"{np.abs(a[key] - b[key]).max():.2e}")
    out["times"] = times
    for what in ("wall_s", "cpu_s", "peak_rss_MB"):
        out[f"ratio_{what}_sparse_over_dense"] = round(
            times["sparse"][what] / times["dense"][what], 2)
    return out


def whole(data: str) -> dict:
    from igd.common.datafile import read_lammps_data
    from igd.hessian.stage import boson_peak_stage

    h = hessian_params()
    n_atoms = read_lammps_data(data).n_atoms
    load0 = Path("/proc/loadavg").read_text().split()[:3]
    t0 = time.perf_counter()
    _v, a, _u, diag = boson_peak_stage(data, potential=POTENTIAL, params=h, n_atoms=n_atoms,
                                       root=ROOT)
    nan = {c: int(a[c].isna().sum()) for c in a.columns}
    return {"atoms": n_atoms, "route": diag["route"], "p_method": diag.get("p_method"),
            "nan": nan, "modes_s": round(diag.get("modes_seconds", 0.0), 1),
            "kpm_s": round(diag["kpm_seconds"], 1), "loadavg_start": load0,
            "loadavg_end": Path("/proc/loadavg").read_text().split()[:3], **_usage(t0)}


def main() -> None:
    import logging

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("--data", type=Path, default=Path("/work/bare/results/s0/glass/inherent.data"))
    p.add_argument("--replicate", type=int, nargs=3, default=[2, 2, 1])
    p.add_argument("--delete", type=int, default=0, help="random atoms removed per type")
    p.add_argument("--perturb", type=float, default=0.1)
    p.add_argument("--seed", type=int, default=4242)
    p.add_argument("--out", type=Path, required=True)
    for name in ("run", "compare"):
        r = sub.add_parser(name)
        if name == "run":
            r.add_argument("route", choices=["dense", "sparse"])
        r.add_argument("data")
        if name == "run":
            r.add_argument("out")
        r.add_argument("--realisations", type=int, help="override hessian.sparse.realisations")
    w = sub.add_parser("whole")
    w.add_argument("data")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s",
                        stream=sys.stderr)
    if args.cmd == "prepare":
        prepare(args.data.resolve(), args.replicate, args.out, args.delete, args.perturb,
                args.seed)
    elif args.cmd == "run":
        result = run(args.route, args.data, args.out, args.realisations)
    elif args.cmd == "compare":
        result = compare(args.data, args.realisations)
    else:
        result = whole(args.data)
    if args.cmd != "prepare":
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
