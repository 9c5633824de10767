"""ARTn's force provider on LAMMPS (:class:`LammpsForces`).

One LAMMPS instance per driver call (:mod:`igd.artn.driver`) reads the inherent structure
(``read_data``), sets up the potential and runs ``run 0`` once. A force call then writes
the positions (wrapped into the box) *in place* into the ``numpy.extract_atom("x")`` view
— in LAMMPS' local order, mapped through ``extract_atom("id")`` — and does ``run 1 pre no
post no`` with no time integrator: the step re-communicates ghost positions (and
re-neighbours if an atom moved more than half the skin, ``neigh_modify every 1 delay 0
check yes``) and computes fresh forces and energy, identical to a full ``run 0`` (tested).
``run 0 pre no`` would not do: its forces come from ``setup_minimal`` with stale ghost
positions. ``atom_modify sort 0 0.0`` keeps LAMMPS from re-ordering atoms; positions are
wrapped before writing so the re-neighbouring test stays meaningful (skipped when they are
all inside an orthogonal box, as in a carved cluster), and the id map is re-read at every
call anyway (no permutation when it is the identity). LAMMPS' log is switched off during
the searches (six lines per force call otherwise) and re-opened at the end.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from igd.common.lammps import load_structure, start_lammps
from igd.common.neighbors import wrap


class LammpsForces:
    """Force provider ``positions (N, 3) Å, ordered by id → (energy eV, forces eV/Å)``.

    Ids must be 1 … N (consecutive). ``setup``: LAMMPS commands run after the potential
    and neighbour settings, before the first ``run 0``. ``timing`` holds the number of calls, the seconds
    spent inside the LAMMPS ``run`` command and in the whole call (scatter + run + gather).
    """

    def __init__(self, data_file: str | os.PathLike, potential: Mapping[str, Any], *,
                 log_file: str | os.PathLike | None = None, threads: int = 1,
                 root: str | os.PathLike = ".", skin: float = 1.0,
                 setup: Sequence[str] = ()):
        self.log_file = log_file
        suffix = "omp" if threads > 1 else None
        self.lmp = start_lammps(log_file, threads=threads, suffix=suffix)
        lmp = self.lmp
        lmp.command("atom_modify sort 0 0.0")
        load_structure(lmp, data_file, potential, root=root)
        lmp.command(f"neighbor {skin} bin")
        lmp.command("neigh_modify every 1 delay 0 check yes")
        lmp.commands_list(list(setup))       # e.g. neighbour exclusions (local mode)
        lmp.command("thermo_style custom step pe")
        lmp.command("thermo_modify norm no")
        lmp.command("run 0")
        self.n_atoms = int(lmp.get_natoms())
        ids = self._ids()
        if sorted(ids.tolist()) != list(range(1, self.n_atoms + 1)):
            raise ValueError(f"{data_file}: atom ids must be 1..N (consecutive) for ARTn")
        boxlo, boxhi, xy, yz, xz, _, _ = lmp.extract_box()
        self.origin = np.array(boxlo, dtype=float)
        lengths = np.array(boxhi) - self.origin
        self.cell = np.array([[lengths[0], 0, 0], [xy, lengths[1], 0], [xz, yz, lengths[2]]])
        # fast paths (a carved cluster: orthogonal box, atoms far from its faces, LAMMPS'
        # order = id order): skip the wrap / the id permutation when they change nothing
        self._box = (self.origin, np.array(boxhi, dtype=float)) \
            if xy == xz == yz == 0 else None
        self._ids_in_order = np.arange(1, self.n_atoms + 1)
        self.timing = {"calls": 0, "lammps_s": 0.0, "call_s": 0.0}
        self._quiet = False

    def _ids(self) -> np.ndarray:
        nlocal = self.lmp.extract_setting("nlocal")
        return np.array(self.lmp.numpy.extract_atom("id")[:nlocal], dtype=np.int64)

    def _rows(self) -> np.ndarray | None:
        """Row (id − 1) of every atom in LAMMPS' current local order; None if that order
        is the id order (nothing to permute)."""
        ids = self._ids()
        return None if np.array_equal(ids, self._ids_in_order) else ids - 1

    def quiet(self) -> None:
        """Stop LAMMPS logging (a force call would write six log lines)."""
        if not self._quiet:
            self.lmp.command("log none")
            self._quiet = True

    def __call__(self, positions: np.ndarray) -> tuple[float, np.ndarray]:
        t0 = time.perf_counter()
        lmp = self.lmp
        nlocal = lmp.extract_setting("nlocal")
        positions = np.asarray(positions, dtype=float)
        if self._box is not None and (positions.min(axis=0) >= self._box[0]).all() \
                and (positions.max(axis=0) < self._box[1]).all():
            wrapped = positions                     # inside the box already
        else:
            wrapped = wrap(positions, self.cell, self.origin)   # see module doc
        rows = self._rows()
        x = lmp.numpy.extract_atom("x")
        x[:nlocal] = wrapped if rows is None else wrapped[rows]
        t1 = time.perf_counter()
        lmp.command("run 1 pre no post no")
        t2 = time.perf_counter()
        energy = float(lmp.get_thermo("pe"))
        rows = self._rows()                         # re-read: LAMMPS may have re-ordered
        f = lmp.numpy.extract_atom("f")[:nlocal]
        if rows is None:
            forces = np.array(f, dtype=float)
        else:
            forces = np.empty((self.n_atoms, 3))
            forces[rows] = f
        self.timing["calls"] += 1
        self.timing["lammps_s"] += t2 - t1
        self.timing["call_s"] += time.perf_counter() - t0
        return energy, forces

    def reset(self, positions: np.ndarray) -> None:
        """Put LAMMPS in a state that depends on ``positions`` only: write them and run a
        full set-up (``run 0``: re-neighbouring from scratch). Called before every search
        so that a search gives bit-identical results whatever ran before it in this
        instance (neighbour-list order changes the last bits of the forces, and a search
        amplifies them)."""
        self(positions)
        self.lmp.command("run 0 post no")

    def close(self) -> None:
        if self._quiet and self.log_file is not None:
            self.lmp.command(f"log {Path(self.log_file).resolve()} append")
        self.lmp.close()

    def __enter__(self) -> "LammpsForces":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
