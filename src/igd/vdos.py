"""Harmonic vibrations of an inherent structure: per-atom VDOS and the boson peak.

The dynamical matrix comes from LAMMPS' ``dynamical_matrix`` command (PHONON package,
central finite differences of the forces, 6N force calls). In ``metal`` units its
``regular`` output is already mass-weighted,
D_{iα,jβ} = Φ_{iα,jβ} / √(m_i m_j) in eV/(Å²·amu), written with ``binary yes`` as a raw
row-major (3N × 3N) float64 array without header (checked on fcc Cu against the text
output), rows and columns ordered by atom id (x, y, z of id 1, then of id 2, …).

An eigenvalue λ of D is ω² in eV/(Å²·amu); ν = √(λ · 9.6485e27 s⁻²)/(2π) in THz
(:data:`EV_A2_AMU_TO_S2`). Negative eigenvalues (unstable modes) get a negative ν.

Normalisations (our choice, the paper's Eq. 6 leaves them open):

* the 3 translational zero modes (the ``n_zero`` modes of smallest |λ|) are excluded;
  the M = 3N − n_zero remaining modes each carry weight 1/M;
* per-atom VDOS g_i(ν) = (1/M) Σ_m δ_σ(ν − ν_m) Σ_α |e_m^{iα}|² with a normalised
  Gaussian δ_σ of width σ (THz); Σ_i g_i = g, the total VDOS, and ∫ g dν = 1 (THz⁻¹);
* I_BP,i = max over the band [ν_lo, ν_hi] of N · g_i(ν)/ν² (THz⁻³). N · g_i has unit
  area on average over atoms, so I_BP is on the scale of max g(ν)/ν² of the whole glass;
* participation fraction of atom i in a set S of lowest modes,
  p_i = (1/|S|) Σ_{m∈S} Σ_α |e_m^{iα}|², Σ_i p_i = 1; |S| = ceil(f · M) for a fraction f.

Two routes:

* dense (:func:`hessian_vdos`, the stage driver): LAMMPS ``dynamical_matrix`` + LAPACK
  ``eigh``; 500 atoms: 9 s + 2 s. Memory 2·(3N)²·8 B: 27.8 GB per copy at 19 652 atoms.
* sparse (:func:`hessian_vdos_sparse`, experimental): the analytic EAM/FS Hessian from
  the potential tables (same splines as LAMMPS; equals ``dynamical_matrix`` to its
  finite-difference error, energy to 1e-11 eV) + shift-invert Lanczos of the low band.
  The Hessian scales: 19 645 atoms in 37 s, 55 M non-zeros, 4.8 GB peak. The low-band
  eigensolver does not yet: the sparse LU of a 3D EAM Hessian (couplings up to 2 r_c) fills
  in almost completely (4000 atoms: 1.1e8 non-zeros of 1.44e8, 100–135 s), so beyond a
  few thousand atoms a factorisation-free solver (Chebyshev-filtered subspace iteration or
  LOBPCG on the sparse operator, or kernel-polynomial local DOS) is still needed.
"""

from __future__ import annotations

import logging
import math
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from .data import read_lammps_data

log = logging.getLogger(__name__)

#: 1 eV/(Å²·amu) in s⁻² (CODATA 2018: eV, amu exact/recommended).
EV_A2_AMU_TO_S2 = 1.602176634e-19 / (1e-20 * 1.66053906660e-27)


def eigenvalue_to_thz(lam: np.ndarray) -> np.ndarray:
    """Frequencies ν (THz) of eigenvalues λ (eV/(Å²·amu)); negative λ gives negative ν."""
    lam = np.asarray(lam, dtype=float)
    return np.sign(lam) * np.sqrt(np.abs(lam) * EV_A2_AMU_TO_S2) / (2 * np.pi * 1e12)


