"""Dynamics at 700 K: the LAMMPS driver recording displacements over time origins and
uniform frames of the production run.

:func:`run_dynamics` — NPT (Nosé–Hoover, Parrinello–Rahman) from the inherent structure:
velocities drawn at ``initial_temperature``, an equilibration at the run temperature, then
the production run whose t = 0 configuration is the reference. Every snapshot is unwrapped
(``x`` + image flags, :func:`igd.vmsd.md.reference`) and mapped through its reduced
coordinates onto the reference cell (:func:`igd.vmsd.msd.displacements`), so the box's
breathing under the barostat adds no affine displacement (``xu(t) − xu(0)`` would carry
ε·(x + n·L − centre) for an atom with image flag n). The displacements over the lags of a
log grid (:func:`log_time_grid`) are averaged over ``n_origins`` time origins spaced by
``origin_interval`` (:class:`igd.dynamics.correlators.OriginAverager`) into per-atom
moments; frames every ``frame_interval`` (positions wrapped into the reference cell) feed
the Voronoi-entropy history. Memory: the moments (N × K × 3 float64), the stored origin
frames (≤ n_origins × N × 3) and the frames (n_frames × N × 3).
"""

from __future__ import annotations

import logging
import math
import os
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from igd.common.lammps import check_finite, gather, load_structure, start_lammps
from igd.common.logs import Progress
from igd.common.neighbors import wrap
from igd.dynamics.correlators import Moments, OriginAverager
from igd.vmsd.md import Reference, atom_masses, reference
from igd.vmsd.msd import displacements
from igd.vmsd.msd import remove_drift as subtract_drift

log = logging.getLogger(__name__)

THERMO_UNITS = {"step": "", "t": "ps", "temp": "K", "press": "bar", "vol": "Angstrom^3",
                "pe": "eV"}
"""Units of :attr:`DynamicsRun.thermo`."""


def log_time_grid(t_min: float, t_max: float, points_per_decade: int,
                  timestep: float) -> np.ndarray:
    """Log-spaced times (ps) from ``t_min`` to ``t_max`` rounded to whole MD steps.

    Duplicates after rounding (at short times) are dropped; every time is ≥ 1 step.
    """
    if not 0 < t_min < t_max:
        raise ValueError(f"need 0 < t_min < t_max, got {t_min}, {t_max}")
    n = int(math.ceil(points_per_decade * math.log10(t_max / t_min))) + 1
    t = np.geomspace(t_min, t_max, n)
    steps = np.unique(np.maximum(1, np.rint(t / timestep).astype(np.int64)))
    return steps * timestep


def _n_steps(ps: float, timestep: float, what: str) -> int:
    n = int(round(ps / timestep))
    if ps < 0 or abs(n * timestep - ps) > 1e-6 * timestep:
        raise ValueError(f"{what} = {ps} ps is not a whole number of {timestep} ps steps")
    return n


@dataclass
class DynamicsRun:
    """What :func:`run_dynamics` measured.

    ``ids``, ``types`` (N,) by id; ``lags`` (K,) ps and the origin-averaged ``moments``
    (:class:`Moments`, (N, K)); ``thermo`` (``step, t, temp, press, vol, pe``; t < 0 during
    the equilibration, units :data:`THERMO_UNITS`); ``frames`` list of (N, 3) Å positions
    at ``frame_times`` (ps from the start of production), wrapped into the reference cell
    ``cell`` (rows a, b, c, Å) at ``origin`` (Å); ``reference`` the unwrapped t = 0
    configuration.
    """

    ids: np.ndarray
    types: np.ndarray
    lags: np.ndarray
    moments: Moments
    thermo: pd.DataFrame
    frames: list[np.ndarray]
    frame_times: np.ndarray
    reference: Reference

    @property
    def cell(self) -> np.ndarray:
        return self.reference.cell

    @property
    def origin(self) -> np.ndarray:
        return self.reference.origin


