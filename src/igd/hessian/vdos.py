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
* sparse (:func:`hessian_vdos_sparse`, above ``max_dense_atoms``; :func:`boson_peak_stage`
  chooses): the analytic EAM/FS Hessian from the potential tables (same splines as
  LAMMPS; equals ``dynamical_matrix`` to its finite-difference error, energy to 1e-11 eV;
  19 645 atoms in 37 s, 55 M non-zeros, 4.8 GB peak), then g_i(ν) by the kernel
  polynomial method (KPM): the Gaussian δ_σ(ν − √λ) is expanded in Chebyshev polynomials
  of D (exact change of variable, same broadening as the dense route; ~165 moments for
  σ = 0.1 THz) and the diagonal Σ_α ⟨iα|·|iα⟩ is read from colour probes (atoms sharing a
  probe vector ≥ ``probe_distance`` apart, random signs; ~70 colours × 3 at 9 Å, whatever
  N). Cost ∝ N. The lowest modes (participation fractions) come from shift-invert
  Lanczos (:func:`lowest_eigenpairs`) and are deflated from the KPM part, which removes
  its largest noise (few extended modes at low ν). The sparse LU fills in almost
  completely for a 3D EAM Hessian (4000 atoms: 1.1e8 non-zeros, minutes), so above
  ``max_lu_atoms`` only the translations are deflated and p_* are NaN.
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

from igd.common.datafile import read_lammps_data
from igd.common.eam import EamFS

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
    from igd.common.lammps import load_structure, start_lammps  # noqa: PLC0415

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
    vdos, atoms, units = _stage_tables(frame, g_atoms, nu_grid, band, potential)
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
    diagnostics["atom_vdos"] = atom_vdos_table(frame.ids, frame.types, nu_grid, g_atoms)
    return pd.DataFrame(vdos), pd.DataFrame(atoms), units, diagnostics


ATOM_VDOS_UNITS = {"id": "", "type": "", "nu": "THz", "g": "1/THz (N*g_i)"}
"""Units of :func:`atom_vdos_table`."""


def atom_vdos_table(ids: np.ndarray, types: np.ndarray, nu_grid: np.ndarray,
                    g_atoms: np.ndarray) -> pd.DataFrame:
    """Per-atom VDOS of every atom as a long table ``id, type, nu, g`` with g = N·g_i(ν)
    (1/THz, float32; its mean over atoms is the total g(ν)). ``g_atoms`` (N, K) as
    returned by :func:`per_atom_vdos` (Σ_i g_i = g)."""
    n = len(ids)
    return pd.DataFrame({"id": np.repeat(ids, nu_grid.size),
                         "type": np.repeat(types, nu_grid.size),
                         "nu": np.tile(nu_grid, n),
                         "g": (n * g_atoms).astype(np.float32).ravel()})


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

    Every periodic image within the cutoff counts (:func:`igd.common.neighbors.neighbor_pairs`).
    """
    import scipy.sparse as sp  # noqa: PLC0415

    from igd.common.neighbors import neighbor_pairs  # noqa: PLC0415

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

    from igd.common.lammps import check_potential  # noqa: PLC0415

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


def lowest_eigenpairs(matrix, k: int, *, shift: float = -1e-3) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` lowest eigenpairs (λ ascending, eV/(Å²·amu); vectors (3N, k)) of a sparse
    symmetric matrix by shift-invert Lanczos around ``shift`` (one sparse LU of D − shift).

    The LU fills in strongly for a 3-D EAM Hessian (couplings up to 2 r_c): 4000 atoms
    ≈ 1e8 non-zeros and ~2 min; it does not scale to 2·10⁴ atoms (see ``max_lu_atoms``).
    """
    import scipy.sparse as sp  # noqa: PLC0415
    from scipy.sparse.linalg import LinearOperator, eigsh, splu  # noqa: PLC0415

    dim = matrix.shape[0]
    t0 = time.perf_counter()
    lu = splu((matrix - shift * sp.identity(dim, format="csr")).tocsc(),
              permc_spec="MMD_AT_PLUS_A")
    log.info("sparse LU of D − shift: %d non-zeros in %.1f s", lu.L.nnz + lu.U.nnz,
             time.perf_counter() - t0)
    t0 = time.perf_counter()
    op_inv = LinearOperator((dim, dim), matvec=lu.solve, dtype=float)
    lam, vec = eigsh(matrix, k=k, sigma=shift, which="LM", OPinv=op_inv)
    order = np.argsort(lam)
    log.info("shift-invert Lanczos: %d lowest modes of %d in %.1f s", k, dim,
             time.perf_counter() - t0)
    return lam[order], vec[:, order]


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


