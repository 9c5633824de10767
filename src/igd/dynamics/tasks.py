"""Tasks of stage 8 (PROTOCOL §8): one function per rule of ``workflow/rules/dynamics.smk``."""

from __future__ import annotations

import numpy as np

from igd.common import lammps
from igd.common.io import read_table, write_table
from igd.common.job import Job
from igd.dynamics.correlators import Moments, group_dynamics
from igd.dynamics.figures import fig06_dynamics
from igd.dynamics.md import THERMO_UNITS, log_time_grid, run_dynamics
from igd.dynamics.sq import is_structure_factor
from igd.dynamics.tables import (frames_metadata, frames_table, moment_table,
                                 read_moments)


def dynamics(job: Job) -> None:
    """NPT run of one IS at the dynamics temperature (:func:`igd.dynamics.md.run_dynamics`).

    params ``dynamics, potential, lammps, seed``; input ``data``; outputs ``atoms`` (per-atom
    origin-averaged moments, :func:`igd.dynamics.tables.moment_table`; metadata ``times_ps``
    = lags, ``q``), ``times`` (thermo; t < 0 during the equilibration), ``frames`` (uniform
    frames of the production run in the reference cell, :func:`igd.dynamics.tables.frames_table`;
    metadata ``times_ps, cell, origin, pbc``). Every MPI rank runs the MD; only the writing
    rank writes.
    """
    p = job.params
    d = p.dynamics
    lags = log_time_grid(d["t_min"], d["t_max"], d["points_per_decade"], d["timestep"])
    run = run_dynamics(
        job.input.data, potential=p.potential, temperature=d["temperature"],
        pressure=d["pressure"], tdamp=d["tdamp"], pdamp=d["pdamp"], timestep=d["timestep"],
        times_ps=lags, seed=p.seed, q=d["q"], equilibration=d["equilibration"],
        n_origins=d["n_origins"], origin_interval=d["origin_interval"],
        frame_interval=d["frame_interval"], barostat=d["barostat"],
        initial_temperature=d["initial_temperature"], remove_drift=d["remove_drift"],
        neighbor_skin=p.lammps["neighbor_skin"], log_file=job.log,
        threads=job.threads, suffix=p.lammps["suffix"])
    if not job.ranks.writes:
        return
    params = {**d, "seed": p.seed, "sample": job.wildcards.sample}
    prov = lammps.provenance(p.potential, rule=job.rule)
    atoms, units = moment_table(run.ids, run.types, run.moments)
    write_table(atoms, job.output.atoms, units=units, params=params, provenance=prov,
                extra={"times_ps": run.lags.tolist(), "q": d["q"]})
    write_table(run.thermo, job.output.times, units=THERMO_UNITS, params=params,
                provenance=prov)
    frames, f_units = frames_table(run.ids, run.types, run.frames)
    write_table(frames, job.output.frames, units=f_units, params=params, provenance=prov,
                extra=frames_metadata(run.frame_times, run.cell, run.origin))


def structure_factor(job: Job) -> None:
    """S(q) and its Ashcroft–Langreth partials of one IS (Fig. 6a;
    :func:`igd.dynamics.sq.is_structure_factor`).

    params ``sq, elements, seed``; input ``data``; output ``sq``.
    """
    s = job.params.sq
    table, units = is_structure_factor(job.input.data, q_max=s["q_max"], dq=s["dq"],
                                       max_k_per_bin=s["max_k_per_bin"], seed=job.params.seed,
                                       elements=job.params.elements)
    write_table(table, job.output.sq, units=units,
                params={**s, "seed": job.params.seed, "sample": job.wildcards.sample},
                provenance={"rule": job.rule})


def fig06(job: Job) -> None:
    """Paper Fig. 6: S(q) of the IS; MSD, α2 and F_s at the dynamics temperature of all
    atoms and of each element, pooled over samples.

    inputs ``atoms`` (moment tables, one per sample, on one lag grid), ``sq`` (one
    per sample); params ``samples, elements, dynamics``; output ``fig``.
    """
    d = job.params.dynamics
    times, samples = read_moments(job.input.atoms)
    moments = Moments.concat([m for _ids, _types, m in samples])
    types = np.concatenate([ty for _ids, ty, _m in samples])
    groups = {"all": None, **{el: types == k + 1 for k, el in enumerate(job.params.elements)}}
    curves, summary, _units = group_dynamics(times, moments, groups)
    sq = {s: read_table(f) for s, f in zip(job.params.samples, job.input.sq)}
    fig06_dynamics(sq, curves, summary, q=d["q"], temperature=d["temperature"],
                   path=job.output.fig)
