"""Sparse route of the per-atom VDOS: lowest eigenpairs, probe colouring and the kernel
polynomial method (KPM) on a sparse dynamical matrix.

g_i(ν) by KPM: the Gaussian δ_σ(ν − √λ) is expanded in Chebyshev polynomials of D (exact
change of variable, same broadening as the dense route; ~165 moments for σ = 0.1 THz) and
the diagonal Σ_α ⟨iα|·|iα⟩ is read from colour probes (atoms sharing a probe vector ≥
``probe_distance`` apart, random signs; ~70 colours × 3 at 9 Å, whatever N). Cost ∝ N.
The lowest modes (participation fractions) come from Chebyshev-filtered subspace
iteration (:func:`lowest_eigenpairs`: products of D with a block of vectors, no
factorisation, so it scales like the KPM) and are deflated from the KPM part, which removes
its largest noise (few extended modes at low ν). The sparse LU of shift-invert Lanczos,
used before, fills in almost completely for a 3D EAM Hessian (4000 atoms: 1.1e8
non-zeros, minutes) and did not fit at 19 652 atoms.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Sequence

import numpy as np

from igd.hessian.modes import eigenvalue_to_thz, gaussian_kernel

log = logging.getLogger(__name__)


def lowest_eigenpairs(matrix, k: int, *, deflate: np.ndarray | None = None,
                      buffer: int = 40, degree: int = 20, tol: float = 1e-4, seed: int = 0,
                      max_iter: int = 100, top: float | None = None,
                      ) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` lowest eigenpairs (λ ascending, eV/(Å²·amu); vectors (3N, k)) of a sparse
    symmetric matrix outside the span of ``deflate``'s orthonormal columns (e.g. the
    translations), by Chebyshev-filtered subspace iteration: no factorisation.

    A block of ``k + buffer`` vectors is repeatedly multiplied by the degree-``degree``
    Chebyshev polynomial of D that stays within ±1 on [edge, ``top``] (``top`` ≥ λ_max,
    from :func:`spectral_bounds` when None) and grows fast below ``edge`` (the block's
    largest Ritz value), orthonormalised (QR) and rotated to its Ritz vectors
    (Rayleigh–Ritz), until the ``k`` lowest residuals ‖D x − λ x‖ are below ``tol``·``top``.
    Cost per iteration: ``degree`` + 2 sparse products with the block and O(3N·(k+buffer)²)
    dense algebra; memory ~4 blocks of 3N·(k+buffer) floats. The shift-invert Lanczos it
    replaces needed a sparse LU that fills in almost completely for a 3-D EAM Hessian
    (4000 atoms ≈ 1e8 non-zeros) and did not fit at 19 652 atoms.
    """
    dim = matrix.shape[0]
    width = min(k + buffer, dim - (0 if deflate is None else deflate.shape[1]))
    if k > width:
        raise ValueError(f"asked for the lowest {k} modes of a {dim}-dimensional matrix")
    if top is None:
        top = spectral_bounds(matrix)[1]

    def project(x):
        return x if deflate is None else x - deflate @ (deflate.T @ x)

    x, _ = np.linalg.qr(project(np.random.default_rng(seed).standard_normal((dim, width))))
    edge, t0, last = 0.02 * top, time.perf_counter(), math.inf
    for it in range(1, max_iter + 1):
        half, centre = (top - edge) / 2, (top + edge) / 2
        y_prev, y = x, (matrix @ x - centre * x) / half
        for _ in range(degree - 1):
            y_prev, y = y, (2 / half) * (matrix @ y - centre * y) - y_prev
        del y_prev
        x, _ = np.linalg.qr(project(y))
        del y
        lam, rot = np.linalg.eigh(x.T @ (matrix @ x))
        x = x @ rot
        res = np.linalg.norm(matrix @ x[:, :k] - x[:, :k] * lam[:k], axis=0).max() / top
        edge = lam[-1]
        dt = time.perf_counter() - t0
        if res < tol:
            log.info("lowest %d modes: converged in %d iterations, %.0f s (largest "
                     "residual %.1e)", k, it, dt, res)
            return lam[:k], x[:, :k]
        # the residual falls geometrically: ETA from the last two iterations' ratio
        more = (math.ceil(math.log(tol / res) / math.log(res / last))
                if 0 < res < last < math.inf else None)
        log.info("lowest %d modes: iteration %d, largest residual %.1e (target %.0e), "
                 "%.0f s, %.0f s per iteration, ETA %s", k, it, res, tol, dt, dt / it,
                 f"{more * dt / it:.0f} s" if more else "after the next iteration")
        last = res
    raise RuntimeError(f"the lowest {k} modes did not converge in {max_iter} iterations "
                       f"(largest residual {res:.1e}, target {tol:.0e})")


