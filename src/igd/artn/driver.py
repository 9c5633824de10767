"""ARTn for a chunk of atoms: the per-atom search loop and its entry point :func:`run_artn`.

**Driver** (:func:`run_artn`): for a list of atom ids (a chunk), ``n_events`` searches per
atom, each from the IS with a random perturbation of the central atom (optionally of its
neighbours within ``perturb_radius``; :mod:`igd.artn.perturb`). Failed attempts are
retried with a new direction up to ``max_attempts`` per event. The random stream of every attempt is
``SeedSequence([seed, sample_index, atom_id, event, attempt])``, so a rerun of any chunk
reproduces its searches exactly whatever the chunking; before every search the provider
is reset (positions of the IS + a full ``run 0`` set-up), because the neighbour-list
order left by earlier searches changes the last bits of the forces and a search
amplifies them (tested: a chunk and a single atom rerun give identical rows).

Whole box (:func:`search_atoms`): one :class:`~igd.artn.lammps_forces.LammpsForces` on
the periodic sample. Local mode (``params["local"]``, :func:`search_atoms_local`): each
atom's searches on a sphere carved around it (:mod:`igd.artn.region`). The rows and
units of the two tables: :mod:`igd.artn.tables`.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd

from igd.artn.carve import local_shell
from igd.artn.lammps_forces import LammpsForces
from igd.artn.params import make_params
from igd.artn.perturb import attempt_rng, perturbation, perturbed_atoms
from igd.artn.provider import max_atom_force
from igd.artn.region import LocalRegion
from igd.artn.search import artn_search
from igd.artn.tables import barrier_row, event_row, tables
from igd.common.datafile import read_lammps_data
from igd.common.neighbors import perpendicular_widths

log = logging.getLogger(__name__)


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
            row = event_row(atom_id, atom_type, event, attempt, res, 0.0)
            if refine is not None and res.status == "converged":
                fine = refine(res)
                row.update(event_row(atom_id, atom_type, event, attempt, fine, 0.0),
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
        barrier_rows.append(barrier_row(atom_id, int(types[index]), barriers))
        progress(done)
    return tables(rows, barrier_rows, p["n_events"])


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
            barrier_rows.append(barrier_row(atom_id, int(frame.types[index]), barriers))
            progress(done)
    return (*tables(rows, barrier_rows, p["n_events"]), timing)


def run_artn(data_file: str | os.PathLike, atom_ids: Iterable[int], *,
             potential: Mapping[str, Any], params: Mapping[str, Any] | None = None,
             seed: int, sample_index: int = 0, log_file: str | os.PathLike | None = None,
             threads: int = 1, root: str | os.PathLike = "."
             ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """ARTn searches for the atoms ``atom_ids`` of the inherent structure ``data_file``.

    ``potential``: the config's potential dict (paths relative to ``root``); ``params``:
    ARTn parameters (see :data:`igd.artn.params.DEFAULT_PARAMS`, lengths Å, energies eV,
    curvatures eV/Å², forces eV/Å); ``seed`` the base seed and ``sample_index`` the sample
    number that, with atom id, event and attempt, seed every attempt.

    With ``params["local"]`` true, each search runs on a sphere carved around the central
    atom (:func:`search_atoms_local`: ``local_radius`` active + ``frozen_shell`` frozen,
    Å; by default no frozen shell, the force offset and the surface tether) instead of
    the whole periodic box — for large samples; accuracy and speed:
    ``benchmarks/bench_artn_local.py``.

    Returns ``(events, barriers)``: one row per attempt (columns and units in
    :data:`igd.artn.tables.EVENTS_UNITS`; ``barrier`` = E_saddle − E_IS in eV, NaN unless
    ``converged``) and one row per atom with its sorted barriers ``dQ_01 … dQ_NN`` (eV;
    NaN for events that never converged, listed last; units
    :func:`igd.artn.tables.barriers_units`).
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
