"""Dynamics at 700 K: the LAMMPS driver recording displacement histories on a time grid.

:func:`run_dynamics` — NPT (Nosé–Hoover, Parrinello–Rahman) from the inherent structure,
unwrapped positions (``compute property/atom xu yu zu``) gathered at the steps of a time
grid (:func:`log_time_grid`) by a loop of ``run`` chunks; returns per-atom displacements
Δr_i(t_k) = r_i(t_k) − r_i(0), mass-weighted centre-of-mass drift removed, as a
displacement table (:mod:`igd.dynamics.tables`). Memory is N × K × 3 float64
(19 652 atoms × 60 times = 28 MB). Their averages are in :mod:`igd.dynamics.correlators`.
"""

from __future__ import annotations

import logging
import math
import os
import time
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from igd.common.datafile import read_lammps_data
from igd.dynamics.correlators import remove_com_drift
from igd.dynamics.tables import displacement_table

log = logging.getLogger(__name__)


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


def run_dynamics(data_file: str | os.PathLike, *, potential: Mapping[str, Any],
                 temperature: float, pressure: float, tdamp: float, pdamp: float,
                 timestep: float, times_ps: Sequence[float], seed: int,
                 barostat: str = "iso", initial_temperature: float | None = None,
                 remove_drift: bool = True, neighbor_skin: float | None = None,
                 log_file: str | os.PathLike | None = None, threads: int = 1,
                 suffix: str | None = None, root: str | os.PathLike = ".",
                 ) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str]]:
    """NPT run from the IS recording unwrapped displacements on a time grid.

    Velocities are drawn at ``initial_temperature`` (K; default ``temperature``; Gaussian,
    zero total and angular momentum, ``seed``), then ``fix npt`` at ``temperature`` (K),
    ``pressure`` (bar, ``barostat`` coupling), damping ``tdamp``/``pdamp`` (ps),
    ``timestep`` (ps). ``times_ps`` (ps, > 0) are rounded to whole steps (duplicates
    dropped); the reference configuration is t = 0, the IS.

    Returns ``(atoms_df, times_df, units)``: ``atoms_df`` = ``id, type`` + ``dx_<k>,
    dy_<k>, dz_<k>`` (Å) per time index k; ``times_df`` = ``k, step, t, temp, press, vol,
    pe`` at each recorded time (put ``times_df.t`` in the atoms table's metadata too).
    """
    from igd.common.lammps import gather, load_structure, start_lammps  # noqa: PLC0415

    steps = np.unique(np.rint(np.asarray(times_ps, dtype=float) / timestep).astype(np.int64))
    if steps.size == 0 or steps[0] < 1:
        raise ValueError("times_ps must be positive and at least one timestep")
    frame = read_lammps_data(data_file)
    masses = np.array([frame.masses[t] for t in frame.types]) if frame.masses else None
    lmp = start_lammps(log_file, threads=threads, suffix=suffix)
    try:
        load_structure(lmp, data_file, potential, root=root, neighbor_skin=neighbor_skin)
        lmp.command(f"timestep {timestep}")
        lmp.command("compute igd_xu all property/atom xu yu zu")
        lmp.command("thermo_style custom step temp press vol pe")
        t_init = temperature if initial_temperature is None else initial_temperature
        lmp.command(f"velocity all create {t_init} {int(seed)} mom yes rot yes dist gaussian")
        lmp.command(f"fix igd_npt all npt temp {temperature} {temperature} {tdamp} "
                    f"{barostat} {pressure} {pressure} {pdamp}")
        lmp.command("run 0")
        x0 = gather(lmp, "c_igd_xu", 3)
        disp = np.empty((len(x0), steps.size, 3))
        thermo = []
        done = 0
        t_start = time.perf_counter()
        t_last = t_start
        for k, step in enumerate(steps):
            lmp.command(f"run {int(step - done)} pre no post no")
            done = int(step)
            disp[:, k] = gather(lmp, "c_igd_xu", 3) - x0
            thermo.append([k, done, done * timestep] +
                          [lmp.get_thermo(q) for q in ("temp", "press", "vol", "pe")])
            now = time.perf_counter()
            if now - t_last > 30 or k == steps.size - 1:
                rate = done / (now - t_start)
                log.info("700 K dynamics: step %d / %d (%.0f steps/s, ETA %.0f s), T = %.0f K",
                         done, steps[-1], rate, (steps[-1] - done) / rate, thermo[-1][3])
                t_last = now
    finally:
        lmp.close()
    if remove_drift:
        disp = remove_com_drift(disp, masses)
    atoms = displacement_table(frame.ids, frame.types, disp)
    times = pd.DataFrame(thermo, columns=["k", "step", "t", "temp", "press", "vol", "pe"])
    units = {"id": "", "type": "", **{c: "Angstrom" for c in atoms.columns[2:]},
             "k": "", "step": "", "t": "ps", "temp": "K", "press": "bar",
             "vol": "Angstrom^3", "pe": "eV"}
    return atoms, times, units
