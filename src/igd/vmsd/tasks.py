"""Tasks of stage 3 (PROTOCOL §3): one function per rule of ``workflow/rules/vmsd.smk``."""

from __future__ import annotations

import pandas as pd

from igd.common import lammps
from igd.common.io import read_table, write_table
from igd.common.job import Job
from igd.vmsd import figures
from igd.vmsd.md import UNITS, run_vmsd


def vmsd(job: Job) -> None:
    """Vibrational MSD of one sample at one temperature (:func:`igd.vmsd.md.run_vmsd`).

    params ``vmsd, potential, lammps, seed``; wildcards ``sample, T`` (K); input ``data``;
    output ``vmsd``. Every MPI rank runs the MD; only the writing rank writes.
    """
    p, v = job.params, job.params.vmsd
    temperature = float(job.wildcards.T)
    table = run_vmsd(
        job.input.data, potential=p.potential, temperature=temperature,
        duration_ps=v["duration"], timestep_ps=v["timestep"],
        sample_every_ps=v["sample_every"], seed=p.seed,
        equilibration_ps=v["equilibration"], ensemble=v["ensemble"],
        thermostat=v["thermostat"], tdamp_ps=v["tdamp"], pdamp_ps=v["pdamp"],
        barostat=v["barostat"], velocity_factor=v["velocity_factor"], com=v["com"],
        log_file=job.log, threads=job.threads, suffix=p.lammps["suffix"])
    if not job.ranks.writes:
        return
    write_table(table, job.output.vmsd, units=UNITS,
                params={**v, "temperature": temperature, "seed": p.seed,
                        "sample": job.wildcards.sample},
                provenance=lammps.provenance(p.potential, rule=job.rule),
                extra={"diagnostics": table.attrs.get("vmsd", {})})


def fig_vmsd(job: Job) -> None:
    """vMSD distributions per temperature and mean vMSD(T) of Cu and Zr
    (:func:`igd.vmsd.figures.fig_vmsd`).

    params ``samples, temperatures``; inputs ``vmsd`` (expand order: sample outer,
    temperature inner), ``atoms`` (glass, per sample: the elements); output ``figure``.
    """
    samples, temps = job.params.samples, job.params.temperatures
    files = iter(job.input.vmsd)
    elements = {s: read_table(f, columns=["id", "element"])
                for s, f in zip(samples, job.input.atoms)}
    rows = []
    for s in samples:           # expand() order: sample outer, temperature inner
        for T in temps:
            t = read_table(next(files)).merge(elements[s], on="id")
            t["sample"], t["T"] = s, float(T)
            rows.append(t)
    figures.fig_vmsd(pd.concat(rows, ignore_index=True), job.output.figure)