def read_dynmat_binary(path: str | os.PathLike, n_atoms: int | None = None) -> np.ndarray:
    """The (3N × 3N) dynamical matrix written by ``dynamical_matrix … binary yes``."""
    flat = np.fromfile(path, dtype=np.float64)
    dim = int(round(math.sqrt(flat.size)))
    if dim * dim != flat.size or dim % 3:
        raise ValueError(f"{path}: {flat.size} doubles is not a (3N)² dynamical matrix")
    if n_atoms is not None and dim != 3 * n_atoms:
        raise ValueError(f"{path}: matrix of dimension {dim}, expected 3·{n_atoms}")
    return flat.reshape(dim, dim)


def symmetrize(matrix: np.ndarray) -> np.ndarray:
    """(D + Dᵀ)/2, in place on ``matrix`` (finite differences break the symmetry slightly)."""
    matrix += matrix.T.copy()
    matrix *= 0.5
    return matrix


def lammps_dynamical_matrix(data_file: str | os.PathLike, *, potential: Mapping[str, Any],
                            delta: float, log_file: str | os.PathLike | None = None,
                            threads: int = 1, suffix: str | None = None,
                            root: str | os.PathLike = ".") -> np.ndarray:
    """Symmetrised mass-weighted dynamical matrix (eV/(Å²·amu)) of a LAMMPS data file.

    ``delta`` is the finite-difference displacement (Å). Masses come from the data
    file's ``Masses`` section; rows/columns are ordered by atom id. Costs 6N force calls
    and a (3N)² float64 matrix in memory and on a temporary file.
    """
    from .lmp import load_structure, start_lammps  # noqa: PLC0415

    frame = read_lammps_data(data_file)
    if not frame.masses:
        raise ValueError(f"{data_file}: no Masses section; the dynamical matrix needs them")
    lmp = start_lammps(log_file, threads=threads, suffix=suffix)
    try:
        load_structure(lmp, data_file, potential, root=root)
        n = int(lmp.get_natoms())
        with tempfile.TemporaryDirectory(prefix="igd_dynmat_") as tmp:
            out = Path(tmp) / "dynmat.bin"
            t0 = time.perf_counter()
            log.info("dynamical_matrix: %d atoms, %d force calls, delta %.1e Å", n, 6 * n, delta)
            lmp.command(f"dynamical_matrix all regular {delta} file {out} binary yes")
            log.info("dynamical_matrix done in %.1f s", time.perf_counter() - t0)
            matrix = read_dynmat_binary(out, n)
    finally:
        lmp.close()
    return symmetrize(matrix)


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


