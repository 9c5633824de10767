"""Falk–Langer non-affine squared displacement D²min, vectorised over atoms.

For atom i with neighbours j (within ``cutoff`` in the *reference* configuration), bond
vectors d⁰_ij (reference) and d_ij (current), the best local affine map is
J_i = X_i Y_i⁻¹ with X_i = Σ_j d_ij ⊗ d⁰_ij and Y_i = Σ_j d⁰_ij ⊗ d⁰_ij, and

    D²_i = w_i Σ_j |d_ij − J_i d⁰_ij|²   (Å²),

w_i = 1/N_i (``normalization="mean"``, Eq. 4 of the IGD paper, papers/001, which labels
with ΔD²min > 0.05 Å²) or w_i = 1 (``normalization="sum"``, the original Falk & Langer,
Phys. Rev. E 57, 7192 (1998) — also what OVITO's ``AtomicStrainModifier`` reports as
"Nonaffine Squared Displacement"; tests/test_dmin.py checks that against OVITO).

Periodic bookkeeping: the neighbour list (with its image shifts) is built once on the
reference with :func:`igd.common.neighbors.neighbor_pairs`, every periodic image counted. The
current bond vector of the same pair is obtained in reduced (fractional) coordinates,

    d_ij = (d⁰_ij H₀⁻¹ + Δs_j − Δs_i) H,     Δs = s − s⁰ − round(s − s⁰),

where H₀, H are the reference and current cells (rows a, b, c) and s the reduced
positions. So the atoms may be wrapped, or remapped by LAMMPS across the boundary between
the two configurations: only the *non-lattice* part of each atom's reduced displacement
is used, which is right as long as no atom moves by half a cell or more between them —
always true for the configurations Δγ = 1e-4 apart that ΔD²min compares. Cells may be
triclinic and differ (sheared box); an affine deformation of the whole box gives D² = 0
to rounding.
"""

from __future__ import annotations

import numpy as np

from igd.common.neighbors import Pairs, neighbor_pairs

NORMALIZATIONS = ("mean", "sum")


def reduced_displacements(ref_positions: np.ndarray, positions: np.ndarray,
                          ref_cell: np.ndarray, cell: np.ndarray, *,
                          ref_origin=(0.0, 0.0, 0.0), origin=(0.0, 0.0, 0.0)) -> np.ndarray:
    """Per-atom displacement in reduced coordinates, lattice translations removed.

    Returns Δs (N, 3) in (−½, ½]: fractional displacement of each atom from the reference
    (in H₀) to the current configuration (in H), nearest periodic image.
    """
    s0 = (np.asarray(ref_positions, float) - np.asarray(ref_origin, float)) @ np.linalg.inv(
        np.asarray(ref_cell, float))
    s1 = (np.asarray(positions, float) - np.asarray(origin, float)) @ np.linalg.inv(
        np.asarray(cell, float))
    ds = s1 - s0
    return ds - np.round(ds)


def current_bond_vectors(pairs: Pairs, reduced_disp: np.ndarray, ref_cell: np.ndarray,
                         cell: np.ndarray) -> np.ndarray:
    """Bond vectors d_ij (Å) in the current cell of the reference pairs ``pairs``."""
    ref_frac = pairs.vec @ np.linalg.inv(np.asarray(ref_cell, float))
    frac = ref_frac + reduced_disp[pairs.j] - reduced_disp[pairs.i]
    return frac @ np.asarray(cell, float)


