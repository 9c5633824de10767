"""ARTn on LAMMPS: the force provider and the per-chunk driver.

**Force provider** (:class:`LammpsForces`): one LAMMPS instance per driver call reads the
inherent structure (``read_data``), sets up the potential and runs ``run 0`` once. A force
call then writes the positions (wrapped into the box) *in place* into the
``numpy.extract_atom("x")`` view — in LAMMPS' local order, mapped through
``extract_atom("id")`` — and does ``run 1 pre no post no`` with no time integrator: the
step re-communicates ghost positions (and re-neighbours if an atom moved more than half
the skin, ``neigh_modify every 1 delay 0 check yes``) and computes fresh forces and
energy, identical to a full ``run 0`` (tested). ``run 0 pre no`` would not do: its forces
come from ``setup_minimal`` with stale ghost positions. ``atom_modify sort 0 0.0`` keeps
LAMMPS from re-ordering atoms; positions are wrapped before writing so the
re-neighbouring test stays meaningful (skipped when they are all inside an orthogonal
box, as in a carved cluster), and the id map is re-read at every call anyway (no
permutation when it is the identity).
LAMMPS' log is switched off during the searches (six lines per force call otherwise)
and re-opened at the end.

**Driver** (:func:`run_artn`): for a list of atom ids (a chunk), ``n_events`` searches per
atom, each from the IS with a random perturbation of the central atom (optionally of its
neighbours within ``perturb_radius``). Failed attempts are retried with a new direction
up to ``max_attempts`` per event. The random stream of every attempt is
``SeedSequence([seed, sample_index, atom_id, event, attempt])``, so a rerun of any chunk
reproduces its searches exactly whatever the chunking; before every search the provider
is reset (positions of the IS + a full ``run 0`` set-up), because the neighbour-list
order left by earlier searches changes the last bits of the forces and a search
amplifies them (tested: a chunk and a single atom rerun give identical rows).

**Local mode** (``params["local"]``, :func:`search_atoms_local`): for large samples each
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
  ``max(pair range, 2 × density range)`` of the potential file (:func:`eam_ranges`,
  :func:`exact_shell`; 12 Å for Mendelev CuZr) plus a margin: the forces on the active
  atoms and all energy differences are those of the bulk (tested to 1e-9), and the carved
  IS is a minimum. Interactions among frozen atoms out of reach of every active atom's
  density are excluded from the neighbour lists (``local_exclude``, :class:`LocalCluster`),
  exact and about twice as fast. What remains is the physical approximation of a frozen
  outer region close to the saddle (16 Å + 12.5 Å, 5 400 atoms: 0.04 eV off). The
  optional second stage (``local_refine_radius``) pushes that boundary out at little
  cost: the search runs on the small sphere, and each saddle it finds is embedded in a
  larger carved sphere (mapped atom by atom) and converged again there
  (:func:`igd.artn.search.refine_saddle`, a few tens of calls).

Both are validated against full-box searches with the same directions in
``benchmarks/bench_artn_local.py`` (README "ARTn on large samples").
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from igd.artn.search import (SearchResult, artn_search, make_params, max_atom_force,
                   refine_saddle)
from igd.common.datafile import read_lammps_data
from igd.common.eam import eam_ranges
from igd.common.lammps import load_structure, start_lammps
from igd.common.neighbors import neighbor_pairs, perpendicular_widths, wrap

log = logging.getLogger(__name__)

#: Units of the columns of ``artn/events.parquet`` (one row per attempt).
EVENTS_UNITS = {
    "id": "", "type": "", "event": "", "attempt": "", "status": "",
    "barrier": "eV", "e_saddle": "eV", "eigenvalue": "eV/Å^2", "eigenvalue_2": "eV/Å^2",
    "max_force": "eV/Å",
    "force_calls": "", "basin_steps": "", "saddle_steps": "", "max_disp": "Å",
    "n_moved": "", "e_final": "eV", "wall_s": "s",
    "barrier_search": "eV", "refine_calls": "",
}
EVENTS_COLUMNS = list(EVENTS_UNITS)


def barriers_units(n_events: int) -> dict[str, str]:
    """Units of ``artn/barriers.parquet`` (``id, type, n_converged, dQ_01 … dQ_NN``)."""
    return {"id": "", "type": "", "n_converged": "",
            **{f"dQ_{k:02d}": "eV" for k in range(1, n_events + 1)}}


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


def attempt_rng(seed: int, sample_index: int, atom_id: int, event: int,
                attempt: int) -> np.random.Generator:
    """The random generator of one search attempt (reproducible per chunk)."""
    return np.random.default_rng(
        np.random.SeedSequence([int(seed), int(sample_index), int(atom_id), int(event),
                                int(attempt)]))


def perturbation(rng: np.random.Generator, n_atoms: int, atoms: np.ndarray,
                 norm: float) -> np.ndarray:
    """Random displacement ``(n_atoms, 3)`` (Å) of total norm ``norm`` on ``atoms``.

    Gaussian components on the chosen atoms (an isotropic random direction), zero
    elsewhere. ``atoms[0]`` is the central atom.
    """
    d = np.zeros((n_atoms, 3))
    d[atoms] = rng.normal(size=(len(atoms), 3))
    return d * (norm / np.linalg.norm(d))


def perturbed_atoms(index: int, positions: np.ndarray, cell: np.ndarray, origin: np.ndarray,
                    radius: float, with_neighbors: bool) -> np.ndarray:
    """Indices perturbed for central atom ``index``: itself, plus neighbours within
    ``radius`` (Å) if ``with_neighbors``."""
    if not with_neighbors:
        return np.array([index])
    pairs = neighbor_pairs(positions, cell, radius, origin=origin, centers=np.array([index]))
    others = np.unique(pairs.j[pairs.j != index])
    return np.concatenate([[index], others])


def _row(atom_id: int, atom_type: int, event: int, attempt: int, res: SearchResult,
         wall: float) -> dict:
    return {"id": atom_id, "type": atom_type, "event": event, "attempt": attempt,
            "status": res.status, "barrier": res.barrier, "e_saddle": res.e_saddle,
            "eigenvalue": res.eigenvalue, "eigenvalue_2": res.eigenvalue_2,
            "max_force": res.max_force,
            "force_calls": res.force_calls, "basin_steps": res.basin_steps,
            "saddle_steps": res.saddle_steps, "max_disp": res.max_disp,
            "n_moved": res.n_moved, "e_final": res.e_final, "wall_s": wall,
            "barrier_search": res.barrier, "refine_calls": 0}


def search_one_atom(provider, x0: np.ndarray, e0: float, central: int,
                    perturbed: np.ndarray, atom_id: int, atom_type: int,
                    params: Mapping[str, Any], *, seed: int, sample_index: int = 0,
                    refine=None) -> tuple[list[dict], np.ndarray]:
    """The ``n_events`` searches of one atom (row ``central`` of ``x0``); failed attempts
    retried up to ``max_attempts``. ``refine(result) -> result`` (optional) re-converges
    every converged saddle (local mode: in a larger region); its outcome is the
    attempt's (``barrier_search`` keeps the search's barrier, ``refine_calls`` its force
    calls). Returns (event rows, barriers per event, NaN = none)."""
    p = make_params(params)
    n_events = int(p["n_events"])
    rows: list[dict] = []
    barriers = np.full(n_events, np.nan)
    for event in range(n_events):
        for attempt in range(int(p["max_attempts"])):
            rng = attempt_rng(seed, sample_index, atom_id, event, attempt)
            d0 = perturbation(rng, len(x0), perturbed, p["perturb_norm"])
            t0 = time.perf_counter()
            if hasattr(provider, "reset"):
                provider.reset(x0)
            res = artn_search(provider, x0, e0, d0, p)
            row = _row(atom_id, atom_type, event, attempt, res, 0.0)
            if refine is not None and res.status == "converged":
                fine = refine(res)
                row.update(_row(atom_id, atom_type, event, attempt, fine, 0.0),
                           barrier_search=res.barrier, refine_calls=fine.force_calls,
                           force_calls=res.force_calls, basin_steps=res.basin_steps,
                           saddle_steps=res.saddle_steps + fine.saddle_steps)
                res = fine
            row["wall_s"] = time.perf_counter() - t0
            rows.append(row)
            if res.status == "converged":
                barriers[event] = res.barrier
                break
    return rows, barriers


def _barrier_row(atom_id: int, atom_type: int, barriers: np.ndarray) -> dict:
    n_ok = int(np.isfinite(barriers).sum())
    if n_ok < len(barriers):
        log.warning("atom %d: %d of %d events never converged (barriers NaN)",
                    atom_id, len(barriers) - n_ok, len(barriers))
    srt = np.sort(barriers)  # NaN last
    return {"id": atom_id, "type": atom_type, "n_converged": n_ok,
            **{f"dQ_{k + 1:02d}": srt[k] for k in range(len(barriers))}}


class _Progress:
    def __init__(self, total: int, every_s: float = 30.0):
        self.total, self.every_s = total, every_s
        self.t0 = self.last = time.perf_counter()

    def __call__(self, done: int) -> None:
        now = time.perf_counter()
        if now - self.last > self.every_s or done == self.total:
            rate = done / (now - self.t0)
            log.info("ARTn: %d/%d atoms, %.3f atoms/s, ETA %.0f s", done, self.total, rate,
                     (self.total - done) / rate)
            self.last = now


def search_atoms(provider, x0: np.ndarray, e0: float, types: np.ndarray,
                 atom_ids: Iterable[int], params: Mapping[str, Any], *, seed: int,
                 sample_index: int = 0, cell: np.ndarray | None = None,
                 origin: np.ndarray | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """All searches for ``atom_ids`` (1-based, row ``id − 1`` of ``x0``) on one provider
    of the whole system. Returns ``(events, barriers)`` as described in :func:`run_artn`.
    """
    p = make_params(params)
    atom_ids = [int(a) for a in atom_ids]
    rows: list[dict] = []
    barrier_rows: list[dict] = []
    progress = _Progress(len(atom_ids))
    for done, atom_id in enumerate(atom_ids, start=1):
        index = atom_id - 1
        perturbed = perturbed_atoms(index, x0, cell, origin, p["perturb_radius"],
                                    p["perturb_neighbors"])
        r, barriers = search_one_atom(provider, x0, e0, index, perturbed, atom_id,
                                      int(types[index]), p, seed=seed,
                                      sample_index=sample_index)
        rows += r
        barrier_rows.append(_barrier_row(atom_id, int(types[index]), barriers))
        progress(done)
    return (pd.DataFrame(rows, columns=EVENTS_COLUMNS),
            pd.DataFrame(barrier_rows, columns=list(barriers_units(int(p["n_events"])))))


# ---------------------------------------------------------------- local mode
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


class ForceOffset:
    """``provider`` minus its forces at ``x0``: forces ``F(x) − F(x0)``, energy
    ``E(x) + F(x0)·(x − x0)`` (consistent: minus its gradient is those forces), so ``x0``
    is stationary whatever ``provider`` does there.

    For a carved cluster (flexible boundary, ``local_force_offset``): the atoms near its
    surface miss neighbours, so at the bulk IS they feel spurious forces; subtracting them
    makes the carved IS a stationary point again and leaves the *changes* of force under
    a displacement right to first order (the missing neighbours alter the Hessian only
    near the surface). Atoms well beyond the exact EAM shell can then move, which lets the
    elastic field of a saddle relax much farther out for the same cluster.
    """

    def __init__(self, provider, x0: np.ndarray, f0: np.ndarray | None = None):
        self.provider, self.x0 = provider, np.array(x0, dtype=float)
        if f0 is None:                      # else: ``provider``'s forces at x0, known
            f0 = provider(self.x0)[1]
        self.f0 = np.array(f0, dtype=float)

    def reset(self, positions: np.ndarray) -> None:
        self.provider.reset(positions)

    def __call__(self, positions: np.ndarray) -> tuple[float, np.ndarray]:
        e, f = self.provider(positions)
        return (float(e) + float(np.sum(self.f0 * (np.asarray(positions) - self.x0))),
                f - self.f0)


class Tether:
    """``provider`` plus springs ``k`` (eV/Å²) tying ``rows`` to their positions in ``x0``:
    energy ``E + k/2 Σ |x_i − x0_i|²``, forces ``F − k (x − x0)`` on those rows. Zero at
    ``x0``, so a stationary ``x0`` stays one."""

    def __init__(self, provider, x0: np.ndarray, rows: np.ndarray, k: float):
        self.provider, self.k = provider, float(k)
        self.rows = np.asarray(rows)
        self.x0 = np.array(x0, dtype=float)[self.rows]

    def reset(self, positions: np.ndarray) -> None:
        self.provider.reset(positions)

    def __call__(self, positions: np.ndarray) -> tuple[float, np.ndarray]:
        e, f = self.provider(positions)
        u = np.asarray(positions)[self.rows] - self.x0
        f = np.array(f, dtype=float)
        f[self.rows] -= self.k * u
        return float(e) + 0.5 * self.k * float(np.sum(u * u)), f


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


def search_atoms_local(data_file, atom_ids: Iterable[int], *, potential, params, seed: int,
                       sample_index: int = 0, log_file=None, threads: int = 1,
                       root: str | os.PathLike = ".", workdir: str | os.PathLike | None = None
                       ) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Searches on a sphere carved around each central atom: atoms within
    ``local_radius`` (Å) move, those in the next ``frozen_shell`` (Å; None = exact for
    EAM, :func:`local_shell`; 0 by default) stay fixed, the rest of the sample is left
    out; :class:`LocalRegion` adds the force offset and the surface tether. One LAMMPS
    instance per atom. The carved IS energy is the reference (ΔQ = E_saddle − E_IS of the
    same cluster).

    With ``local_refine_radius`` (Å, ≥ ``local_radius``), every saddle found is embedded
    in a second, larger cluster (same shell) where the atoms within that radius move,
    and converged again there (:func:`igd.artn.search.refine_saddle`): the search, which takes
    most of the force calls, runs on the small cluster; the frozen boundary, which
    raises saddles as ~R⁻³⁻⁴, is pushed out to the refine radius for a few tens of
    calls, to ``local_refine_force_tol``. Returns ``(events, barriers, timing)``."""
    import tempfile  # noqa: PLC0415

    p = make_params(params)
    frame = read_lammps_data(data_file)
    r_search = float(p["local_radius"])
    r_refine = p["local_refine_radius"]
    half = 0.5 * perpendicular_widths(frame.cell).min()
    if max(r_search, r_refine or 0.0) >= half:
        raise ValueError(f"local_radius / local_refine_radius must be below half the box "
                         f"({half:.2f} Å; no self-images active)")
    if r_refine is not None and r_refine < r_search:
        raise ValueError(f"local_refine_radius {r_refine} < local_radius {r_search}")
    if p["local_tether"] > 0 and p["local_tether_width"] >= r_search:
        raise ValueError(f"local_tether_width {p['local_tether_width']} ≥ local_radius "
                         f"{r_search}: the springs would hold the central atom too")
    shell, core_extra = local_shell(p, potential, root)
    atom_ids = [int(a) for a in atom_ids]
    rows: list[dict] = []
    barrier_rows: list[dict] = []
    timing = {"calls": 0, "lammps_s": 0.0, "call_s": 0.0, "cluster_atoms": 0.0,
              "refine_calls": 0, "refine_lammps_s": 0.0, "refine_cluster_atoms": 0.0}
    progress = _Progress(len(atom_ids))
    q = {**p, "fix_translation": False}
    q_fine = {**q, "force_tol": p["local_refine_force_tol"] or p["force_tol"]}
    kw = dict(potential=potential, log_file=log_file, threads=threads, root=root)
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        for done, atom_id in enumerate(atom_ids, start=1):
            index = atom_id - 1
            search = LocalRegion(frame, index, r_search, shell, core_extra, p,
                                 Path(tmp) / "search.data", **kw)
            fine = None if r_refine is None else LocalRegion(
                frame, index, float(r_refine), shell, core_extra, p,
                Path(tmp) / "refine.data", **kw)
            try:
                for region in filter(None, (search, fine)):
                    if region.max_force > p["force_tol"] and not p["local_force_offset"]:
                        log.warning("atom %d: carved IS max force %.3g eV/Å (shell too "
                                    "thin?)", atom_id, region.max_force)
                refine = None
                if fine is not None:
                    embed = fine.rows_of(search.x0)

                    def refine(res, fine=fine, embed=embed):
                        return fine.refine(embed, res, q_fine)

                x0 = search.x0
                perturbed = np.arange(len(x0))[
                    np.linalg.norm(x0 - x0[0], axis=1) < p["perturb_radius"]] \
                    if p["perturb_neighbors"] else np.array([0])
                r, barriers = search_one_atom(search.provider, x0, search.e0, 0, perturbed,
                                              atom_id, int(frame.types[index]), q,
                                              seed=seed, sample_index=sample_index,
                                              refine=refine)
            finally:
                for region in filter(None, (search, fine)):
                    region.close()
            for k in ("calls", "lammps_s", "call_s"):
                timing[k] += search.forces.timing[k]
            timing["cluster_atoms"] += len(search.cluster.positions) / len(atom_ids)
            if fine is not None:
                timing["refine_calls"] += fine.forces.timing["calls"]
                timing["refine_lammps_s"] += fine.forces.timing["lammps_s"]
                timing["refine_cluster_atoms"] += len(fine.cluster.positions) / len(atom_ids)
            rows += r
            barrier_rows.append(_barrier_row(atom_id, int(frame.types[index]), barriers))
            progress(done)
    return (pd.DataFrame(rows, columns=EVENTS_COLUMNS),
            pd.DataFrame(barrier_rows, columns=list(barriers_units(int(p["n_events"])))),
            timing)