def hessian_vdos(data_file: str | os.PathLike, *, potential: Mapping[str, Any],
                 delta: float, sigma: float, nu_grid: Sequence[float] | np.ndarray,
                 band: Sequence[float], fractions: Sequence[float] = (0.01, 0.0025),
                 n_zero: int = 3, log_file: str | os.PathLike | None = None,
                 threads: int = 1, suffix: str | None = None,
                 root: str | os.PathLike = ".", curve_atoms: int = 0,
                 ) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str], dict[str, Any]]:
    """Boson-peak stage of one sample (dense route; fine up to a few thousand atoms).

    Inputs: the IS data file, the potential config dict, ``delta`` (Å, finite-difference
    step), ``sigma`` (THz, Gaussian broadening), ``nu_grid`` (THz; a list, or a dict
    ``{start, stop, step}``), ``band`` (THz, [lo, hi] of the I_BP maximum), the mode
    ``fractions`` of the participation fractions.

    Returns ``(vdos_df, atoms_df, units, diagnostics)``:
    ``vdos_df`` has ``nu, g, g_over_nu2`` and per-element partials ``g_<El>`` (Σ = g);
    ``atoms_df`` has ``id, type, I_BP`` and ``p_<pct>pct`` per fraction;
    ``units`` covers the columns of both; ``diagnostics`` holds the zero-mode and
    negative-mode counts and the frequency range (for the table metadata / checks).

    With ``curve_atoms`` = k > 0, ``diagnostics["curves"]`` is a long table (``id, type,
    I_BP, nu, g, g_over_nu2``) of N·g_i(ν) and N·g_i(ν)/ν² of k atoms spread over the
    10 … 90 % quantiles of I_BP (paper Fig. 5c, d).
    """
    nu_grid = as_grid(nu_grid)
    frame = read_lammps_data(data_file)
    matrix = lammps_dynamical_matrix(data_file, potential=potential, delta=delta,
                                     log_file=log_file, threads=threads, suffix=suffix,
                                     root=root)
    modes = normal_modes(matrix, n_zero=n_zero)
    del matrix
    g_atoms = per_atom_vdos(modes, nu_grid, sigma)
    g = g_atoms.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        g_over_nu2 = np.where(nu_grid > 0, g / nu_grid ** 2, np.nan)
    vdos = {"nu": nu_grid, "g": g, "g_over_nu2": g_over_nu2}
    units = {"nu": "THz", "g": "1/THz", "g_over_nu2": "1/THz^3", "id": "", "type": "",
             "I_BP": "1/THz^3"}
    elements = list(potential.get("elements", []))
    for t in np.unique(frame.types):
        name = elements[t - 1] if t - 1 < len(elements) else f"type{t}"
        vdos[f"g_{name}"] = g_atoms[frame.types == t].sum(axis=0)
        units[f"g_{name}"] = "1/THz"
    atoms = {"id": frame.ids, "type": frame.types,
             "I_BP": boson_peak_intensity(g_atoms, nu_grid, band)}
    for f in fractions:
        atoms[fraction_column(f)] = participation_fraction(modes, f)
        units[fraction_column(f)] = ""
    diagnostics = {"n_atoms": frame.n_atoms, "n_modes": int(modes.nu.size),
                   "nu_zero_THz": modes.nu_zero.tolist(), "n_negative": modes.n_negative,
                   "nu_min_THz": float(modes.nu.min()), "nu_max_THz": float(modes.nu.max()),
                   "nu_peak_THz": float(nu_grid[np.argmax(g)])}
    log.info("VDOS: %d modes, ν in [%.3f, %.3f] THz, peak %.2f THz, %d negative",
             modes.nu.size, diagnostics["nu_min_THz"], diagnostics["nu_max_THz"],
             diagnostics["nu_peak_THz"], modes.n_negative)
    if curve_atoms > 0:
        diagnostics["curves"] = _atom_curves(pd.DataFrame(atoms), g_atoms, nu_grid, curve_atoms)
    return pd.DataFrame(vdos), pd.DataFrame(atoms), units, diagnostics


def _atom_curves(atoms: pd.DataFrame, g_atoms: np.ndarray, grid: np.ndarray,
                 k: int) -> pd.DataFrame:
    order = np.argsort(atoms["I_BP"].to_numpy(), kind="stable")
    quantiles = np.linspace(0.1, 0.9, k) if k > 1 else np.array([0.5])
    picks = order[np.unique(np.rint(quantiles * (len(order) - 1)).astype(int))]
    g_sel = len(atoms) * g_atoms[picks]
    with np.errstate(divide="ignore", invalid="ignore"):
        reduced = np.where(grid > 0, g_sel / grid ** 2, np.nan)
    return pd.DataFrame({
        "id": np.repeat(atoms["id"].to_numpy()[picks], grid.size),
        "type": np.repeat(atoms["type"].to_numpy()[picks], grid.size),
        "I_BP": np.repeat(atoms["I_BP"].to_numpy()[picks], grid.size),
        "nu": np.tile(grid, len(picks)), "g": g_sel.ravel(), "g_over_nu2": reduced.ravel()})


def as_grid(spec: Sequence[float] | np.ndarray | Mapping[str, float]) -> np.ndarray:
    """A frequency grid from an array or a ``{start, stop, step}`` dict (stop included)."""
    if isinstance(spec, Mapping):
        n = int(round((spec["stop"] - spec["start"]) / spec["step"])) + 1
        return spec["start"] + spec["step"] * np.arange(n)
    return np.asarray(spec, dtype=float)


