"""Analytic Hessian of an EAM/FS (or EAM/alloy) potential, assembled sparse (sparse route).

The Hessian comes from the potential's setfl tables (:class:`igd.common.eam.EamFS`),
evaluated with the same cubic splines as LAMMPS' pair eam/fs (so it matches
``dynamical_matrix`` to the finite-difference error, the energy to 1e-11 eV), assembled as
a sparse matrix: no 6N force calls, no dense (3N)² array (19 645 atoms in 37 s, 55 M
non-zeros, 4.8 GB peak). E = Σ_i F_i(ρ̄_i) + ½ Σ_{i≠j} φ_ij(r_ij),
ρ̄_i = Σ_j ρ_{t_j→t_i}(r_ij);

    H = Σ_pairs K(½φ_ij + F'_i ρ_{j→i}) blocks  +  Gᵀ diag(F''_i) G,

K(f) = f'' û⊗û + (f'/r)(1 − û⊗û) and G[i, jβ] = ∂ρ̄_i/∂r_jβ (range r_c each, so the
product couples atoms up to 2 r_c apart).
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any, Mapping, Sequence

import numpy as np

from igd.common.datafile import read_lammps_data
from igd.common.eam import EamFS

log = logging.getLogger(__name__)


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
