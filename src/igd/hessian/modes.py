"""Normal modes of a dynamical matrix: frequencies, per-atom VDOS, boson-peak intensity
and participation fractions (pure functions, no LAMMPS).

An eigenvalue λ of D is ω² in eV/(Å²·amu); ν = √(λ · 9.6485e27 s⁻²)/(2π) in THz
(:data:`EV_A2_AMU_TO_S2`). Negative eigenvalues (unstable modes) get a negative ν.

Normalisations (our choice, the paper's Eq. 6 leaves them open):

* the 3 translational zero modes (the ``n_zero`` modes of smallest |λ|) are excluded;
  the M = 3N − n_zero remaining modes each carry weight 1/M;
* per-atom VDOS g_i(ν) = (1/M) Σ_m δ_σ(ν − ν_m) Σ_α |e_m^{iα}|² with a normalised
  Gaussian δ_σ of width σ (THz); Σ_i g_i = g, the total VDOS, and ∫ g dν = 1 (THz⁻¹);
* I_BP,i = max over the band [ν_lo, ν_hi] of N · g_i(ν)/ν² (THz⁻³). N · g_i has unit
  area on average over atoms, so I_BP is on the scale of max g(ν)/ν² of the whole glass.
  The paper takes the maximum with no band; a band's lower edge only has to keep out
  ν → 0, where the ν² division blows up the Gaussian tails of the lowest modes.
  :func:`resolve_band` with ``"auto"`` puts it at ν₁/2 (ν₁ the lowest non-zero mode):
  the reduced Gaussian δ_σ(ν − ν₁)/ν² of that mode has its maximum at
  ν₊ = (ν₁ + √(ν₁² − 8σ²))/2 and its minimum at ν₋ = (ν₁ − √(ν₁² − 8σ²))/2 (below which
  it rises again as exp(−ν₁²/2σ²)/ν²), and ν₋ ≤ ν₁/2 ≤ ν₊ for every σ: the softest
  modes' peaks are inside the band, the divergence outside. For ν₁ < 2√2 σ there is no
  peak at all (σ too wide to resolve the lowest mode) and a warning is logged;
* participation fraction of atom i in a set S of lowest modes,
  p_i = (1/|S|) Σ_{m∈S} Σ_α |e_m^{iα}|², Σ_i p_i = 1; |S| = ceil(f · M) for a fraction f.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

log = logging.getLogger(__name__)

#: 1 eV/(Å²·amu) in s⁻² (CODATA 2018: eV, amu exact/recommended).
EV_A2_AMU_TO_S2 = 1.602176634e-19 / (1e-20 * 1.66053906660e-27)


def eigenvalue_to_thz(lam: np.ndarray) -> np.ndarray:
    """Frequencies ν (THz) of eigenvalues λ (eV/(Å²·amu)); negative λ gives negative ν."""
    lam = np.asarray(lam, dtype=float)
    return np.sign(lam) * np.sqrt(np.abs(lam) * EV_A2_AMU_TO_S2) / (2 * np.pi * 1e12)


@dataclass
class Modes:
    """Normal modes: ``nu`` (M,) THz ascending, ``weights`` (N, M) = Σ_α |e_m^{iα}|²."""

    nu: np.ndarray
    weights: np.ndarray
    nu_zero: np.ndarray      # frequencies of the excluded zero modes (THz)
    n_negative: int          # non-zero modes with λ < 0 (unstable directions)
    n_total: int | None = None  # M, all non-zero modes, when only the lowest are held


def normal_modes(matrix: np.ndarray, *, n_zero: int = 3, negative_tol: float = 1e-6,
                 chunk: int = 2048) -> Modes:
    """Diagonalise a symmetric dynamical matrix and keep per-atom mode weights.

    The ``n_zero`` modes of smallest |λ| (the rigid translations of a periodic system)
    are removed. ``n_negative`` counts the remaining modes with λ < −``negative_tol``
    (eV/(Å²·amu)) — a true minimum has none. Dense LAPACK ``eigh``: O((3N)³) time and
    2·(3N)² float64 memory.
    """
    dim = matrix.shape[0]
    if matrix.shape != (dim, dim) or dim % 3:
        raise ValueError(f"dynamical matrix must be (3N, 3N), got {matrix.shape}")
    t0 = time.perf_counter()
    lam, vec = np.linalg.eigh(matrix)
    log.info("eigh of a %d×%d matrix in %.1f s", dim, dim, time.perf_counter() - t0)
    zero = np.sort(np.argsort(np.abs(lam))[:n_zero])
    keep = np.setdiff1d(np.arange(dim), zero)
    n_atoms = dim // 3
    weights = np.empty((n_atoms, keep.size))
    for start in range(0, keep.size, chunk):
        cols = keep[start:start + chunk]
        weights[:, start:start + cols.size] = (vec[:, cols] ** 2).reshape(n_atoms, 3, -1).sum(1)
    n_negative = int(np.count_nonzero(lam[keep] < -negative_tol))
    return Modes(nu=eigenvalue_to_thz(lam[keep]), weights=weights,
                 nu_zero=eigenvalue_to_thz(lam[zero]), n_negative=n_negative)


def gaussian_kernel(nu_grid: np.ndarray, nu_modes: np.ndarray, sigma: float) -> np.ndarray:
    """Normalised Gaussians δ_σ(ν_grid − ν_m), shape (n_grid, n_modes), THz⁻¹."""
    if sigma <= 0:
        raise ValueError(f"broadening sigma must be positive, got {sigma}")
    d = (np.asarray(nu_grid)[:, None] - np.asarray(nu_modes)[None, :]) / sigma
    return np.exp(-0.5 * d * d) / (sigma * math.sqrt(2 * math.pi))


def per_atom_vdos(modes: Modes, nu_grid: np.ndarray, sigma: float,
                  chunk: int = 4096) -> np.ndarray:
    """g_i(ν) on ``nu_grid`` (THz), shape (N, n_grid), THz⁻¹; Σ_i ∫ g_i dν = 1."""
    nu_grid = np.asarray(nu_grid, dtype=float)
    n_modes = modes.nu.size
    out = np.zeros((modes.weights.shape[0], nu_grid.size))
    for start in range(0, n_modes, chunk):
        sl = slice(start, start + chunk)
        out += modes.weights[:, sl] @ gaussian_kernel(nu_grid, modes.nu[sl], sigma).T
    return out / (modes.n_total or n_modes)


def total_vdos(modes: Modes, nu_grid: np.ndarray, sigma: float) -> np.ndarray:
    """g(ν) = Σ_i g_i(ν) (THz⁻¹), from the frequencies alone (Σ_i weights = 1 per mode)."""
    kernel = gaussian_kernel(np.asarray(nu_grid, float), modes.nu, sigma)
    return kernel.sum(1) / (modes.n_total or modes.nu.size)


def boson_peak_intensity(g_atoms: np.ndarray, nu_grid: np.ndarray,
                         band: Sequence[float]) -> np.ndarray:
    """I_BP,i = max_{ν∈band} N · g_i(ν)/ν² (THz⁻³), ``g_atoms`` shape (N, n_grid)."""
    nu_grid = np.asarray(nu_grid, dtype=float)
    lo, hi = float(band[0]), float(band[1])
    if not 0 < lo < hi:
        raise ValueError(f"boson-peak band must satisfy 0 < lo < hi, got {band}")
    sel = (nu_grid >= lo) & (nu_grid <= hi)
    if not sel.any():
        raise ValueError(f"no grid frequency inside the band {band}")
    reduced = g_atoms[:, sel] / nu_grid[sel] ** 2
    return g_atoms.shape[0] * reduced.max(axis=1)


BAND_STARTS = ("auto", "fixed")


def resolve_band(band: Sequence[float], band_start: str = "fixed",
                 nu_modes: np.ndarray | None = None, sigma: float | None = None,
                 ) -> tuple[float, float]:
    """The band [lo, hi] (THz) of :func:`boson_peak_intensity`.

    ``band_start="fixed"``: ``band`` as given. ``"auto"``: lo = ν₁/2, half the lowest
    positive frequency of ``nu_modes`` (THz, the non-zero modes: translations already
    removed, unstable modes (ν < 0) ignored), hi = ``band[1]`` (see the module docstring for
    why ν₁/2). Without modes (``nu_modes`` None or no positive one, e.g. the sparse route
    above its exact-mode limit) it falls back to ``band`` with a warning. A warning is also
    logged if ν₁ < 2√2 ``sigma`` (THz): the broadening then hides the lowest mode's peak.
    """
    lo, hi = float(band[0]), float(band[1])
    if band_start not in BAND_STARTS:
        raise ValueError(f"band_start must be one of {BAND_STARTS}, got {band_start!r}")
    if band_start == "fixed":
        return lo, hi
    nu = np.asarray(nu_modes if nu_modes is not None else [], dtype=float)
    nu = nu[nu > 0]
    if nu.size == 0:
        log.warning("band_start auto: no non-zero mode known, fixed band [%g, %g] THz used",
                    lo, hi)
        return lo, hi
    nu1 = float(nu.min())
    if sigma is not None and nu1 < 2 * math.sqrt(2) * sigma:
        log.warning("lowest mode %.3f THz < 2√2·sigma = %.3f THz: its reduced VDOS has no "
                    "peak, I_BP near the band edge %.3f THz", nu1, 2 * math.sqrt(2) * sigma,
                    nu1 / 2)
    if not nu1 / 2 < hi:
        raise ValueError(f"auto band start {nu1 / 2:g} THz is not below hi = {hi:g} THz")
    return nu1 / 2, hi


def n_lowest(fraction: float, n_modes: int) -> int:
    """Number of modes in the lowest ``fraction`` of ``n_modes``: ceil(f·M), at least 1."""
    if not 0 < fraction <= 1:
        raise ValueError(f"mode fraction must be in (0, 1], got {fraction}")
    return max(1, math.ceil(fraction * n_modes - 1e-9))


def participation_fraction(modes: Modes, fraction: float) -> np.ndarray:
    """p_i over the lowest ``fraction`` of the non-zero modes; Σ_i p_i = 1."""
    k = n_lowest(fraction, modes.n_total or modes.nu.size)
    if k > modes.nu.size:
        raise ValueError(f"need the lowest {k} modes, only {modes.nu.size} computed")
    order = np.argsort(modes.nu, kind="stable")[:k]
    return modes.weights[:, order].mean(axis=1)


def fraction_column(fraction: float) -> str:
    """Column name of a participation fraction: 0.01 → ``p_1pct``, 0.0025 → ``p_025pct``."""
    return "p_" + f"{fraction * 100:g}".replace(".", "") + "pct"


def as_grid(spec: Sequence[float] | np.ndarray | Mapping[str, float]) -> np.ndarray:
    """A frequency grid from an array or a ``{start, stop, step}`` dict (stop included)."""
    if isinstance(spec, Mapping):
        n = int(round((spec["stop"] - spec["start"]) / spec["step"])) + 1
        return spec["start"] + spec["step"] * np.arange(n)
    return np.asarray(spec, dtype=float)
