"""Benchmark: structural features (31 G + 25 S2) of 19 652 atoms against DScribe's ACSF.

    nice .venv/bin/python benchmarks/bench_structure.py [--data IS.data] [--skip-dscribe]

Default system: the tiny glass of the default run (results/s0/glass/inherent.data, 500 atoms) replicated 4×4×4
(32 000 atoms, same density and local structure); the features of its first 19 652 atoms
(the paper's sample size) are computed with the full periodic environment. With
``--data`` a paper-size inherent structure is used as is (all its atoms).

DScribe (benchmark-only extra ``bench``: ``dscribe==2.1.2``) computes the same 31 radial
functions as ACSF G2 terms, exp[−η (R − R_s)²] f_c(R) with η = 1/L², R_s = μ and the same
neighbour cutoff (its cosine cutoff function f_c differs from our sharp cutoff; the work is
the same), per neighbour species, for the same centre atoms, single-threaded.
Prints both wall times, the ratio and the peak memory (max RSS) of each part.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time

import numpy as np

from igd.common.datafile import read_lammps_data
from igd.structure.features import DEFAULTS, structure_features

N_PAPER = 19_652


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=None, help="paper-size IS (LAMMPS data file)")
    ap.add_argument("--tiny", default="results/s0/glass/inherent.data")
    ap.add_argument("--skip-dscribe", action="store_true")
    args = ap.parse_args(argv)

    if args.data:
        d = read_lammps_data(args.data)
        pos, cell, types, origin = d.positions, d.cell, d.types, d.origin
        centers = np.arange(len(pos))
        label = f"{args.data}: {len(pos)} atoms"
    else:
        d = read_lammps_data(args.tiny)
        reps = np.array([(a, b, c) for a in range(4) for b in range(4) for c in range(4)])
        pos = (d.positions[None] + (reps @ d.cell)[:, None]).reshape(-1, 3)
        types = np.tile(d.types, len(reps))
        cell, origin = 4 * d.cell, d.origin
        centers = np.arange(N_PAPER)
        label = f"tiny glass ×4×4×4 ({len(pos)} atoms), {N_PAPER} centre atoms"
    params = {k: DEFAULTS[k] for k in ("mus", "L", "g_cutoff", "s2_rcs", "sigma", "dr",
                                       "kernel_truncate", "chunk_pairs")}
    print(f"system: {label}; box {np.linalg.det(cell):.0f} Å^3")
    print(f"params: L={params['L']} Å, g_cutoff={params['g_cutoff']} Å, "
          f"sigma={params['sigma']} Å, dr={params['dr']} Å, "
          f"{len(params['mus'])} G + {len(params['s2_rcs'])} S2")

    rss0 = peak_rss_mb()
    t, c = time.perf_counter(), time.process_time()
    df = structure_features(pos, cell, types, origin=origin, centers=centers, **params)
    t_igd, c_igd = time.perf_counter() - t, time.process_time() - c
    rss_igd = peak_rss_mb()
    print(f"igd.structure.features  : {t_igd:7.2f} s wall, {c_igd:6.2f} s CPU for {len(df)} atoms x "
          f"{df.shape[1]} features (peak RSS {rss_igd:.0f} MB, +{rss_igd - rss0:.0f} MB)")
    if args.skip_dscribe:
        return 0

    from ase import Atoms
    from dscribe.descriptors import ACSF

    symbols = np.where(types == 1, "Cu", "Zr")
    atoms = Atoms(symbols=list(symbols), positions=pos - origin, cell=cell, pbc=True)
    acsf = ACSF(species=["Cu", "Zr"], r_cut=params["g_cutoff"],
                g2_params=[[1.0 / params["L"] ** 2, m] for m in params["mus"]],
                periodic=True, sparse=False)
    t, c = time.perf_counter(), time.process_time()
    out = acsf.create(atoms, centers=centers.tolist(), n_jobs=1)
    t_ds, c_ds = time.perf_counter() - t, time.process_time() - c
    rss_ds = peak_rss_mb()
    print(f"dscribe ACSF   : {t_ds:7.2f} s wall, {c_ds:6.2f} s CPU for {out.shape[0]} atoms x "
          f"{out.shape[1]} (G1 + 31 G2 per species; process peak RSS {rss_ds:.0f} MB)")
    print(f"speed-up       : {t_ds / t_igd:.1f}x wall, {c_ds / c_igd:.1f}x CPU "
          "(DScribe / igd, same run)")
    # sanity: ACSF G2 summed over species ~ our G times the cosine cutoff (smaller)
    g2 = out[:, 1:32] + out[:, 33:64]
    ratio = g2[:, 0].mean() / df["G_1.5"].mean()
    print(f"check          : mean ACSF G2(mu=1.5) / mean G_1.5 = {ratio:.3f} "
          "(< 1: DScribe damps by its cosine cutoff)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