def gaussian_chebyshev_coefficients(nu_grid: np.ndarray, sigma: float,
                                    bounds: Sequence[float], n_moments: int) -> np.ndarray:
    """c_k(ν) (n_moments, n_grid) with δ_σ(ν − ν(λ)) = Σ_k c_k(ν) T_k(x(λ)) on the λ interval
    ``bounds``; x = (2λ − lo − hi)/(hi − lo), ν(λ) = sign(λ)·√|λ| in THz (the change of
    variable g(ν) ↔ ω² = λ is exact: the expanded function is the Gaussian in ν itself).
    Chebyshev–Gauss quadrature on 4·n_moments nodes."""
    lo, hi = float(bounds[0]), float(bounds[1])
    q = 4 * n_moments
    theta = np.pi * (np.arange(q) + 0.5) / q
    nu = eigenvalue_to_thz(0.5 * (hi + lo) + 0.5 * (hi - lo) * np.cos(theta))
    f = gaussian_kernel(np.asarray(nu_grid, dtype=float), nu, sigma).T        # (q, n_grid)
    c = np.cos(np.outer(np.arange(n_moments), theta)) @ f * (2.0 / q)
    c[0] *= 0.5
    return c


def kpm_local_moments(matrix, probes, n_moments: int, bounds: Sequence[float], *,
                      deflate: np.ndarray | None = None) -> np.ndarray:
    """Local Chebyshev moments μ_k^i = Σ_probes Σ_α v_{iα} [T_k(X) P v]_{iα}, (M, N).

    X = (D − c)/h maps ``bounds`` onto [−1, 1]; P = 1 − V Vᵀ projects out the orthonormal
    columns of ``deflate`` (exact modes, e.g. the translations and the lowest modes).
    Cost: M sparse products per probe (probes come in blocks from an iterable).
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
        log.info("KPM: %d probes done, %.2f probes/s", done, rate)
    return mu


def kpm_local_vdos(matrix, nu_grid: np.ndarray, sigma: float, *, colour: np.ndarray,
                   n_total: int, realisations: int = 1, n_moments: int | None = None,
                   tol: float = 1e-4, deflate: np.ndarray | None = None, seed: int = 0,
                   bounds: Sequence[float] | None = None, block: int = 48) -> np.ndarray:
    """Per-atom VDOS g_i(ν) (N, n_grid), THz⁻¹, by the kernel polynomial method, normalised
    as :func:`per_atom_vdos` (1/``n_total`` per mode), without the ``deflate`` modes.

    g_i(ν) = (1/M) Σ_α [δ_σ(ν − ν(D))]_{iα,iα}: the same Gaussian broadening as the dense
    route, expanded in Chebyshev polynomials of D (:func:`gaussian_chebyshev_coefficients`),
    diagonal elements from colour probes (:func:`colour_probes`, ``colour`` from
    :func:`probe_colours`). ``n_moments`` defaults to :func:`kpm_n_moments` (``tol``).
    """
    if bounds is None:
        bounds = spectral_bounds(matrix)
    if n_moments is None:
        n_moments = kpm_n_moments(sigma, float(eigenvalue_to_thz(bounds[1])), tol)
    log.info("KPM: %d moments, %d colours × 3 × %d realisations, λ in [%.4g, %.4g]",
             n_moments, int(colour.max()) + 1, realisations, bounds[0], bounds[1])
    mu = kpm_local_moments(matrix, colour_probes(colour, realisations=realisations,
                                                 seed=seed, block=block),
                           n_moments, bounds, deflate=deflate)
    coeff = gaussian_chebyshev_coefficients(nu_grid, sigma, bounds, n_moments)
    return (mu.T @ coeff) / n_total


def hessian_vdos_sparse(data_file: str | os.PathLike, *, potential: Mapping[str, Any],
                        sigma: float, nu_grid: Sequence[float] | np.ndarray,
                        band: Sequence[float], fractions: Sequence[float] = (0.01, 0.0025),
                        n_zero: int = 3, probe_distance: float = 9.0, realisations: int = 2,
                        n_moments: int | None = None, tol: float = 1e-4,
                        max_lu_atoms: int = 5000, seed: int = 0,
                        root: str | os.PathLike = ".", curve_atoms: int = 0,
                        ) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str], dict[str, Any]]:
    """Boson-peak stage by the sparse route, for large samples: same outputs as
    :func:`hessian_vdos` (tables, units, diagnostics, ``curves``).

    1. Analytic sparse EAM/FS dynamical matrix (:func:`sparse_dynamical_matrix`).
    2. If N ≤ ``max_lu_atoms``: the lowest ceil(f·M) modes for the participation fractions,
       exactly, by shift-invert Lanczos (:func:`lowest_eigenpairs`); their share of g_i(ν)
       is summed exactly. Above, the sparse LU does not fit: ``p_*`` columns are NaN.
    3. The rest of g_i(ν) on the whole grid by the kernel polynomial method
       (:func:`kpm_local_vdos`), deflated by the exact modes (at least the 3 translations),
       with colour probes ``probe_distance`` (Å) apart, ``realisations`` random-sign sets,
       ``n_moments`` Chebyshev moments (default: from σ and ``tol``).

    The deflated KPM is unbiased; its per-atom noise shrinks with ``probe_distance`` and
    ``realisations`` (cost ∝ probe_distance³ · realisations · n_moments · nnz(D)).
    """
    nu_grid = as_grid(nu_grid)
    d, frame = sparse_dynamical_matrix(data_file, potential=potential, root=root)
    dim = d.shape[0]
    n_total = dim - n_zero
    masses = np.array([frame.masses[t] for t in frame.types])
    g_atoms = np.zeros((frame.n_atoms, nu_grid.size))
    low: Modes | None = None
    diagnostics: dict[str, Any] = {"route": "sparse", "n_atoms": frame.n_atoms,
                                   "n_modes": n_total}
    if fractions and frame.n_atoms <= max_lu_atoms:
        k = n_zero + max(n_lowest(f, n_total) for f in fractions)
        lam, deflate = lowest_eigenpairs(d, k)
        zero = np.sort(np.argsort(np.abs(lam))[:n_zero])
        keep = np.setdiff1d(np.arange(k), zero)
        low = Modes(nu=eigenvalue_to_thz(lam[keep]),
                    weights=(deflate[:, keep] ** 2).reshape(frame.n_atoms, 3, -1).sum(1),
                    nu_zero=eigenvalue_to_thz(lam[zero]),
                    n_negative=int(np.count_nonzero(lam[keep] < -1e-6)), n_total=n_total)
        g_atoms += per_atom_vdos(low, nu_grid, sigma)
        diagnostics.update(n_modes_exact=int(keep.size), nu_zero_THz=low.nu_zero.tolist(),
                           n_negative_exact=low.n_negative,
                           nu_min_THz=float(low.nu.min()),
                           nu_max_exact_THz=float(low.nu.max()))
    else:
        deflate = translation_modes(masses) if n_zero == 3 else None
        if fractions:
            log.warning("%d atoms > max_lu_atoms = %d: no exact lowest modes, participation "
                        "fractions are NaN", frame.n_atoms, max_lu_atoms)
    colour = probe_colours(frame.positions, frame.cell, probe_distance, origin=frame.origin)
    bounds = spectral_bounds(d)
    t0 = time.perf_counter()
    g_atoms += kpm_local_vdos(d, nu_grid, sigma, colour=colour, n_total=n_total,
                              realisations=realisations, n_moments=n_moments, tol=tol,
                              deflate=deflate, seed=seed, bounds=bounds)
    diagnostics.update(n_colours=int(colour.max()) + 1, realisations=realisations,
                       kpm_seconds=time.perf_counter() - t0,
                       nu_max_THz=float(eigenvalue_to_thz(bounds[1] / 1.02)))
    del d, deflate
    vdos, atoms, units = _stage_tables(frame, g_atoms, nu_grid, band, potential)
    for f in fractions:
        atoms[fraction_column(f)] = (participation_fraction(low, f) if low is not None
                                     else np.full(frame.n_atoms, np.nan))
        units[fraction_column(f)] = ""
    diagnostics["nu_peak_THz"] = float(nu_grid[np.argmax(vdos["g"])])
    if curve_atoms > 0:
        diagnostics["curves"] = _atom_curves(pd.DataFrame(atoms), g_atoms, nu_grid, curve_atoms)
    diagnostics["atom_vdos"] = atom_vdos_table(frame.ids, frame.types, nu_grid, g_atoms)
    return pd.DataFrame(vdos), pd.DataFrame(atoms), units, diagnostics


def _stage_tables(frame, g_atoms: np.ndarray, nu_grid: np.ndarray, band: Sequence[float],
                  potential: Mapping[str, Any]) -> tuple[dict, dict, dict[str, str]]:
    """VDOS columns (total, reduced, per element) and ``id, type, I_BP`` from g_i(ν)."""
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
    return vdos, atoms, units


def boson_peak_stage(data_file: str | os.PathLike, *, potential: Mapping[str, Any],
                     params: Mapping[str, Any], n_atoms: int,
                     log_file: str | os.PathLike | None = None, threads: int = 1,
                     suffix: str | None = None, root: str | os.PathLike = ".",
                     ) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str], dict[str, Any]]:
    """Route choice of the hessian stage: :func:`hessian_vdos` (dense) for
    ``n_atoms ≤ params["max_dense_atoms"]``, else :func:`hessian_vdos_sparse` with the
    ``params["sparse"]`` settings. ``params`` is the ``hessian`` config section."""
    common = dict(potential=potential, sigma=params["sigma"], nu_grid=params["nu_grid"],
                  band=params["band"], fractions=params["fractions"],
                  n_zero=params["n_zero"], root=root, curve_atoms=params["curve_atoms"])
    if n_atoms <= params["max_dense_atoms"]:
        return hessian_vdos(data_file, delta=params["delta"], log_file=log_file,
                            threads=threads, suffix=suffix, **common)
    sparse = params.get("sparse", {})
    return hessian_vdos_sparse(
        data_file, probe_distance=sparse.get("probe_distance", 9.0),
        realisations=sparse.get("realisations", 2), n_moments=sparse.get("n_moments"),
        tol=sparse.get("tol", 1e-4), max_lu_atoms=sparse.get("max_lu_atoms", 5000),
        seed=sparse.get("seed", 0), **common)