# =========================================================================== sparse route
# Analytic Hessian of an EAM/FS potential from its setfl tables, evaluated with the same
# cubic splines as LAMMPS' pair eam/fs (so it matches ``dynamical_matrix`` to the
# finite-difference error), assembled as a sparse matrix: no 6N force calls, no dense
# (3N)² array.  E = Σ_i F_i(ρ̄_i) + ½ Σ_{i≠j} φ_ij(r_ij),  ρ̄_i = Σ_j ρ_{t_j→t_i}(r_ij).
#   H = Σ_pairs K(½φ_ij + F'_i ρ_{j→i}) blocks  +  Gᵀ diag(F''_i) G,
# K(f) = f'' û⊗û + (f'/r)(1 − û⊗û) and G[i, jβ] = ∂ρ̄_i/∂r_jβ (range r_c each, so the
# product couples atoms up to 2 r_c apart).


@dataclass
class SplineTable:
    """A LAMMPS-style cubic spline on a uniform grid x_m = (m−1)·delta, m = 1 … n."""

    delta: float
    coeff: np.ndarray  # (n, 4): c3, c4, c5, c6 of ((c3 p + c4) p + c5) p + c6

    @classmethod
    def from_values(cls, f: np.ndarray, delta: float) -> "SplineTable":
        f = np.asarray(f, dtype=float)
        n = f.size
        s5 = np.empty(n)
        s5[0] = f[1] - f[0]
        s5[1] = 0.5 * (f[2] - f[0])
        s5[n - 2] = 0.5 * (f[n - 1] - f[n - 3])
        s5[n - 1] = f[n - 1] - f[n - 2]
        s5[2:n - 2] = ((f[0:n - 4] - f[4:n]) + 8.0 * (f[3:n - 1] - f[1:n - 3])) / 12.0
        s4 = np.zeros(n)
        s3 = np.zeros(n)
        df = f[1:] - f[:-1]
        s4[:-1] = 3.0 * df - 2.0 * s5[:-1] - s5[1:]
        s3[:-1] = s5[:-1] + s5[1:] - 2.0 * df
        return cls(delta=float(delta), coeff=np.stack([s3, s4, s5, f], axis=1))

    def __call__(self, x: np.ndarray, clamp_low: int = 0) -> tuple[np.ndarray, ...]:
        """(value, first, second derivative) at x, LAMMPS' index/clamping rules."""
        n = self.coeff.shape[0]
        p = np.asarray(x, dtype=float) / self.delta + 1.0
        m = np.minimum(p.astype(np.int64), n - 1)
        if clamp_low:
            m = np.maximum(m, clamp_low)
        p = np.minimum(p - m, 1.0)
        c3, c4, c5, c6 = self.coeff[m - 1].T
        val = ((c3 * p + c4) * p + c5) * p + c6
        d1 = ((3 * c3 * p + 2 * c4) * p + c5) / self.delta
        d2 = (6 * c3 * p + 2 * c4) / self.delta ** 2
        return val, d1, d2


@dataclass
class EamFS:
    """Tables of an EAM/FS (or setfl alloy) file: F_a(ρ), ρ_{a→b}(r), r·φ_ab(r)."""

    elements: list[str]
    cutoff: float
    rho_max: float
    embed: list[SplineTable]              # per element a
    density: list[list[SplineTable]]      # [a][b]: density of an a atom at a b site
    z2r: list[list[SplineTable]]          # [a][b] = [b][a]: r·φ_ab(r)

    @classmethod
    def read(cls, path: str | os.PathLike, fs: bool = True) -> "EamFS":
        words = Path(path).read_text().splitlines()
        header = words[3].split()
        n_el = int(header[0])
        elements = header[1:1 + n_el]
        nrho, drho, nr, dr, cut = words[4].split()
        nrho, nr, drho, dr, cut = int(nrho), int(nr), float(drho), float(dr), float(cut)
        rest = " ".join(words[5:]).split()
        pos = 0

        def take(k):
            nonlocal pos
            out = np.array(rest[pos:pos + k], dtype=float)
            pos += k
            return out

        embed, dens = [], []
        for _a in range(n_el):
            pos += 4                                     # Z, mass, a0, lattice
            embed.append(SplineTable.from_values(take(nrho), drho))
            n_dens = n_el if fs else 1
            row = [SplineTable.from_values(take(nr), dr) for _ in range(n_dens)]
            dens.append(row if fs else row * n_el)
        z2r = [[None] * n_el for _ in range(n_el)]
        for a in range(n_el):
            for b in range(a + 1):
                z2r[a][b] = z2r[b][a] = SplineTable.from_values(take(nr), dr)
        return cls(elements=elements, cutoff=cut, rho_max=(nrho - 1) * drho, embed=embed,
                   density=dens, z2r=z2r)


