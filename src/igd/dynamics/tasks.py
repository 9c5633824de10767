"""Tasks of stage 8 (PROTOCOL §8): one function per rule of ``workflow/rules/dynamics.smk``."""

from __future__ import annotations

import numpy as np

from igd.common import lammps
from igd.common.io import read_metadata, read_table, write_table
from igd.common.job import Job
from igd.dynamics.correlators import group_dynamics
from igd.dynamics.figures import fig06_dynamics
from igd.dynamics.md import log_time_grid, run_dynamics
from igd.dynamics.sq import is_structure_factor
from igd.dynamics.tables import displacements_from_table


def dynamics(job: Job) -> None:
    """NPT run of one IS at the dynamics temperature (:func:`igd.dynamics.md.run_dynamics`).

    params ``dynamics, potential, lammps, seed``; input ``data``; outputs ``atoms, times``.
    Every MPI rank runs the MD; only the writing rank writes.
    """
    p = job.params
    d = p.dynamics
    times = log_time_grid(d["t_min"], d["t_max"], d["points_per_decade"], d["timestep"])
    atoms, thermo, units = run_dynamics(
        job.input.data, potential=p.potential, temperature=d["temperature"],
        pressure=d["pressure"], tdamp=d["tdamp"], pdamp=d["pdamp"], timestep=d["timestep"],
        times_ps=times, seed=p.seed, barostat=d["barostat"],
        initial_temperature=d["initial_temperature"], remove_drift=d["remove_drift"],
        neighbor_skin=p.lammps["neighbor_skin"], log_file=job.log,
        threads=job.threads, suffix=p.lammps["suffix"])
    if not job.ranks.writes:
        return
    params = {**d, "seed": p.seed, "sample": job.wildcards.sample}
    prov = lammps.provenance(p.potential, rule=job.rule)
    write_table(atoms, job.output.atoms, units=units, params=params, provenance=prov,
                extra={"times_ps": thermo["t"].tolist(), "steps": thermo["step"].tolist()})
    write_table(thermo, job.output.times, units=units, params=params, provenance=prov)


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

    inputs ``atoms`` (displacement tables, one per sample, on one time grid), ``sq`` (one
    per sample); params ``samples, elements, dynamics``; output ``fig``.
    """
    d = job.params.dynamics
    times, disps, types = None, [], []
    for f in job.input.atoms:
        t = np.asarray(read_metadata(f)["times_ps"], dtype=float)
        if times is not None and not np.allclose(t, times):
            raise ValueError(f"{f}: time grid differs from the first sample's")
        times = t
        table = read_table(f)
        disps.append(displacements_from_table(table)[1])
        types.append(table["type"].to_numpy())
    disp, types = np.concatenate(disps), np.concatenate(types)
    groups = {"all": None, **{el: types == k + 1 for k, el in enumerate(job.params.elements)}}
    curves, summary, _units = group_dynamics(times, disp, d["q"], groups)
    sq = {s: read_table(f) for s, f in zip(job.params.samples, job.input.sq)}
    fig06_dynamics(sq, curves, summary, q=d["q"], temperature=d["temperature"],
                   path=job.output.fig)