def translation_modes(masses: np.ndarray) -> np.ndarray:
    """The 3 rigid translations of a periodic system as orthonormal zero modes of the
    mass-weighted D: e_{iα} ∝ √m_i δ_αβ, shape (3N, 3). ``masses`` per atom (amu)."""
    w = np.sqrt(np.asarray(masses, dtype=float))
    out = np.zeros((3 * w.size, 3))
    for a in range(3):
        out[a::3, a] = w / np.linalg.norm(w)
    return out


def probe_colours(positions: np.ndarray, cell: np.ndarray, distance: float, *,
                  origin=(0.0, 0.0, 0.0)) -> np.ndarray:
    """Greedy colouring of atoms such that two atoms of one colour are ≥ ``distance`` (Å)
    apart (every periodic image counted). Returns colour indices 0 … n_colours − 1 (N,).
    The count depends on the density and ``distance`` only (≈ 70 at 9 Å in Cu50Zr50)."""
    from igd.common.neighbors import neighbor_pairs  # noqa: PLC0415

    n = len(positions)
    colour = np.full(n, -1, dtype=np.int64)
    if distance <= 0:
        return np.zeros(n, dtype=np.int64)
    pairs = neighbor_pairs(positions, cell, distance, origin=origin)
    ok = pairs.i != pairs.j
    i, j = pairs.i[ok], pairs.j[ok]
    start = np.searchsorted(i, np.arange(n + 1))        # pairs are sorted by i
    for a in range(n):
        used = colour[j[start[a]:start[a + 1]]]
        taken = np.zeros(used.size + 2, dtype=bool)
        taken[used[(used >= 0) & (used < taken.size)]] = True
        colour[a] = int(np.argmin(taken))
    return colour


def colour_probes(colour: np.ndarray, *, realisations: int = 1, seed: int = 0,
                  block: int = 48):
    """Probe vectors (3N, b) blocks: for each realisation r, colour c, direction α, the
    vector Σ_{i: colour c} s_i e_{iα} / √R with random signs s_i = ±1.

    Then Σ_probes v_{iα} (F v)_{iα} = Σ_α F_{iα,iα} + cross terms between atoms of one
    colour only (≥ the probe distance apart), with random signs: unbiased, and the cross
    terms shrink as F_{iα,jα} decays with distance and as 1/√R.
    """
    colour = np.asarray(colour)
    n = colour.size
    rng = np.random.default_rng(seed)
    members = [np.flatnonzero(colour == c) for c in range(int(colour.max()) + 1)]
    jobs = [(r, c, a) for r in range(realisations) for c in range(len(members))
            for a in range(3)]
    signs = [rng.choice([-1.0, 1.0], size=n) for _ in range(realisations)]
    for b0 in range(0, len(jobs), block):
        chunk = jobs[b0:b0 + block]
        v = np.zeros((3 * n, len(chunk)))
        for q, (r, c, a) in enumerate(chunk):
            idx = members[c]
            v[3 * idx + a, q] = signs[r][idx] / math.sqrt(realisations)
        yield v