def _by_type(table_of, keys: np.ndarray, x: np.ndarray, n_out: int = 3):
    """Evaluate per-key splines on x, vectorised over the unique keys."""
    out = [np.zeros_like(x, dtype=float) for _ in range(n_out)]
    for key in np.unique(keys, axis=0):
        sel = np.all(keys == key, axis=1) if keys.ndim > 1 else keys == key
        res = table_of(key)(x[sel])
        for o, r in zip(out, res):
            o[sel] = r
    return out


def eam_hessian(positions: np.ndarray, cell: np.ndarray, types: np.ndarray,
                eam: EamFS, element_of_type: Sequence[str], *,
                origin=(0.0, 0.0, 0.0)) -> tuple[Any, float]:
    """Sparse Hessian (eV/Å², CSR, 3N × 3N, atoms in the given order) and the energy (eV).

    Every periodic image within the cutoff counts (:func:`igd.neighbors.neighbor_pairs`).
    """
    import scipy.sparse as sp  # noqa: PLC0415

    from .neighbors import neighbor_pairs  # noqa: PLC0415

    types = np.asarray(types)
    n = len(types)
    el = np.array([eam.elements.index(element_of_type[t - 1]) for t in types])
    pairs = neighbor_pairs(positions, cell, eam.cutoff, origin=origin)
    pairs_ok = pairs.dist < eam.cutoff
    i, j, r = pairs.i[pairs_ok], pairs.j[pairs_ok], pairs.dist[pairs_ok]
    u = pairs.vec[pairs_ok] / r[:, None]
    ei, ej = el[i], el[j]
    # density at i from j, and its derivatives
    rho, drho, d2rho = _by_type(lambda k: eam.density[k[0]][k[1]], np.stack([ej, ei], 1), r)
    rho_bar = np.bincount(i, rho, minlength=n)
    f, df, d2f = _by_type(lambda k: eam.embed[k], el, rho_bar)
    if np.any(rho_bar > eam.rho_max):
        log.warning("density beyond the tabulated range: the Hessian extrapolates")
    z, dz, d2z = _by_type(lambda k: eam.z2r[k[0]][k[1]], np.stack([ei, ej], 1), r)
    phi = z / r
    dphi = (dz - phi) / r
    d2phi = (d2z - 2 * dphi) / r
    energy = float(f.sum() + 0.5 * phi.sum())
    # effective pair part: ψ_ij = ½φ + F'_i ρ_{j→i}
    d1 = 0.5 * dphi + df[i] * drho
    d2 = 0.5 * d2phi + df[i] * d2rho
    uu = u[:, :, None] * u[:, None, :]
    k_blocks = d2[:, None, None] * uu + (d1 / r)[:, None, None] * (np.eye(3) - uu)
    a3 = np.arange(3)
    rows_b = (3 * np.repeat(i, 9).reshape(-1, 3, 3) + a3[None, :, None])
    cols_j = (3 * np.repeat(j, 9).reshape(-1, 3, 3) + a3[None, None, :])
    cols_i = (3 * np.repeat(i, 9).reshape(-1, 3, 3) + a3[None, None, :])
    rows_j = (3 * np.repeat(j, 9).reshape(-1, 3, 3) + a3[None, :, None])
    data = np.concatenate([k_blocks, k_blocks, -k_blocks, -k_blocks], axis=0).ravel()
    rows = np.concatenate([rows_b, rows_j, rows_b, rows_j]).ravel()
    cols = np.concatenate([cols_i, cols_j, cols_j, cols_i]).ravel()
    h_pair = sp.coo_matrix((data, (rows, cols)), shape=(3 * n, 3 * n)).tocsr()
    del data, rows, cols, k_blocks, uu
    # G[i, jβ] = ρ'_{j→i} û_ij β ; G[i, iβ] = −Σ_j ρ'_{j→i} û_ij β
    g = drho[:, None] * u
    g_rows = np.concatenate([np.repeat(i, 3), np.repeat(i, 3)])
    g_cols = np.concatenate([(3 * j[:, None] + a3).ravel(), (3 * i[:, None] + a3).ravel()])
    g_mat = sp.coo_matrix((np.concatenate([g.ravel(), -g.ravel()]), (g_rows, g_cols)),
                          shape=(n, 3 * n)).tocsr()
    h_embed = (g_mat.T @ sp.diags(d2f) @ g_mat).tocsr()
    return (h_pair + h_embed).tocsr(), energy