def d2min_from_bonds(i: np.ndarray, ref_vec: np.ndarray, cur_vec: np.ndarray,
                     n_atoms: int, *, normalization: str = "mean") -> np.ndarray:
    """D²min (Å²) per atom from bond vectors: ``ref_vec``/``cur_vec`` (P, 3) of centre ``i``.

    Batched 3×3 solves, no loop over atoms. Atoms whose reference neighbours do not span
    3D (fewer than three non-coplanar bonds) use the pseudo-inverse of Y (the minimum-norm
    least-squares J); atoms without neighbours get NaN.
    """
    if normalization not in NORMALIZATIONS:
        raise ValueError(f"normalization must be one of {NORMALIZATIONS}, got {normalization!r}")
    i = np.asarray(i, dtype=np.int64)
    counts = np.bincount(i, minlength=n_atoms)
    # Y_i = Σ d0 d0ᵀ, X_i = Σ d d0ᵀ, accumulated as flat (N, 9) with bincount per component
    yy = np.einsum("pa,pb->pab", ref_vec, ref_vec).reshape(-1, 9)
    xy = np.einsum("pa,pb->pab", cur_vec, ref_vec).reshape(-1, 9)
    Y = np.stack([np.bincount(i, weights=yy[:, k], minlength=n_atoms) for k in range(9)],
                 axis=1).reshape(n_atoms, 3, 3)
    X = np.stack([np.bincount(i, weights=xy[:, k], minlength=n_atoms) for k in range(9)],
                 axis=1).reshape(n_atoms, 3, 3)
    # J Y = X  <=>  Y Jᵀ = Xᵀ (Y symmetric)
    scale = np.einsum("nii->n", Y) / 3.0
    scale[scale == 0] = 1.0
    rcond = np.linalg.cond(Y / scale[:, None, None]) if n_atoms else np.zeros(0)
    good = np.isfinite(rcond) & (rcond < 1e10)
    Jt = np.empty_like(Y)
    if good.any():
        Jt[good] = np.linalg.solve(Y[good], np.swapaxes(X[good], 1, 2))
    if (~good).any():
        Jt[~good] = np.linalg.pinv(Y[~good]) @ np.swapaxes(X[~good], 1, 2)
    # residuals per bond: d − J d0 = d − d0 Jᵀ
    res = cur_vec - np.einsum("pa,pab->pb", ref_vec, Jt[i])
    d2 = np.bincount(i, weights=np.einsum("pa,pa->p", res, res), minlength=n_atoms)
    if normalization == "mean":
        with np.errstate(invalid="ignore", divide="ignore"):
            d2 = d2 / counts
    d2[counts == 0] = np.nan
    return d2


def d2min(ref_positions: np.ndarray, positions: np.ndarray, ref_cell: np.ndarray,
          cell: np.ndarray | None = None, cutoff: float | None = None, *,
          ref_origin=(0.0, 0.0, 0.0), origin=None, pairs: Pairs | None = None,
          normalization: str = "mean") -> np.ndarray:
    """Non-affine squared displacement D²min (Å²) of every atom, reference → current.

    Parameters
    ----------
    ref_positions, positions : (N, 3) Å, same atom order; wrapped or not.
    ref_cell, cell : (3, 3) Å, rows a, b, c (``cell`` defaults to ``ref_cell``).
    cutoff : neighbour cutoff in the reference (Å), e.g. the first minimum of g(r).
        Not needed if ``pairs`` (from :func:`reference_pairs`) is given.
    ref_origin, origin : box origins (Å); ``origin`` defaults to ``ref_origin``.
    pairs : precomputed reference neighbour pairs (reuse across several currents).
    normalization : ``"mean"`` (divide by the number of neighbours N_i, paper Eq. 4) or
        ``"sum"`` (Falk–Langer / OVITO).
    """
    ref_cell = np.asarray(ref_cell, float)
    cell = ref_cell if cell is None else np.asarray(cell, float)
    origin = ref_origin if origin is None else origin
    if pairs is None:
        if cutoff is None:
            raise ValueError("give either cutoff or pairs")
        pairs = reference_pairs(ref_positions, ref_cell, cutoff, origin=ref_origin)
    ds = reduced_displacements(ref_positions, positions, ref_cell, cell,
                               ref_origin=ref_origin, origin=origin)
    cur = current_bond_vectors(pairs, ds, ref_cell, cell)
    return d2min_from_bonds(pairs.i, pairs.vec, cur, len(ds), normalization=normalization)


def reference_pairs(ref_positions: np.ndarray, ref_cell: np.ndarray, cutoff: float, *,
                    origin=(0.0, 0.0, 0.0)) -> Pairs:
    """Neighbour pairs of the reference configuration within ``cutoff`` (Å), all images."""
    return neighbor_pairs(ref_positions, ref_cell, cutoff, origin=origin)
