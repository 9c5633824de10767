"""Carving the sphere of a local ARTn search out of a periodic sample.

A :class:`LocalCluster` is every periodic image within ``local_radius + frozen_shell`` of
the central atom, written as a cluster in a vacuum-padded box (:func:`write_cluster_data`).
For an exact boundary the shell is :func:`exact_shell` of the EAM ranges
(:func:`igd.common.eam.eam_ranges`) plus a margin (:func:`local_shell`); interactions
among frozen atoms out of reach of every active atom's density are excluded from the
neighbour lists (:meth:`LocalCluster.setup_commands`). The local mode as a whole:
:mod:`igd.artn.region`.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from igd.common.eam import eam_ranges
from igd.common.neighbors import neighbor_pairs

log = logging.getLogger(__name__)


def exact_shell(pair_range: float, density_range: float) -> float:
    """Frozen-shell width (Å) that makes a carved EAM cluster exact for its active atoms.

    EAM is many-body: the force on an active atom ``i`` involves F′(ρ_j) of every
    neighbour ``j`` within ``density_range``, and ρ_j sums over the atoms within
    ``density_range`` of ``j``; the pair term reaches ``pair_range``. With every atom up
    to ``max(pair_range, 2·density_range)`` beyond the active sphere present, the forces on
    the active atoms and every energy difference between configurations of them equal
    those of the bulk sample (the carved IS is a minimum as the bulk one is). A shell of
    one cutoff misses the second neighbour layer of the density and puts a surface-like
    error on the outer active atoms.
    """
    return max(float(pair_range), 2.0 * float(density_range))


def carve_sphere(positions: np.ndarray, cell: np.ndarray, origin: np.ndarray, index: int,
                 radius: float) -> tuple[np.ndarray, np.ndarray]:
    """Atoms (every periodic image) within ``radius`` (Å) of atom ``index``.

    Returns ``(atom indices, positions)``, the central atom first at its own position,
    the others at ``x_index + vec`` (unwrapped around the centre), sorted by distance.
    """
    pairs = neighbor_pairs(positions, cell, radius, origin=origin, centers=np.array([index]))
    order = np.argsort(pairs.dist, kind="stable")
    idx = np.concatenate([[index], pairs.j[order]])
    pos = np.vstack([positions[index], positions[index] + pairs.vec[order]])
    return idx, pos


@dataclass
class LocalCluster:
    """A sphere carved around one central atom (row 0), atoms sorted by distance.

    Rows ``< n_active`` move (within ``local_radius``); the rest are frozen. Rows
    ``≥ n_core`` (farther than ``local_radius + density_range + margin``) are out of
    reach of every active atom's density: their mutual interactions are excluded from
    the LAMMPS neighbour lists (their ρ is then wrong but constant and enters only forces
    on frozen atoms), which is exact for the active forces and energy differences and
    saves most of the shell's cost.
    """

    indices: np.ndarray      # (M,) rows of the full sample (images repeat rows)
    positions: np.ndarray    # (M, 3) Å, unwrapped around the central atom
    types: np.ndarray        # (M,)
    n_active: int
    n_core: int

    def setup_commands(self) -> list[str]:
        """LAMMPS commands excluding outer–outer interactions (ids are rows + 1)."""
        m = len(self.positions)
        if self.n_core >= m:
            return []
        return [f"group outer id {self.n_core + 1}:{m}",
                "neigh_modify exclude group outer outer"]


def carve_cluster(positions: np.ndarray, types: np.ndarray, cell: np.ndarray,
                  origin: np.ndarray, index: int, *, local_radius: float,
                  frozen_shell: float, core_radius: float | None = None) -> LocalCluster:
    """The :class:`LocalCluster` of atom ``index``: active within ``local_radius``, frozen
    up to ``local_radius + frozen_shell``; ``core_radius`` (Å from the centre, None = no
    exclusion) bounds the atoms whose mutual interactions are kept."""
    idx, pos = carve_sphere(positions, cell, origin, index, local_radius + frozen_shell)
    dist = np.linalg.norm(pos - pos[0], axis=1)
    n_active = int(np.searchsorted(dist, local_radius, side="left"))
    n_core = len(pos) if core_radius is None else int(np.searchsorted(dist, core_radius))
    return LocalCluster(idx, pos, np.asarray(types)[idx], n_active, max(n_core, n_active))


def local_shell(params: Mapping[str, Any], potential: Mapping[str, Any],
                root: str | os.PathLike = ".") -> tuple[float, float | None]:
    """``(frozen_shell, core_extra)`` in Å for the local mode.

    ``frozen_shell`` None means exact: :func:`exact_shell` of the potential's ranges plus
    ``local_margin`` (active atoms move a little); a smaller given shell is warned about
    unless ``local_force_offset`` (flexible boundary: a thin shell is the point).
    ``core_extra`` (added to ``local_radius``: the kept-interaction core) is the density
    range plus ``local_margin`` if ``local_exclude``, else None (no exclusion). Needs an
    EAM setfl potential unless ``frozen_shell`` is given and ``local_exclude`` is off.
    """
    margin = float(params["local_margin"])
    shell = params["frozen_shell"]
    need_ranges = shell is None or params["local_exclude"]
    ranges = None
    if need_ranges or str(potential.get("pair_style", "")).startswith("eam"):
        style = str(potential.get("pair_style", ""))
        if not style.startswith("eam/"):
            raise ValueError(f"frozen_shell: null / local_exclude need an EAM setfl "
                             f"potential (pair_style {style!r}); give frozen_shell, "
                             "local_exclude: false")
        ranges = eam_ranges(Path(root) / potential["file"], style)
    if shell is None:
        shell = exact_shell(*ranges) + margin
        if params["local_tether"] > 0:
            log.warning("local_tether %.3g eV/Å² with the exact shell (frozen_shell: null): "
                        "springs act on the outer active atoms, whose forces are then not "
                        "those of the bulk; set local_tether: 0", params["local_tether"])
    elif ranges is not None and shell < exact_shell(*ranges) and \
            not params["local_force_offset"]:
        log.warning("frozen_shell %.2f Å < %.2f Å (max(pair range, 2 × density range)): "
                    "forces on the outer active atoms are not those of the bulk",
                    shell, exact_shell(*ranges))
    core_extra = ranges[1] + margin if params["local_exclude"] else None
    return float(shell), core_extra


def write_cluster_data(path: str | os.PathLike, positions: np.ndarray, types: np.ndarray,
                       masses: Mapping[int, float], padding: float) -> Path:
    """A LAMMPS data file (atomic) of a cluster in a periodic box with ``padding`` (Å) of
    vacuum on every side (no interaction across it if padding > cutoff + skin)."""
    lo = positions.min(axis=0) - padding
    hi = positions.max(axis=0) + padding
    lines = ["cluster carved for a local ARTn search", "", f"{len(positions)} atoms",
             f"{max(masses)} atom types", ""]
    lines += [f"{lo[k]:.10f} {hi[k]:.10f} {a}lo {a}hi" for k, a in enumerate("xyz")]
    lines += ["", "Masses", ""] + [f"{t} {m}" for t, m in sorted(masses.items())]
    lines += ["", "Atoms # atomic", ""]
    lines += [f"{i + 1} {int(t)} {x:.12f} {y:.12f} {z:.12f}"
              for i, (t, (x, y, z)) in enumerate(zip(types, positions))]
    Path(path).write_text("\n".join(lines) + "\n")
    return Path(path)