def sparse_dynamical_matrix(data_file: str | os.PathLike, *, potential: Mapping[str, Any],
                            root: str | os.PathLike = ".") -> tuple[Any, Any]:
    """Mass-weighted sparse dynamical matrix (eV/(Å²·amu)) of a data file, by atom id.

    Analytic EAM/FS Hessian (:func:`eam_hessian`); returns ``(D, frame)``.
    """
    import scipy.sparse as sp  # noqa: PLC0415

    from .lmp import check_potential  # noqa: PLC0415

    path = check_potential(potential, root)
    if potential.get("pair_style", "eam/fs") not in ("eam/fs", "eam/alloy"):
        raise ValueError("the sparse route implements pair_style eam/fs and eam/alloy only")
    eam = EamFS.read(path, fs=potential.get("pair_style", "eam/fs") == "eam/fs")
    frame = read_lammps_data(data_file)
    t0 = time.perf_counter()
    h, _energy = eam_hessian(frame.positions, frame.cell, frame.types, eam,
                             list(potential["elements"]), origin=frame.origin)
    inv_sqrt_m = np.repeat(1.0 / np.sqrt([frame.masses[t] for t in frame.types]), 3)
    d = sp.diags(inv_sqrt_m) @ h @ sp.diags(inv_sqrt_m)
    d = (0.5 * (d + d.T)).tocsr()
    log.info("sparse Hessian of %d atoms: %d non-zeros (%.1f MB) in %.1f s", frame.n_atoms,
             d.nnz, (d.data.nbytes + d.indices.nbytes + d.indptr.nbytes) / 1e6,
             time.perf_counter() - t0)
    return d, frame


def lowest_modes(matrix, nu_cut: float, *, n_zero: int = 3, k_start: int | None = None,
                 min_modes: int = 0, shift: float = -1e-3, max_fraction: float = 0.3
                 ) -> Modes:
    """The lowest modes of a sparse dynamical matrix, up to at least ``nu_cut`` (THz).

    Shift-invert Lanczos (ARPACK ``eigsh`` around the small negative ``shift``,
    eV/(Å²·amu), so that D − shift·1 is positive definite and the sparse LU is of a regular
    matrix). The number k of requested modes doubles from ``k_start`` (default 2 % of 3N)
    until the highest returned frequency reaches ``nu_cut`` and at least ``min_modes``
    non-zero modes are held; beyond ``max_fraction`` of 3N use the dense route instead.
    The returned :class:`Modes` carries ``n_total = 3N − n_zero`` so that VDOS and
    participation fractions are normalised exactly as in the dense route.
    """
    import scipy.sparse as sp  # noqa: PLC0415
    from scipy.sparse.linalg import LinearOperator, eigsh, splu  # noqa: PLC0415

    dim = matrix.shape[0]
    t0 = time.perf_counter()
    # one factorisation for all k; minimum-degree ordering on the symmetric pattern keeps
    # the fill lowest (4000-atom glass: 1.1e8 non-zeros in L+U, 135 s on one loaded core)
    lu = splu((matrix - shift * sp.identity(dim, format="csr")).tocsc(),
              permc_spec="MMD_AT_PLUS_A")
    op_inv = LinearOperator((dim, dim), matvec=lu.solve, dtype=float)
    log.info("sparse LU of D − shift: %d non-zeros in %.1f s", lu.L.nnz + lu.U.nnz,
             time.perf_counter() - t0)
    n_atoms = dim // 3
    k = int(k_start or max(60, 0.02 * dim))
    k = max(k, min_modes + n_zero)
    while True:
        if k > max_fraction * dim:
            raise ValueError(f"{k} modes below {nu_cut} THz is over {max_fraction:.0%} of "
                             f"{dim}: use the dense route")
        t0 = time.perf_counter()
        lam, vec = eigsh(matrix, k=k, sigma=shift, which="LM", OPinv=op_inv)
        order = np.argsort(lam)
        lam, vec = lam[order], vec[:, order]
        log.info("shift-invert Lanczos: %d modes of %d, up to %.3f THz, in %.1f s", k, dim,
                 eigenvalue_to_thz(lam[-1]), time.perf_counter() - t0)
        nu_top = float(eigenvalue_to_thz(lam[-1]))
        if nu_top >= nu_cut:
            break
        # Debye-like count N(ν) ∝ ν³ for the next guess, at least doubling
        k = int(math.ceil(k * max(2.0, 1.15 * (nu_cut / max(nu_top, 1e-3)) ** 3)))
    zero = np.sort(np.argsort(np.abs(lam))[:n_zero])
    keep = np.setdiff1d(np.arange(k), zero)
    weights = (vec[:, keep] ** 2).reshape(n_atoms, 3, -1).sum(1)
    return Modes(nu=eigenvalue_to_thz(lam[keep]), weights=weights,
                 nu_zero=eigenvalue_to_thz(lam[zero]),
                 n_negative=int(np.count_nonzero(lam[keep] < -1e-6)), n_total=dim - n_zero)


