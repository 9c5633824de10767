"""The dynamical matrix of an inherent structure from LAMMPS (dense route).

LAMMPS' ``dynamical_matrix`` command (PHONON package) takes central finite differences of
the forces: 6N force calls. In ``metal`` units its ``regular`` output is already
mass-weighted, D_{iα,jβ} = Φ_{iα,jβ} / √(m_i m_j) in eV/(Å²·amu), written with ``binary
yes`` as a raw row-major (3N × 3N) float64 array without header (checked on fcc Cu against
the text output), rows and columns ordered by atom id (x, y, z of id 1, then of id 2, …).
Memory 2·(3N)²·8 B: 27.8 GB per copy at 19 652 atoms.
"""

from __future__ import annotations

import logging
import math
import os
import tempfile
import time
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from igd.common.datafile import read_lammps_data

log = logging.getLogger(__name__)


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
                            root: str | os.PathLike = ".",
                            read_matrix: bool = True) -> np.ndarray | None:
    """Symmetrised mass-weighted dynamical matrix (eV/(Å²·amu)) of a LAMMPS data file.

    ``delta`` is the finite-difference displacement (Å). Masses come from the data
    file's ``Masses`` section; rows/columns are ordered by atom id. Costs 6N force calls
    and a (3N)² float64 matrix in memory and on a temporary file.

    Under MPI every rank runs the same LAMMPS commands (the force calls are collective),
    but LAMMPS writes the matrix file from rank 0 only: the other ranks pass
    ``read_matrix=False`` and get ``None``.
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
            matrix = read_dynmat_binary(out, n) if read_matrix else None
    finally:
        lmp.close()
    return symmetrize(matrix) if matrix is not None else None