def spectral_bounds(matrix, *, margin: float = 0.02,
                    negative: float = 1e-4) -> tuple[float, float]:
    """[λ_lo, λ_hi] (eV/(Å²·amu)) enclosing the spectrum of a positive semi-definite D:
    λ_hi = (1 + ``margin``)·λ_max (Lanczos), λ_lo = −``negative``·λ_hi.

    λ_lo must stay tiny: ν(λ) = sign(λ)·√|λ| has a cusp at λ = 0, harmless only near the
    end x = −1 of the Chebyshev interval (there ν ∝ θ, so a Gaussian in ν is as easy to
    resolve at 0.5 THz as at 6 THz). A mode below λ_lo (an unstable IS) makes the Chebyshev
    recursion grow; :func:`kpm_local_moments` warns when the moments exceed their bound.
    """
    from scipy.sparse.linalg import eigsh  # noqa: PLC0415

    top = float(eigsh(matrix, k=1, which="LA", tol=1e-5, return_eigenvectors=False)[0])
    return -negative * (1 + margin) * top, (1 + margin) * top


def kpm_n_moments(sigma: float, nu_top: float, tol: float = 1e-4) -> int:
    """Chebyshev moments that resolve a Gaussian of width σ (THz) in ν on λ ∈ [0, λ_top]:
    in θ = arccos x, ν = ν_top·sin(θ'/2), so σ_θ ≥ 2σ/ν_top and the coefficients decay as
    exp(−k²σ_θ²/2) < ``tol`` for k ≥ √(2 ln 1/tol)·ν_top/(2σ)."""
    return int(math.ceil(math.sqrt(2 * math.log(1 / tol)) * nu_top / (2 * sigma))) + 1


def chebyshev_coefficients(func, bounds: Sequence[float], n_moments: int) -> np.ndarray:
    """c_k (n_moments, n_out) with f(ν(λ)) = Σ_k c_k T_k(x(λ)) on the λ interval ``bounds``
    (eV/(Å²·amu)); x = (2λ − lo − hi)/(hi − lo), ν(λ) = sign(λ)·√|λ| in THz.

    ``func`` maps frequencies ν (q,) in THz to values (q, n_out): expanding a function of ν
    (not of λ) makes the change of variable g(ν) ↔ ω² = λ exact. Chebyshev–Gauss quadrature
    on 4·n_moments nodes."""
    lo, hi = float(bounds[0]), float(bounds[1])
    q = 4 * n_moments
    theta = np.pi * (np.arange(q) + 0.5) / q
    f = np.asarray(func(eigenvalue_to_thz(0.5 * (hi + lo) + 0.5 * (hi - lo) * np.cos(theta))))
    c = np.cos(np.outer(np.arange(n_moments), theta)) @ f.reshape(q, -1) * (2.0 / q)
    c[0] *= 0.5
    return c


def gaussian_chebyshev_coefficients(nu_grid: np.ndarray, sigma: float,
                                    bounds: Sequence[float], n_moments: int) -> np.ndarray:
    """c_k(ν) (n_moments, n_grid) with δ_σ(ν − ν(λ)) = Σ_k c_k(ν) T_k(x(λ)) on ``bounds``
    (:func:`chebyshev_coefficients` of the normalised Gaussian of width σ, THz)."""
    grid = np.asarray(nu_grid, dtype=float)
    return chebyshev_coefficients(lambda nu: gaussian_kernel(grid, nu, sigma).T, bounds,
                                  n_moments)


