"""Participation fractions p_i from the exact lowest modes without LU: Chebyshev-filtered
subspace iteration (ChFSI), a candidate to replace the KPM p_i above
``hessian.sparse.max_lu_atoms`` (issue #21 item 2; not wired into the stage yet).

A block of ``k + buffer`` vectors (k = the lowest 1 % of the 3N − 3 modes), kept
orthogonal to the 3 translations, is repeatedly multiplied by the degree-``degree``
Chebyshev polynomial of D that is bounded by 1 on [edge, λ_max] and grows fast below
``edge`` (the block's largest Ritz value), then orthonormalised (QR) and rotated to its
Ritz vectors (Rayleigh–Ritz), until the lowest k residuals ‖D x − λ x‖ are below
``tol`` · λ_max. Only sparse-matrix × block products and dense algebra on (3N, k + buffer):
no factorisation, so it scales like the KPM (nnz(D) per product).

    python benchmarks/bench_participation_chebyshev.py DATA [--dense DENSE.npz]
        [--buffer 40] [--degree 20] [--tol 1e-4]

``--dense``: the exact p_i of ``bench_participation.py run dense`` (same atom order) for
Spearman ρ and the largest difference.

Measured 2026-12-04 (this 2-core machine, idle but for CI's test run on the other core):

* 2 000 atoms (``bench_participation.py prepare`` default, /tmp/kpm/g2000.data):
  4 iterations, 88 products of D with 100 vectors, 26 s CPU with the Hessian's assembly;
  against the dense route p_1pct Spearman 1.000 (largest difference 2.2e-6), p_025pct
  1.000 (8.7e-8). The KPM p_i on the same structure: 0.796 / 0.575 (2 probe sets).
* 19 652 atoms (the rehearsal's s0 inherent structure; D 54 M non-zeros, k = 590, 630
  vectors): assembly 40 s CPU; iteration 1 at 678 s CPU, iteration 2 at 1 232 s (largest
  residual 0.247 → 3.1e-3, as on 2 000 atoms), 1.8 GB RSS; stopped by a 30-minute limit
  before convergence.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_participation import POTENTIAL, ROOT  # noqa: E402

from igd.hessian.eam_hessian import sparse_dynamical_matrix  # noqa: E402
from igd.hessian.kpm import spectral_bounds, translation_modes  # noqa: E402
from igd.hessian.modes import n_lowest  # noqa: E402


def lowest_modes(d, translations: np.ndarray, k: int, *, buffer: int, degree: int,
                 tol: float, max_iter: int = 100, seed: int = 0):
    """(λ (k,), vectors (3N, k), products, iterations) of the k lowest non-zero modes."""
    _, hi = spectral_bounds(d)
    n = d.shape[0]
    x = np.random.default_rng(seed).standard_normal((n, k + buffer))
    x -= translations @ (translations.T @ x)
    x, _ = np.linalg.qr(x)
    edge, products = 0.02 * hi, 0
    for it in range(1, max_iter + 1):
        e, c = (hi - edge) / 2, (hi + edge) / 2
        y0, y1 = x, (d @ x - c * x) / e
        for _ in range(degree - 1):
            y0, y1 = y1, 2 * (d @ y1 - c * y1) / e - y0
        products += degree
        x = y1 - translations @ (translations.T @ y1)
        x, _ = np.linalg.qr(x)
        w, v = np.linalg.eigh(x.T @ (d @ x))
        x = x @ v
        res = np.linalg.norm(d @ x[:, :k] - x[:, :k] * w[:k], axis=0) / hi
        products += 2
        edge = w[-1]
        print(f"iteration {it}: largest residual {res.max():.2e} (tol {tol:g}), Ritz "
              f"{w[0]:.3e}..{w[k - 1]:.3e}, edge {edge:.3e}, {products} block products, "
              f"{time.process_time():.0f} s CPU", flush=True)
        if res.max() < tol:
            return w[:k], x[:, :k], products, it
    raise RuntimeError(f"not converged in {max_iter} iterations")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("--dense")
    ap.add_argument("--buffer", type=int, default=40)
    ap.add_argument("--degree", type=int, default=20)
    ap.add_argument("--tol", type=float, default=1e-4)
    args = ap.parse_args()
    t0, w0 = time.process_time(), time.perf_counter()
    d, frame = sparse_dynamical_matrix(args.data, potential=POTENTIAL, root=ROOT)
    d = d.tocsr()
    print(f"{frame.n_atoms} atoms, D {d.shape[0]}² with {d.nnz} non-zeros, assembled in "
          f"{time.process_time() - t0:.0f} s CPU", flush=True)
    masses = np.array([frame.masses[t] for t in frame.types])
    k = n_lowest(0.01, d.shape[0] - 3)
    lam, vec, products, iterations = lowest_modes(
        d, translation_modes(masses), k, buffer=args.buffer, degree=args.degree, tol=args.tol)
    weights = (vec ** 2).reshape(frame.n_atoms, 3, k).sum(axis=1)
    p = {col: weights[:, :n_lowest(f, d.shape[0] - 3)].mean(axis=1)
         for f, col in ((0.01, "p_1pct"), (0.0025, "p_025pct"))}
    print(f"{iterations} iterations, {products} products of D with {k + args.buffer} "
          f"vectors; {time.process_time() - t0:.0f} s CPU, {time.perf_counter() - w0:.0f} s "
          f"wall, peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    if args.dense:
        from scipy.stats import spearmanr

        ref = np.load(args.dense)
        for col, values in p.items():
            print(f"{col}: Spearman vs dense {spearmanr(values, ref[col])[0]:.4f}, largest "
                  f"difference {np.abs(values - ref[col]).max():.2e}")
    print("p sums:", {col: round(float(v.sum()), 6) for col, v in p.items()})


if __name__ == "__main__":
    main()