def hessian_vdos_sparse(data_file: str | os.PathLike, *, potential: Mapping[str, Any],
                        sigma: float, nu_grid: Sequence[float] | np.ndarray,
                        band: Sequence[float], fractions: Sequence[float] = (0.01, 0.0025),
                        n_zero: int = 3, tail_sigmas: float = 5.0,
                        root: str | os.PathLike = ".",
                        ) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str], dict[str, Any]]:
    """Boson-peak stage by the sparse route, for large samples (same outputs as
    :func:`hessian_vdos`, restricted to low frequencies).

    Analytic sparse EAM/FS Hessian + shift-invert Lanczos for the modes up to
    ν_hi + ``tail_sigmas``·σ. ``I_BP`` and the participation fractions equal the dense
    route's (the omitted higher modes contribute < exp(−tail_sigmas²/2) inside the band);
    ``vdos_df`` is returned only on the grid points ν ≤ ν_hi (above, modes are missing).
    """
    nu_grid = as_grid(nu_grid)
    d, frame = sparse_dynamical_matrix(data_file, potential=potential, root=root)
    n_min = max(n_lowest(f, d.shape[0] - n_zero) for f in fractions) if fractions else 0
    modes = lowest_modes(d, band[1] + tail_sigmas * sigma, n_zero=n_zero, min_modes=n_min)
    del d
    low = nu_grid[nu_grid <= band[1]]
    g_atoms = per_atom_vdos(modes, low, sigma)
    g = g_atoms.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        g_over_nu2 = np.where(low > 0, g / low ** 2, np.nan)
    vdos = {"nu": low, "g": g, "g_over_nu2": g_over_nu2}
    atoms = {"id": frame.ids, "type": frame.types,
             "I_BP": boson_peak_intensity(g_atoms, low, band)}
    units = {"nu": "THz", "g": "1/THz", "g_over_nu2": "1/THz^3", "id": "", "type": "",
             "I_BP": "1/THz^3"}
    for f in fractions:
        atoms[fraction_column(f)] = participation_fraction(modes, f)
        units[fraction_column(f)] = ""
    diagnostics = {"n_atoms": frame.n_atoms, "n_modes": int(modes.n_total),
                   "n_modes_computed": int(modes.nu.size),
                   "nu_zero_THz": modes.nu_zero.tolist(), "n_negative": modes.n_negative,
                   "nu_min_THz": float(modes.nu.min()),
                   "nu_max_computed_THz": float(modes.nu.max())}
    return pd.DataFrame(vdos), pd.DataFrame(atoms), units, diagnostics
