"""Tasks of stage 2 (PROTOCOL §2): one function per rule of ``workflow/rules/labels.smk``."""

from __future__ import annotations

import pandas as pd

from igd.common import lammps
from igd.common.io import read_metadata, read_table, write_table
from igd.common.job import Job
from igd.common.provenance import inherited_provenance
from igd.labels.aqs import CURVE_UNITS, PER_ATOM_UNITS, TRACE_UNITS, run_aqs
from igd.labels.figures import fig03_dd2min, fig03_stress_strain
from igd.labels.labels import LABEL_UNITS, make_labels


def aqs(job: Job) -> None:
    """AQS shear of one sample in one direction (:func:`igd.labels.aqs.run_aqs`).

    params ``shear`` (without ``threshold``), ``potential, lammps``; wildcards ``sample,
    direction``; inputs ``data, rdf`` (its ``first_minimum``, Å, is the ΔD²min cutoff
    unless ``shear.d2min_cutoff`` is set); outputs ``atoms, curve, trace``. Every MPI rank
    runs the shear; only the writing rank writes.
    """
    p, wc = job.params, job.wildcards
    sh = p.shear
    cutoff = sh["d2min_cutoff"] or read_metadata(job.input.rdf)["first_minimum"]
    per_atom, curve, trace = run_aqs(
        job.input.data, wc.direction, potential=p.potential,
        strain_step=sh["strain_step"], strain_max=sh["strain_max"],
        d2min_interval=sh["d2min_interval"], d2min_cutoff=cutoff,
        d2min_normalization=sh["d2min_normalization"], min_style=sh["min_style"],
        etol=sh["etol"], ftol=sh["ftol"], maxiter=sh["maxiter"], maxeval=sh["maxeval"],
        fmax_tol=sh["fmax_tolerance"], neighbor_skin=sh["neighbor_skin"],
        trace_atoms=sh["trace_atoms"], log_file=job.log, threads=job.threads,
        suffix=p.lammps["suffix"])
    if not job.ranks.writes:
        return
    params = {**sh, "d2min_cutoff_used": cutoff, "direction": wc.direction,
              "sample": wc.sample}
    prov = lammps.provenance(p.potential, rule=job.rule)
    write_table(per_atom, job.output.atoms, units=PER_ATOM_UNITS, params=params,
                provenance=prov)
    write_table(curve, job.output.curve, units=CURVE_UNITS, params=params, provenance=prov)
    write_table(trace, job.output.trace, units=TRACE_UNITS, params=params, provenance=prov)


def labels(job: Job) -> None:
    """Plasticity labels of one sample (:func:`igd.labels.labels.make_labels`).

    params ``directions`` (the order of input ``shear``), ``threshold`` (Å²); inputs
    ``atoms`` (glass), ``shear`` (one per direction); output ``labels``.
    """
    p = job.params
    tables = {d: read_table(f) for d, f in zip(p.directions, job.input.shear)}
    atoms = read_table(job.input.atoms, columns=["id", "type"])
    table = make_labels(tables, atoms, p.threshold)
    write_table(table, job.output.labels, units=LABEL_UNITS,
                params={"threshold": p.threshold, "directions": p.directions,
                        "sample": job.wildcards.sample},
                provenance=inherited_provenance([job.input.atoms, *job.input.shear],
                                                rule=job.rule),
                extra={"rearranged_fraction": float(table["rearranged"].mean())})


def fig03(job: Job) -> None:
    """Paper Fig. 3: ΔD²min traces and distribution; stress–strain curves
    (:mod:`igd.labels.figures`).

    params ``samples, directions, threshold``; inputs ``labels`` (per sample), ``curves``
    (expand order: sample outer, direction inner), ``traces`` (first sample, per
    direction); outputs ``dd2min, stress``.
    """
    p = job.params
    table = pd.concat([read_table(f) for f in job.input.labels], ignore_index=True)
    traces = {d: read_table(f) for d, f in zip(p.directions, job.input.traces)}
    fig03_dd2min(traces, table, p.threshold, job.output.dd2min)
    keys = [(s, d) for s in p.samples for d in p.directions]   # expand(sample, direction)
    curves = {k: read_table(f) for k, f in zip(keys, job.input.curves)}
    fig03_stress_strain(curves, job.output.stress)
