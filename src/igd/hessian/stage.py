"""The boson-peak stage of one inherent structure: per-atom VDOS, I_BP and participation
fractions as tables, by one of two routes.

* dense (:func:`hessian_vdos`): LAMMPS ``dynamical_matrix`` (:mod:`igd.hessian.dynmat`) +
  LAPACK ``eigh`` (:mod:`igd.hessian.modes`); 500 atoms: 9 s + 2 s. Memory 2·(3N)²·8 B:
  27.8 GB per copy at 19 652 atoms.
* sparse (:func:`hessian_vdos_sparse`, above ``max_dense_atoms``; :func:`boson_peak_stage`
  chooses): the analytic EAM/FS Hessian from the potential tables
  (:mod:`igd.hessian.eam_hessian`; equals ``dynamical_matrix`` to its finite-difference
  error), then the lowest modes exactly by Chebyshev-filtered subspace iteration
  (:func:`igd.hessian.kpm.lowest_eigenpairs`: sparse products only, no LU, any size) and
  the rest of g_i(ν) by the kernel polynomial method (:mod:`igd.hessian.kpm`).

The participation fractions p_* are exact on both routes (diagnostics ``p_method``:
``exact_chebyshev`` on the sparse one): dense ``eigh`` for N ≤ ``max_dense_atoms``, the
filtered subspace iteration above.

Both return the same tables, units, diagnostics, the ``curves`` of a few atoms and the
per-atom VDOS of every atom (:func:`atom_vdos_table`).
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from igd.common.datafile import read_lammps_data
from igd.hessian.dynmat import lammps_dynamical_matrix
from igd.hessian.eam_hessian import sparse_dynamical_matrix
from igd.hessian.kpm import (
    kpm_n_moments,
    kpm_probe_moments,
    lowest_eigenpairs,
    probe_colours,
    spectral_bounds,
    translation_modes,
    vdos_from_moments,
)
from igd.hessian.modes import (
    Modes,
    as_grid,
    boson_peak_intensity,
    eigenvalue_to_thz,
    fraction_column,
    n_lowest,
    normal_modes,
    participation_fraction,
    per_atom_vdos,
    resolve_band,
)

log = logging.getLogger(__name__)


def hessian_vdos(data_file: str | os.PathLike, *, potential: Mapping[str, Any],
                 delta: float, sigma: float, nu_grid: Sequence[float] | np.ndarray,
                 band: Sequence[float], band_start: str = "fixed",
                 fractions: Sequence[float] = (0.01, 0.0025),
                 n_zero: int = 3, log_file: str | os.PathLike | None = None,
                 threads: int = 1, suffix: str | None = None,
                 root: str | os.PathLike = ".", curve_atoms: int = 0,
                 read_matrix: bool = True,
                 ) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str], dict[str, Any]] | None:
    """Boson-peak stage of one sample (dense route; fine up to a few thousand atoms).

    Inputs: the IS data file, the potential config dict, ``delta`` (Å, finite-difference
    step), ``sigma`` (THz, Gaussian broadening), ``nu_grid`` (THz; a list, or a dict
    ``{start, stop, step}``), ``band`` (THz, [lo, hi] of the I_BP maximum) and
    ``band_start`` (``"fixed"``: ``band``; ``"auto"``: lo = half the lowest non-zero mode,
    :func:`igd.hessian.modes.resolve_band`), the mode ``fractions`` of the participation
    fractions.

    Returns ``(vdos_df, atoms_df, units, diagnostics)``:
    ``vdos_df`` has ``nu, g, g_over_nu2`` and per-element partials ``g_<El>`` (Σ = g);
    ``atoms_df`` has ``id, type, I_BP`` and ``p_<pct>pct`` per fraction;
    ``units`` covers the columns of both; ``diagnostics`` holds the zero-mode and
    negative-mode counts, the frequency range and the band used, ``band_THz`` (for the
    table metadata / checks).

    With ``curve_atoms`` = k > 0, ``diagnostics["curves"]`` is a long table (``id, type,
    I_BP, nu, g, g_over_nu2``) of N·g_i(ν) and N·g_i(ν)/ν² of k atoms spread over the
    10 … 90 % quantiles of I_BP (paper Fig. 5c, d).

    ``read_matrix=False`` (MPI ranks > 0): run the same LAMMPS commands (the 6N force
    calls are collective) without reading the matrix, which LAMMPS writes on rank 0 only,
    and return None.
    """
    nu_grid = as_grid(nu_grid)
    frame = read_lammps_data(data_file)
    matrix = lammps_dynamical_matrix(data_file, potential=potential, delta=delta,
                                     log_file=log_file, threads=threads, suffix=suffix,
                                     root=root, read_matrix=read_matrix)
    if matrix is None:
        return None
    modes = normal_modes(matrix, n_zero=n_zero)
    del matrix
    g_atoms = per_atom_vdos(modes, nu_grid, sigma)
    g = g_atoms.sum(axis=0)
    band = resolve_band(band, band_start, modes.nu, sigma)
    vdos, atoms, units = _stage_tables(frame, g_atoms, nu_grid, band, potential)
    for f in fractions:
        atoms[fraction_column(f)] = participation_fraction(modes, f)
        units[fraction_column(f)] = ""
    diagnostics = {"band_THz": list(band), "n_atoms": frame.n_atoms, "n_modes": int(modes.nu.size),
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


def hessian_vdos_sparse(data_file: str | os.PathLike, *, potential: Mapping[str, Any],
                        sigma: float, nu_grid: Sequence[float] | np.ndarray,
                        band: Sequence[float], band_start: str = "fixed",
                        fractions: Sequence[float] = (0.01, 0.0025),
                        n_zero: int = 3, probe_distance: float = 9.0, realisations: int = 2,
                        n_moments: int | None = None, tol: float = 1e-4, seed: int = 0,
                        modes_tol: float = 1e-4, modes_buffer: int = 40,
                        modes_degree: int = 20,
                        root: str | os.PathLike = ".", curve_atoms: int = 0,
                        ) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str], dict[str, Any]]:
    """Boson-peak stage by the sparse route, for large samples: same outputs as
    :func:`hessian_vdos` (tables, units, diagnostics, ``curves``).

    1. Analytic sparse EAM/FS dynamical matrix (:func:`sparse_dynamical_matrix`).
    2. The lowest ceil(f·M) modes of the participation fractions, exactly, at any size:
       Chebyshev-filtered subspace iteration (:func:`lowest_eigenpairs`; residual
       ``modes_tol`` relative to λ_max, ``modes_buffer`` extra vectors, filter degree
       ``modes_degree``); their share of g_i(ν) is summed exactly.
    3. The rest of g_i(ν) on the whole grid by the kernel polynomial method
       (:func:`kpm_probe_moments`), deflated by the exact modes (at least the 3 translations),
       with colour probes ``probe_distance`` (Å) apart, ``realisations`` random-sign sets,
       ``n_moments`` Chebyshev moments (default: from σ and ``tol``).
    4. I_BP in ``band``; ``band_start="auto"`` starts it at half the lowest exact mode
       (``band`` when no fraction is asked for).

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
    bounds = spectral_bounds(d)
    translations = translation_modes(masses) if n_zero == 3 else None
    deflate = translations
    if fractions:
        # the translations are known exactly and projected out; another n_zero is searched
        k = max(n_lowest(f, n_total) for f in fractions) + (0 if n_zero == 3 else n_zero)
        t0 = time.perf_counter()
        lam, vec = lowest_eigenpairs(d, k, deflate=translations, buffer=modes_buffer,
                                     degree=modes_degree, tol=modes_tol, seed=seed,
                                     top=bounds[1])
        if translations is not None:
            lam_zero = np.einsum("ij,ij->j", translations, d @ translations)
            keep = np.arange(k)
            deflate = np.hstack([translations, vec])
        else:
            zero = np.sort(np.argsort(np.abs(lam))[:n_zero])
            lam_zero, keep = lam[zero], np.setdiff1d(np.arange(k), zero)
            deflate = vec
        low = Modes(nu=eigenvalue_to_thz(lam[keep]),
                    weights=(vec[:, keep] ** 2).reshape(frame.n_atoms, 3, -1).sum(1),
                    nu_zero=eigenvalue_to_thz(lam_zero),
                    n_negative=int(np.count_nonzero(lam[keep] < -1e-6)), n_total=n_total)
        del vec
        g_atoms += per_atom_vdos(low, nu_grid, sigma)
        diagnostics.update(p_method="exact_chebyshev", n_modes_exact=int(keep.size),
                           modes_seconds=time.perf_counter() - t0,
                           nu_zero_THz=low.nu_zero.tolist(), n_negative_exact=low.n_negative,
                           nu_min_THz=float(low.nu.min()),
                           nu_max_exact_THz=float(low.nu.max()))
    colour = probe_colours(frame.positions, frame.cell, probe_distance, origin=frame.origin)
    if n_moments is None:
        n_moments = kpm_n_moments(sigma, float(eigenvalue_to_thz(bounds[1])), tol)
    t0 = time.perf_counter()
    mu, bounds = kpm_probe_moments(d, sigma, colour=colour, realisations=realisations,
                                   n_moments=n_moments, deflate=deflate, seed=seed,
                                   bounds=bounds)
    g_atoms += vdos_from_moments(mu, nu_grid, sigma, bounds, n_total)
    diagnostics.update(n_colours=int(colour.max()) + 1, realisations=realisations,
                       n_moments=n_moments, kpm_seconds=time.perf_counter() - t0,
                       nu_max_THz=float(eigenvalue_to_thz(bounds[1] / 1.02)))
    del d, deflate, mu
    band = resolve_band(band, band_start, low.nu if low is not None else None, sigma)
    diagnostics["band_THz"] = list(band)
    vdos, atoms, units = _stage_tables(frame, g_atoms, nu_grid, band, potential)
    for f in fractions:
        atoms[fraction_column(f)] = participation_fraction(low, f)
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
                     writes: bool = True,
                     ) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str], dict[str, Any]] | None:
    """Route choice of the hessian stage: :func:`hessian_vdos` (dense) for
    ``n_atoms ≤ params["max_dense_atoms"]``, else :func:`hessian_vdos_sparse` with the
    ``params["sparse"]`` settings. ``params`` is the ``hessian`` config section.

    Under MPI every rank calls this; ``writes`` is True on the rank that writes the
    outputs (:attr:`igd.common.mpi.Ranks.writes`). The other ranks (``writes=False``) take
    part in the dense route's LAMMPS force calls without reading the matrix, skip the
    sparse route (no LAMMPS: rank 0 does it all), and get None.
    """
    dense = n_atoms <= params["max_dense_atoms"]
    if not writes and not dense:
        return None
    common = dict(potential=potential, sigma=params["sigma"], nu_grid=params["nu_grid"],
                  band=params["band"], band_start=params["band_start"],
                  fractions=params["fractions"],
                  n_zero=params["n_zero"], root=root, curve_atoms=params["curve_atoms"])
    if dense:
        return hessian_vdos(data_file, delta=params["delta"], log_file=log_file,
                            threads=threads, suffix=suffix, read_matrix=writes, **common)
    sparse = params.get("sparse", {})
    return hessian_vdos_sparse(
        data_file, probe_distance=sparse.get("probe_distance", 9.0),
        realisations=sparse.get("realisations", 2), n_moments=sparse.get("n_moments"),
        tol=sparse.get("tol", 1e-4), seed=sparse.get("seed", 0),
        modes_tol=sparse.get("modes_tol", 1e-4), modes_buffer=sparse.get("modes_buffer", 40),
        modes_degree=sparse.get("modes_degree", 20), **common)