def kpm_local_moments(matrix, probes, n_moments: int, bounds: Sequence[float], *,
                      deflate: np.ndarray | None = None,
                      total: int | None = None) -> np.ndarray:
    """Local Chebyshev moments μ_k^i = Σ_probes Σ_α v_{iα} [T_k(X) P v]_{iα}, (M, N).

    X = (D − c)/h maps ``bounds`` onto [−1, 1]; P = 1 − V Vᵀ projects out the orthonormal
    columns of ``deflate`` (exact modes, e.g. the translations and the lowest modes).
    Cost: M sparse products per probe (probes come in blocks from an iterable; ``total``
    of them, when known, for the progress log's ETA).
    """
    lo, hi = float(bounds[0]), float(bounds[1])
    c0, h = 0.5 * (hi + lo), 0.5 * (hi - lo)
    dim = matrix.shape[0]
    n_atoms = dim // 3
    mu = np.zeros((n_moments, n_atoms))
    done, t0 = 0, time.perf_counter()
    for v in probes:
        pv = v - deflate @ (deflate.T @ v) if deflate is not None else v
        t_prev = pv
        t_cur = (matrix @ pv - c0 * pv) / h
        mu[0] += (v * t_prev).reshape(n_atoms, -1).sum(1)
        if n_moments > 1:
            mu[1] += (v * t_cur).reshape(n_atoms, -1).sum(1)
        for k in range(2, n_moments):
            t_next = (2.0 / h) * (matrix @ t_cur - c0 * t_cur) - t_prev
            t_prev, t_cur = t_cur, t_next
            mu[k] += (v * t_cur).reshape(n_atoms, -1).sum(1)
        done += v.shape[1]
        bound = (v * v).reshape(n_atoms, -1).sum(1)       # |μ_k^i| ≤ Σ v² when ‖X‖ ≤ 1
        if np.any(np.abs(mu) > 1.01 * (mu[0].__abs__() + bound * done)):
            log.warning("KPM moments grow: a mode lies outside the bounds %s", bounds)
        rate = done / (time.perf_counter() - t0)
        if total:
            log.info("KPM: %d / %d probes done, %.2f probes/s, ETA %.0f s", done, total, rate,
                     (total - done) / rate)
        else:
            log.info("KPM: %d probes done, %.2f probes/s", done, rate)
    return mu


def kpm_probe_moments(matrix, sigma: float, *, colour: np.ndarray, realisations: int = 1,
                      n_moments: int | None = None, tol: float = 1e-4,
                      deflate: np.ndarray | None = None, seed: int = 0,
                      bounds: Sequence[float] | None = None, block: int = 48,
                      ) -> tuple[np.ndarray, tuple[float, float]]:
    """Local Chebyshev moments μ_k^i (M, N) from colour probes (:func:`colour_probes`,
    ``colour`` from :func:`probe_colours`) and the λ ``bounds`` they use
    (:func:`spectral_bounds` when None). ``n_moments`` defaults to :func:`kpm_n_moments`
    (σ in THz, ``tol``)."""
    if bounds is None:
        bounds = spectral_bounds(matrix)
    if n_moments is None:
        n_moments = kpm_n_moments(sigma, float(eigenvalue_to_thz(bounds[1])), tol)
    log.info("KPM: %d moments, %d colours × 3 × %d realisations, λ in [%.4g, %.4g]",
             n_moments, int(colour.max()) + 1, realisations, bounds[0], bounds[1])
    mu = kpm_local_moments(matrix, colour_probes(colour, realisations=realisations,
                                                 seed=seed, block=block),
                           n_moments, bounds, deflate=deflate,
                           total=3 * (int(colour.max()) + 1) * realisations)
    return mu, (float(bounds[0]), float(bounds[1]))


def kpm_local_vdos(matrix, nu_grid: np.ndarray, sigma: float, *, colour: np.ndarray,
                   n_total: int, **moments) -> np.ndarray:
    """Per-atom VDOS g_i(ν) (N, n_grid), THz⁻¹, by the kernel polynomial method, normalised
    as :func:`per_atom_vdos` (1/``n_total`` per mode), without the deflated modes.

    g_i(ν) = (1/M) Σ_α [δ_σ(ν − ν(D))]_{iα,iα}: the same Gaussian broadening as the dense
    route, expanded in Chebyshev polynomials of D (:func:`gaussian_chebyshev_coefficients`),
    diagonal elements from colour probes (:func:`kpm_probe_moments`, whose keyword
    arguments ``moments`` takes: realisations, n_moments, tol, deflate, seed, bounds, block).
    """
    mu, bounds = kpm_probe_moments(matrix, sigma, colour=colour, **moments)
    return vdos_from_moments(mu, nu_grid, sigma, bounds, n_total)


def vdos_from_moments(mu: np.ndarray, nu_grid: np.ndarray, sigma: float,
                      bounds: Sequence[float], n_total: int) -> np.ndarray:
    """g_i(ν) (N, n_grid), THz⁻¹, from local moments ``mu`` (M, N) on λ ``bounds``."""
    coeff = gaussian_chebyshev_coefficients(nu_grid, sigma, bounds, mu.shape[0])
    return (mu.T @ coeff) / n_total
