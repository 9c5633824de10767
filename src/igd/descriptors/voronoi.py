"""Voronoi cells of a periodic configuration (OVITO's ``VoronoiAnalysisModifier``,
imported lazily) and what the companion papers read from them: the Voronoi index
⟨n3, n4, n5, n6⟩, the five-fold fraction f5 (paper 004), the mean distance to the
Voronoi neighbours a_i (paper 002) and one integer code per index (the states of the
time-relevant entropy, :mod:`igd.descriptors.entropy`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from igd.common.neighbors import wrap

VORONOI_ORDERS = (3, 4, 5, 6)
"""Face orders of the Voronoi index ⟨n3, n4, n5, n6⟩."""


@dataclass
class VoronoiCells:
    """OVITO Voronoi tessellation of one periodic configuration (arrays in input order)."""

    volume: np.ndarray        # (N,) Å³
    index: np.ndarray         # (N, K) int: index[i, k] = number of (k+1)-edged faces
    bond_i: np.ndarray        # (M,) the two atoms sharing each face (one row per face)
    bond_j: np.ndarray
    bond_dist: np.ndarray     # (M,) Å, distance between them (periodic image of the face)

    @property
    def coordination(self) -> np.ndarray:
        """(N,) number of faces of each cell (Voronoi neighbours)."""
        return self.index.sum(axis=1)


def voronoi_cells(positions: np.ndarray, cell: np.ndarray, origin=(0.0, 0.0, 0.0), *,
                  edge_threshold: float = 0.0, face_threshold: float = 0.0,
                  relative_face_threshold: float = 0.0, bonds: bool = True) -> VoronoiCells:
    """Voronoi cells of atoms at ``positions`` (Å) in the periodic ``cell`` (rows a, b, c).

    Thresholds as OVITO's: edges shorter than ``edge_threshold`` (Å) are not counted in
    the face orders, faces smaller than ``face_threshold`` (Å²) or than
    ``relative_face_threshold`` × the cell's total face area are dropped (indices and
    neighbours). ``bonds``: also return one (i, j, |r_ij|) row per face.
    """
    from ovito.data import DataCollection, Particles, SimulationCell
    from ovito.modifiers import VoronoiAnalysisModifier

    pos = np.ascontiguousarray(positions, dtype=float)
    cell = np.asarray(cell, dtype=float)
    origin = np.asarray(origin, dtype=float)
    mat = np.zeros((3, 4))
    mat[:, :3] = cell.T                     # OVITO: columns are the cell vectors
    mat[:, 3] = origin
    dc = DataCollection()
    sc = SimulationCell(pbc=(True, True, True))
    sc[...] = mat
    dc.objects.append(sc)
    particles = Particles()
    particles.create_property("Position", data=wrap(pos, cell, origin))
    dc.objects.append(particles)
    dc.apply(VoronoiAnalysisModifier(
        compute_indices=True, generate_bonds=bonds, edge_threshold=edge_threshold,
        face_threshold=face_threshold, relative_face_threshold=relative_face_threshold))
    p = dc.particles
    volume = np.array(p["Atomic Volume"], dtype=float)
    index = np.array(p["Voronoi Index"], dtype=np.int64)
    if bonds and p.bonds is not None and p.bonds.count:
        top = np.array(p.bonds.topology, dtype=np.int64)
        img = np.array(p.bonds["Periodic Image"], dtype=float)
        wpos = np.array(p["Position"], dtype=float)
        vec = wpos[top[:, 1]] - wpos[top[:, 0]] + img @ cell
        bi, bj, bd = top[:, 0], top[:, 1], np.linalg.norm(vec, axis=1)
    else:
        bi = bj = np.zeros(0, dtype=np.int64)
        bd = np.zeros(0)
    return VoronoiCells(volume=volume, index=index, bond_i=bi, bond_j=bj, bond_dist=bd)


def face_count(index: np.ndarray, order: int) -> np.ndarray:
    """Number of ``order``-edged faces per atom from OVITO's ``Voronoi Index`` array.

    OVITO 3.17 stores the faces with k edges in column k − 1 (checked in the tests: a
    bcc cell gives 6 in column 3 and 8 in column 5 — 6 squares, 8 hexagons).
    """
    index = np.asarray(index)
    if 1 <= order <= index.shape[1]:
        return index[:, order - 1].astype(np.int64)
    return np.zeros(index.shape[0], dtype=np.int64)


def voronoi_index(index: np.ndarray, orders: Sequence[int] = VORONOI_ORDERS) -> np.ndarray:
    """⟨n3, n4, n5, n6⟩ (or ``orders``) from an OVITO index array (N, K) → (N, 4)."""
    return np.column_stack([face_count(index, k) for k in orders])


def five_fold_fraction(index: np.ndarray) -> np.ndarray:
    """Local five-fold symmetry f5_i = n5 / Σ_k n_k (fraction of pentagonal faces)."""
    index = np.asarray(index, dtype=float)
    total = index.sum(axis=1)
    n5 = face_count(index, 5)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, n5 / total, np.nan)


def mean_neighbor_distance(n_atoms: int, bond_i: np.ndarray, bond_j: np.ndarray,
                           bond_dist: np.ndarray) -> np.ndarray:
    """Mean distance (Å) of each atom to its Voronoi neighbours (each face counts once
    for both atoms); NaN for an atom without neighbours."""
    cnt = np.bincount(bond_i, minlength=n_atoms) + np.bincount(bond_j, minlength=n_atoms)
    tot = (np.bincount(bond_i, weights=bond_dist, minlength=n_atoms)
           + np.bincount(bond_j, weights=bond_dist, minlength=n_atoms))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(cnt > 0, tot / np.maximum(cnt, 1), np.nan)


def encode_index(index4: np.ndarray, base: int = 64) -> np.ndarray:
    """One integer per Voronoi index row ⟨n3, n4, n5, n6⟩ (each count < ``base``)."""
    index4 = np.asarray(index4, dtype=np.int64)
    if index4.size and index4.max() >= base:
        raise ValueError(f"a face count ≥ {base}: raise base")
    code = np.zeros(index4.shape[0], dtype=np.int64)
    for c in range(index4.shape[1]):
        code = code * base + index4[:, c]
    return code