def run_dynamics(data_file: str | os.PathLike, *, potential: Mapping[str, Any],
                 temperature: float, pressure: float, tdamp: float, pdamp: float,
                 timestep: float, times_ps: Sequence[float], seed: int, q: float,
                 equilibration: float = 0.0, n_origins: int = 1,
                 origin_interval: float = 0.0, frame_interval: float | None = None,
                 barostat: str = "iso", initial_temperature: float | None = None,
                 remove_drift: bool = True, neighbor_skin: float | None = None,
                 log_file: str | os.PathLike | None = None, threads: int = 1,
                 suffix: str | None = None, root: str | os.PathLike = ".",
                 ) -> DynamicsRun:
    """NPT run from the IS: equilibration, then origin-averaged displacement moments.

    Velocities are drawn at ``initial_temperature`` (K; default ``temperature``; Gaussian,
    zero total and angular momentum, ``seed``), then ``fix npt`` at ``temperature`` (K),
    ``pressure`` (bar, ``barostat`` coupling), damping ``tdamp``/``pdamp`` (ps),
    ``timestep`` (ps). After ``equilibration`` ps the configuration is the reference
    (t = 0). The lags ``times_ps`` (ps, > 0; rounded to whole steps, duplicates dropped)
    are measured from ``n_origins`` origins at t0 = j·``origin_interval`` (ps), so the
    production run lasts (n_origins − 1)·origin_interval + max lag. Displacements are in
    the reduced coordinates of the reference cell, the mass-weighted centre-of-mass drift
    removed at every snapshot (``remove_drift``); F_s at ``q`` (Å⁻¹). With
    ``frame_interval`` (ps), frames every that long over the whole production run.
    """
    lags = np.unique(np.rint(np.asarray(times_ps, dtype=float) / timestep).astype(np.int64))
    if lags.size == 0 or lags[0] < 1:
        raise ValueError("times_ps must be positive and at least one timestep")
    if n_origins < 1:
        raise ValueError(f"n_origins must be ≥ 1, got {n_origins}")
    n_eq = _n_steps(equilibration, timestep, "equilibration")
    every_origin = _n_steps(origin_interval, timestep, "origin_interval")
    if n_origins > 1 and every_origin < 1:
        raise ValueError("several origins need origin_interval ≥ one timestep")
    every_frame = (None if frame_interval is None
                   else _n_steps(frame_interval, timestep, "frame_interval"))
    if every_frame is not None and every_frame < 1:
        raise ValueError("frame_interval must be at least one timestep")
    lmp = start_lammps(log_file, threads=threads, suffix=suffix)
    try:
        load_structure(lmp, data_file, potential, root=root, neighbor_skin=neighbor_skin)
        lmp.command(f"timestep {timestep}")
        lmp.command("thermo_style custom step temp press vol pe")
        t_init = temperature if initial_temperature is None else initial_temperature
        lmp.command(f"velocity all create {t_init} {int(seed)} mom yes rot yes dist gaussian")
        lmp.command(f"fix igd_npt all npt temp {temperature} {temperature} {tdamp} "
                    f"{barostat} {pressure} {pressure} {pdamp}")
        masses = atom_masses(lmp) if remove_drift else None
        types = gather(lmp, "type", 1, dtype=0).astype(np.int64)
        lmp.command("run 0")
        thermo = [_thermo_row(lmp, -n_eq, timestep)]
        chunk = max(1, every_frame or n_eq // 20 or 1)
        done = -n_eq
        while done < 0:
            n = min(chunk, -done)
            lmp.command(f"run {n} pre no post no")
            done += n
            thermo.append(_thermo_row(lmp, done, timestep))
        check_finite(lmp, "dynamics equilibration")
        ref = reference(lmp)
        avg = OriginAverager(np.arange(n_origins) * every_origin, lags, ref.ids.size, q)
        end = int(avg.steps[-1])
        frame_steps = (np.arange(0, end + 1, every_frame) if every_frame
                       else np.empty(0, np.int64))
        steps = np.union1d(avg.steps, frame_steps)
        wanted, frames = set(avg.steps.tolist()), []
        log.info("%g K dynamics: %d atoms, %g ps equilibration, %d origins every %g ps, "
                 "%d lags to %g ps, %d frames; production %g ps (%d snapshots)",
                 temperature, ref.ids.size, equilibration, n_origins, origin_interval,
                 lags.size, lags[-1] * timestep, frame_steps.size, end * timestep, steps.size)
        progress = Progress(end, f"{temperature:g} K dynamics", log, unit="steps", every=30.0)
        for step in steps:
            if step > done:
                lmp.command(f"run {int(step - done)} pre no post no")
                done = int(step)
                thermo.append(_thermo_row(lmp, done, timestep))
            snap = reference(lmp)
            d = displacements(snap.positions, snap.origin, snap.cell, ref.positions,
                              ref.origin, ref.cell)
            d = subtract_drift(d, com="mass" if remove_drift else "none", masses=masses)
            if step in wanted:
                avg.add(int(step), d)
            if every_frame and step % every_frame == 0:
                frames.append(wrap(ref.positions + d, ref.cell, ref.origin))
            check_finite(lmp, f"dynamics step {done}")
            progress.update(done)
    finally:
        lmp.close()
    table = pd.DataFrame(thermo, columns=list(THERMO_UNITS))
    return DynamicsRun(ids=ref.ids, types=types, lags=lags * timestep, moments=avg.result(),
                       thermo=table, frames=frames, frame_times=frame_steps * timestep,
                       reference=ref)


def _thermo_row(lmp, step: int, timestep: float) -> list[float]:
    return [step, step * timestep] + [lmp.get_thermo(k) for k in ("temp", "press", "vol", "pe")]
