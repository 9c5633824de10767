"""The local mode of ARTn: searches on a sphere carved around each central atom.

``params["local"]`` (:func:`igd.artn.driver.search_atoms_local`): for large samples each
atom's searches run on a sphere carved around it (every periodic image within
``local_radius + frozen_shell``), written as a cluster in a vacuum-padded box; atoms
beyond ``local_radius`` are frozen (:class:`ActiveSubset`). Two boundaries:

* **Flexible (the default,** ``local_force_offset``, :class:`ForceOffset`, :class:`Tether`):
  every atom of a 20 Å sphere moves, with no frozen shell. Every active atom's force at
  the carved IS is subtracted for the whole search, so the carved IS is a stationary
  point even where the sphere misses neighbours, and a displacement changes the forces as
  in the bulk to first order; only the Hessian of the last few Å under the surface is
  off, softer by the missing neighbours, so springs (``local_tether``, 1.5 eV/Å²) tie the
  atoms of the outer 3 Å to their IS positions. The elastic field of the saddle relaxes
  out to ``local_radius``: the 20 Å sphere (1 870 atoms) agrees with the full box to a
  median 0.009 eV. Without springs (or at ≤ 0.5 eV/Å²) surface atoms run away; a frozen
  3 Å shell instead of springs costs 50 % more atoms for 0.016 eV.
* **Exact** (``frozen_shell: null``, no offset): EAM is many-body, so the shell is
  ``max(pair range, 2 × density range)`` of the potential file
  (:func:`igd.common.eam.eam_ranges`, :func:`igd.artn.carve.exact_shell`; 12 Å for
  Mendelev CuZr) plus a margin: the forces on the active atoms and all energy
  differences are those of the bulk (tested to 1e-9), and the carved IS is a minimum.
  Interactions among frozen atoms out of reach of every active atom's density are
  excluded from the neighbour lists (``local_exclude``, :class:`LocalCluster`), exact and
  about twice as fast. What remains is the physical approximation of a frozen
  outer region close to the saddle (16 Å + 12.5 Å, 5 400 atoms: 0.04 eV off). The
  optional second stage (``local_refine_radius``) pushes that boundary out at little
  cost: the search runs on the small sphere, and each saddle it finds is embedded in a
  larger carved sphere (mapped atom by atom) and converged again there
  (:func:`igd.artn.search.refine_saddle`, a few tens of calls).

Both are validated against full-box searches with the same directions in
``benchmarks/bench_artn_local.py`` (README "ARTn on large samples").

Here: the provider on the active atoms of a carved cluster (:class:`ActiveSubset`,
:func:`local_provider`) and one search region with its boundary (:class:`LocalRegion`).
Carving: :mod:`igd.artn.carve`; boundary models: :mod:`igd.artn.boundary`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from igd.artn.boundary import ForceOffset, Tether
from igd.artn.carve import LocalCluster, carve_cluster, write_cluster_data
from igd.artn.lammps_forces import LammpsForces
from igd.artn.provider import max_atom_force
from igd.artn.search import SearchResult, refine_saddle


class ActiveSubset:
    """Provider on the active atoms only: the others stay at ``x_full`` (frozen).

    The active atoms are rows ``0 … n_active − 1`` of ``x_full`` (a carved cluster), or
    the given ``rows`` (e.g. the same atoms in the full periodic box).
    """

    def __init__(self, provider, x_full: np.ndarray, n_active: int | None = None, *,
                 rows: np.ndarray | None = None):
        self.provider, self.x_full = provider, np.array(x_full, dtype=float)
        # rows 0 … n − 1 as a slice: no fancy-index copies in every force call
        self.rows = slice(0, n_active) if rows is None else np.asarray(rows)
        self.n_active = n_active if rows is None else len(self.rows)

    def _full(self, positions: np.ndarray) -> np.ndarray:
        x = self.x_full.copy()
        x[self.rows] = positions
        return x

    def reset(self, positions: np.ndarray) -> None:
        self.provider.reset(self._full(positions))

    def __call__(self, positions: np.ndarray) -> tuple[float, np.ndarray]:
        e, f = self.provider(self._full(positions))
        return e, f[self.rows]


def local_provider(cluster: LocalCluster, path: str | os.PathLike, *, potential,
                   masses: Mapping[int, float], padding: float, log_file=None,
                   threads: int = 1, root: str | os.PathLike = ".") -> "LammpsForces":
    """Write ``cluster`` to ``path`` and start a quiet :class:`LammpsForces` on it (with
    the outer–outer exclusion). Wrap it in :class:`ActiveSubset` to search."""
    data = write_cluster_data(path, cluster.positions, cluster.types, masses, padding)
    forces = LammpsForces(data, potential, log_file=log_file, threads=threads, root=root,
                          setup=cluster.setup_commands())
    forces.quiet()
    return forces


class LocalRegion:
    """One carved cluster around a central atom and its LAMMPS provider on the active
    atoms (:class:`ActiveSubset`; with ``local_force_offset`` wrapped in
    :class:`ForceOffset`, with ``local_tether`` > 0 in :class:`Tether` on the active atoms
    within ``local_tether_width`` of the surface, rows ``tethered``), with the IS energy of
    the cluster. ``max_force`` is the largest force on an active atom at the carved IS
    *before* any offset."""

    def __init__(self, frame, index: int, radius: float, shell: float,
                 core_extra: float | None, p: Mapping[str, Any], path: Path, *,
                 potential, log_file, threads: int, root):
        self.cluster = carve_cluster(
            frame.positions, frame.types, frame.cell, frame.origin, index,
            local_radius=radius, frozen_shell=shell,
            core_radius=None if core_extra is None else radius + core_extra)
        self.forces = local_provider(self.cluster, path, potential=potential,
                                     masses=frame.masses, padding=p["local_padding"],
                                     log_file=log_file, threads=threads, root=root)
        self.provider = ActiveSubset(self.forces, self.cluster.positions,
                                     self.cluster.n_active)
        self.x0 = self.cluster.positions[:self.cluster.n_active]
        self.e0, f0 = self.provider(self.x0)
        self.max_force = max_atom_force(f0)
        if p["local_force_offset"]:
            self.provider = ForceOffset(self.provider, self.x0, f0)
        self.tethered = np.array([], dtype=int)
        if p["local_tether"] > 0:
            dist = np.linalg.norm(self.x0 - self.x0[0], axis=1)
            self.tethered = np.flatnonzero(dist > radius - p["local_tether_width"])
            self.provider = Tether(self.provider, self.x0, self.tethered, p["local_tether"])

    def rows_of(self, positions: np.ndarray) -> np.ndarray:
        """Active rows of this cluster at ``positions`` (IS positions of another cluster
        carved around the same atom, every one of them active here)."""
        from scipy.spatial import cKDTree  # noqa: PLC0415

        dist, rows = cKDTree(self.x0).query(positions)
        if len(rows) and (dist.max() > 1e-6 or len(np.unique(rows)) < len(rows)):
            raise ValueError("refine region does not contain the search region")
        return rows

    def refine(self, rows: np.ndarray, res: SearchResult,
               params: Mapping[str, Any]) -> SearchResult:
        """A saddle ``res`` found on a smaller region whose active atoms are this region's
        ``rows`` (:meth:`rows_of`), embedded here (the other atoms at the IS) and
        converged again (:func:`igd.artn.search.refine_saddle`)."""
        x = self.x0.copy()
        x[rows] = res.positions
        v = np.zeros_like(x)
        v[rows] = res.eigenvector
        self.provider.reset(self.x0)
        return refine_saddle(self.provider, self.x0, self.e0, x, v, params)

    def close(self) -> None:
        self.forces.close()
