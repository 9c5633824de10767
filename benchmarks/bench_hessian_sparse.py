"""Validation and cost of the sparse boson-peak route (KPM + exact lowest modes).

Usage (one heavy process at a time; every measurement runs in its own subprocess so that
its peak RSS is its own; each step stays under ~5 min on one loaded core):

    python benchmarks/bench_hessian_sparse.py prepare --replicate 2 2 1 --out /tmp/g2000.data
    python benchmarks/bench_hessian_sparse.py run dense  /tmp/g2000.data /tmp/g2000_dense.npz
    python benchmarks/bench_hessian_sparse.py run sparse /tmp/g2000.data /tmp/g2000_sparse.npz
    python benchmarks/bench_hessian_sparse.py compare /tmp/g2000_dense.npz /tmp/g2000_sparse.npz
    python benchmarks/bench_hessian_sparse.py prepare --replicate 3 3 3 --out /tmp/g13500.data
    python benchmarks/bench_hessian_sparse.py prepare --replicate 5 4 2 --perturb 0 \
        --out /tmp/g20000.data
    python benchmarks/bench_hessian_sparse.py run kpm_block /tmp/g20000.data -

``prepare`` replicates the inherent structure n×n×n with LAMMPS, displaces every atom by a
random vector (``--perturb`` Å rms per component) and re-minimises: the copies are then no
longer identical, so the replica has no artificial mode degeneracies.
``run dense``: analytic sparse D → dense ``eigh`` (equal to the LAMMPS
``dynamical_matrix`` route up to its finite-difference error, without its 6N force calls).
``run sparse``: :func:`igd.hessian.stage.hessian_vdos_sparse` with the default config settings.
``run kpm_block`` (large samples, where the full KPM exceeds a 5-min slot on a loaded
machine): Hessian + colouring + spectral bounds + one block of 16 probes; the KPM cost is
linear in the number of probes and is extrapolated to all of them.
Each run prints one JSON line: atoms, route, wall and CPU seconds (this process), peak RSS (MB); ``compare`` prints the
Spearman ρ of I_BP (and of p_1pct, p_025pct) between the two routes.

Measured 2026-11-22 (2 cores, load average ≈ 9: wall ≈ 1.5–3 × CPU time; config defaults,
σ = 0.1 THz, band [0.5, 6] THz, 163 moments, 9 Å probes = 73 colours × 3 per set):

=================  =====  ======  ======  ========  =====================================
glass              route  wall s  CPU s   peak RSS  result
=================  =====  ======  ======  ========  =====================================
2000 (2×2×1 s0,    dense   282     94     1730 MB   reference (eigh 6000² 267 s wall)
perturbed 0.1 Å,   sparse  300    113      905 MB   ρ(I_BP) = 0.952, ρ(p_*) = 1.000,
re-minimised)                                       total g: max error 0.9 % of its peak
  (realisations 1)
                   sparse  264    182      836 MB   ρ(I_BP) = 0.977, ρ(p_*) = 1.000,
                   (R = 2)                          total g: max error 0.5 % (default R)
20000 (5×4×2 s0)   kpm     375    126     4678 MB   build 82 s wall; 16 probes 212 s wall
                   block                            → all 231 probes ≈ 3060 s wall
                                                    (≈ 1000 s CPU) per realisation;
                                                    p_* not computed (no LU)
=================  =====  ======  ======  ========  =====================================

Dense at 20000 atoms: 2·(60000)²·8 B = 57.6 GB (not feasible on 24 GB).
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
POTENTIAL = {"file": "potentials/CuZr_mm.eam.fs",
             "sha256": "a512753c2b80a63a7e15d7422f471268888eda650fc12df81fb2275680737781",
             "elements": ["Cu", "Zr"], "pair_style": "eam/fs"}


def hessian_params() -> dict:
    return yaml.safe_load((ROOT / "config/config.yaml").read_text())["hessian"]


def prepare(data: Path, n: list[int], out: Path, perturb: float, seed: int) -> None:
    from igd.common.lammps import potential_commands, start_lammps

    lmp = start_lammps(None)
    lmp.command(f"read_data {data}")
    if max(n) > 1:
        lmp.command(f"replicate {n[0]} {n[1]} {n[2]}")
    for cmd in potential_commands(POTENTIAL, ROOT):
        lmp.command(cmd)
    if perturb > 0:
        lmp.command(f"displace_atoms all random {perturb} {perturb} {perturb} {seed} units box")
        lmp.command("min_style cg")
        lmp.command("minimize 0.0 1.0e-8 20000 100000")
    lmp.command(f"write_data {out}")
    lmp.close()


def run(route: str, data: str, out: str, realisations: int | None = None) -> dict:
    from igd.hessian.eam_hessian import sparse_dynamical_matrix
    from igd.hessian.kpm import (colour_probes, kpm_local_moments, kpm_n_moments,
                                 probe_colours, spectral_bounds, translation_modes)
    from igd.hessian.modes import (as_grid, boson_peak_intensity, eigenvalue_to_thz,
                                   fraction_column, normal_modes, participation_fraction,
                                   per_atom_vdos)
    from igd.hessian.stage import hessian_vdos_sparse

    h = hessian_params()
    if realisations:
        h["sparse"]["realisations"] = realisations
    t0 = time.perf_counter()
    grid = as_grid(h["nu_grid"])
    extra: dict = {}
    if route == "dense":
        d, frame = sparse_dynamical_matrix(data, potential=POTENTIAL, root=ROOT)
        modes = normal_modes(d.toarray(), n_zero=h["n_zero"])
        del d
        g_atoms = per_atom_vdos(modes, grid, h["sigma"])
        res = {"I_BP": boson_peak_intensity(g_atoms, grid, h["band"])}
        for f in h["fractions"]:
            res[fraction_column(f)] = participation_fraction(modes, f)
        res["g"] = g_atoms.sum(0)
        n_atoms = frame.n_atoms
    elif route == "kpm_block":
        # large samples: Hessian, colours, bounds and ONE block of probes (the KPM cost is
        # exactly linear in the number of probes), extrapolated to all 3·colours probes
        sp = h["sparse"]
        d, frame = sparse_dynamical_matrix(data, potential=POTENTIAL, root=ROOT)
        t_build = time.perf_counter() - t0
        colour = probe_colours(frame.positions, frame.cell, sp["probe_distance"],
                               origin=frame.origin)
        bounds = spectral_bounds(d)
        m = sp["n_moments"] or kpm_n_moments(
            h["sigma"], float(eigenvalue_to_thz(bounds[1])), sp["tol"])
        t1 = time.perf_counter()
        block = next(colour_probes(colour, block=16))
        kpm_local_moments(d, [block], m, bounds,
                          deflate=translation_modes([frame.masses[t] for t in frame.types]))
        t_block = time.perf_counter() - t1
        n_probes = 3 * (int(colour.max()) + 1) * sp["realisations"]   # all sets
        res = {}
        n_atoms = frame.n_atoms
        extra = {"nnz": int(d.nnz), "build_s": round(t_build, 1), "n_moments": m,
                 "n_probes": n_probes, "block_s": round(t_block, 1),
                 "kpm_s_extrapolated": round(t_block * n_probes / block.shape[1], 1)}
    else:
        sp = h.get("sparse", {})
        v, a, _units, diag = hessian_vdos_sparse(
            data, potential=POTENTIAL, sigma=h["sigma"], nu_grid=grid, band=h["band"],
            fractions=h["fractions"], n_zero=h["n_zero"],
            probe_distance=sp.get("probe_distance", 9.0),
            realisations=sp.get("realisations", 1), n_moments=sp.get("n_moments"),
            tol=sp.get("tol", 1e-4), seed=sp.get("seed", 0),
            modes_tol=sp.get("modes_tol", 1e-4), root=ROOT)
        res = {c: a[c].to_numpy() for c in a.columns if c not in ("id", "type")}
        res["g"] = v["g"].to_numpy()
        n_atoms = len(a)
    seconds = time.perf_counter() - t0
    usage = resource.getrusage(resource.RUSAGE_SELF)
    if res:
        np.savez(out, nu=grid, **res)
    return {"atoms": n_atoms, "route": route, "seconds": round(seconds, 1),
            "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
            "peak_rss_MB": round(usage.ru_maxrss / 1024), **extra}


def compare(dense: str, sparse: str) -> dict:
    from scipy.stats import spearmanr

    a, b = np.load(dense), np.load(sparse)
    out = {}
    for key in a.files:
        if key in ("nu", "g") or key not in b.files or np.isnan(b[key]).all():
            continue
        out[f"spearman_{key}"] = round(float(spearmanr(a[key], b[key])[0]), 4)
    out["g_max_abs_err_rel"] = round(float(np.abs(a["g"] - b["g"]).max() / a["g"].max()), 4)
    return out


def main() -> None:
    import logging

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("--data", type=Path, default=ROOT / "results/s0/glass/inherent.data")
    p.add_argument("--replicate", type=int, nargs=3, default=[2, 2, 2])
    p.add_argument("--perturb", type=float, default=0.1)
    p.add_argument("--seed", type=int, default=4242)
    p.add_argument("--out", type=Path, required=True)
    r = sub.add_parser("run")
    r.add_argument("route", choices=["dense", "sparse", "kpm_block"])
    r.add_argument("data")
    r.add_argument("out")
    r.add_argument("--realisations", type=int, help="override hessian.sparse.realisations")
    c = sub.add_parser("compare")
    c.add_argument("dense")
    c.add_argument("sparse")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if args.cmd == "prepare":
        prepare(args.data.resolve(), args.replicate, args.out, args.perturb, args.seed)
    elif args.cmd == "run":
        print(json.dumps(run(args.route, args.data, args.out, args.realisations)), flush=True)
    else:
        print(json.dumps(compare(args.dense, args.sparse)), flush=True)


if __name__ == "__main__":
    main()