def run_artn(data_file: str | os.PathLike, atom_ids: Iterable[int], *,
             potential: Mapping[str, Any], params: Mapping[str, Any] | None = None,
             seed: int, sample_index: int = 0, log_file: str | os.PathLike | None = None,
             threads: int = 1, root: str | os.PathLike = "."
             ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """ARTn searches for the atoms ``atom_ids`` of the inherent structure ``data_file``.

    ``potential``: the config's potential dict (paths relative to ``root``); ``params``:
    ARTn parameters (see :data:`igd.artn.search.DEFAULT_PARAMS`, lengths Å, energies eV,
    curvatures eV/Å², forces eV/Å); ``seed`` the base seed and ``sample_index`` the sample
    number that, with atom id, event and attempt, seed every attempt.

    With ``params["local"]`` true, each search runs on a sphere carved around the central
    atom (:func:`search_atoms_local`: ``local_radius`` active + ``frozen_shell`` frozen,
    Å; by default no frozen shell, the force offset and the surface tether) instead of
    the whole periodic box — for large samples; accuracy and speed:
    ``benchmarks/bench_artn_local.py``.

    Returns ``(events, barriers)``: one row per attempt (columns and units in
    :data:`EVENTS_UNITS`; ``barrier`` = E_saddle − E_IS in eV, NaN unless ``converged``)
    and one row per atom with its sorted barriers ``dQ_01 … dQ_NN`` (eV; NaN for events
    that never converged, listed last; units :func:`barriers_units`).
    """
    p = make_params(params)
    if p["local"]:
        events, barriers, t = search_atoms_local(
            data_file, atom_ids, potential=potential, params=p, seed=seed,
            sample_index=sample_index, log_file=log_file, threads=threads, root=root)
        log.info("ARTn local: %d force calls on spheres of %.0f atoms (%.2f ms each in "
                 "LAMMPS); %d refinement calls on spheres of %.0f atoms (%.2f ms each)",
                 t["calls"], t["cluster_atoms"], 1e3 * t["lammps_s"] / max(t["calls"], 1),
                 t["refine_calls"], t["refine_cluster_atoms"],
                 1e3 * t["refine_lammps_s"] / max(t["refine_calls"], 1))
        return events, barriers
    frame = read_lammps_data(data_file)
    with LammpsForces(data_file, potential, log_file=log_file, threads=threads,
                      root=root) as provider:
        x0 = frame.positions
        e0, f0 = provider(x0)
        if max_atom_force(f0) > p["force_tol"]:
            log.warning("the initial structure is not a minimum: max force %.3g eV/Å",
                        max_atom_force(f0))
        provider.quiet()
        events, barriers = search_atoms(provider, x0, e0, frame.types, atom_ids, p,
                                        seed=seed, sample_index=sample_index,
                                        cell=frame.cell, origin=frame.origin)
        t = provider.timing
        log.info("ARTn: %d force calls, %.2f ms each in LAMMPS, %.2f ms per call in total",
                 t["calls"], 1e3 * t["lammps_s"] / max(t["calls"], 1),
                 1e3 * t["call_s"] / max(t["calls"], 1))
    return events, barriers
