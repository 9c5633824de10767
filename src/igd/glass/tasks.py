"""Tasks of stage 1 (PROTOCOL §1): one function per rule of ``workflow/rules/glass.smk``."""

from __future__ import annotations

import logging

import numpy as np

from igd.common import lammps
from igd.common.io import read_metadata, read_table, write_table
from igd.common.job import Job
from igd.common.provenance import inherited_provenance
from igd.glass import figures
from igd.glass.quench import ATOM_UNITS, THERMO_UNITS, make_glass, phase_steps, run_segment
from igd.glass.rdf import first_peak_and_minimum, rdf_units
from igd.glass.rdf import rdf as radial_distribution
from igd.glass.segments import (CHECKPOINT_DIR, Checkpoints, check_restart, segment_bounds,
                                write_sidecar)

log = logging.getLogger(__name__)


def _lammps_kwargs(job: Job) -> dict:
    """The keyword arguments of :func:`make_glass` / :func:`run_segment` from the params."""
    p = job.params
    return dict(n_atoms=p.system["n_atoms"], composition=p.system["composition"],
                elements=p.potential["elements"], masses=p.potential["masses"],
                initial=p.system["initial"], potential=p.potential, glass=p.glass,
                seed=p.seed, log_file=job.log, threads=job.threads,
                suffix=p.lammps["suffix"], neighbor_skin=p.lammps["neighbor_skin"])


def _md_params(job: Job) -> dict:
    """What determines the MD trajectory (hashed into each restart's sidecar)."""
    p = job.params
    md = {k: v for k, v in p.glass.items() if k != "minimize"}
    return {"system": p.system, "glass": md, "potential": p.potential, "seed": p.seed}


def _checkpoints(job: Job, segment: int, segments: int) -> Checkpoints | None:
    """The in-segment checkpoints of this job (params ``checkpoint_steps``; none without)
    in results/{sample}/glass/checkpoints/{segment}/, outside the rule's outputs."""
    every = job.params.get("checkpoint_steps")
    if not every:
        return None
    sample = job.wildcards.sample
    return Checkpoints(CHECKPOINT_DIR.format(sample=sample, segment=segment), every=every,
                       sample=sample, params=_md_params(job), segment=segment,
                       segments=segments)


def _checked_restart(job: Job, segment: int, segments: int) -> tuple[str | None, int]:
    """(restart path, first MD step) of ``segment``: None, 0 for the first; else the
    previous segment's restart after :func:`igd.glass.segments.check_restart`."""
    if segment == 0:
        return None, 0
    total = sum(phase_steps(job.params.glass).values())
    begin = segment_bounds(total, segments)[segment][0]
    check_restart(job.input.restart, job.input.sidecar, sample=job.wildcards.sample,
                  params=_md_params(job), segments=segments, step=begin)
    return job.input.restart, begin


def glass_segment(job: Job) -> None:
    """One segment k < n − 1 of a melt-quench split into n = params ``segments`` jobs
    (:func:`igd.glass.quench.run_segment`): from the checked restart of segment k − 1
    (inputs ``restart, sidecar``; none for k = 0) to the end of its MD step range; outputs
    ``restart`` (LAMMPS binary), ``sidecar`` (JSON: sample, params hash, step, SHA-256)
    and ``thermo`` (text rows: step, temp K, press bar, vol Å³, pe eV)."""
    segment, segments = int(job.wildcards.segment), job.params.segments
    restart, begin = _checked_restart(job, segment, segments)
    total = sum(phase_steps(job.params.glass).values())
    end = segment_bounds(total, segments)[segment][1]
    checkpoints = _checkpoints(job, segment, segments)
    with job.ranks.private(job.output.restart) as restart_out, \
            job.ranks.private(job.output.thermo) as thermo_out:
        run_segment(restart_out, thermo_out, begin=begin, end=end, restart_in=restart,
                    checkpoints=checkpoints, **_lammps_kwargs(job))
    if job.ranks.writes:
        write_sidecar(job.output.restart, job.output.sidecar, sample=job.wildcards.sample,
                      params=_md_params(job), segment=segment, segments=segments, step=end)
        if checkpoints is not None:
            checkpoints.clear()


def glass(job: Job) -> None:
    """Melt-quench one sample to its inherent structure (:func:`igd.glass.quench.make_glass`).

    params ``system, glass, potential, lammps, seed`` (and ``segments`` n > 1 when the MD
    is split: this job is segment n − 1, from inputs ``restart, sidecar`` of segment
    n − 2, with the earlier segments' ``thermo`` files); outputs ``data, atoms, thermo``.
    Every MPI rank runs the quench; ranks > 0 write their data file (from which the driver
    derives its thermo file) to a private path.
    """
    p = job.params
    segments = p.get("segments", 1)
    restart, begin = _checked_restart(job, segments - 1, segments)
    parts = job.input.thermo if segments > 1 else []
    parts = [parts] if isinstance(parts, str) else parts
    checkpoints = _checkpoints(job, segments - 1, segments)
    with job.ranks.private(job.output.data) as data_out:
        atoms, thermo, summary = make_glass(data_out, restart_in=restart, begin=begin,
                                            thermo_parts=parts, checkpoints=checkpoints,
                                            **_lammps_kwargs(job))
    if not job.ranks.writes:
        return
    params = {"system": p.system, "glass": p.glass, "seed": p.seed,
              "sample": job.wildcards.sample}
    if segments > 1:
        params["segments"] = segments
    prov = lammps.provenance(p.potential, rule=job.rule)
    write_table(atoms, job.output.atoms, units=ATOM_UNITS, params=params, provenance=prov,
                extra={"box": {"origin": summary["box_origin"], "cell": summary["box_cell"]},
                       "summary": summary})
    write_table(thermo, job.output.thermo, units=THERMO_UNITS, params=params, provenance=prov)
    if checkpoints is not None:
        checkpoints.clear()


def import_glass(job: Job) -> None:
    """A glass from a structure file (:func:`igd.glass.importing.import_glass`): input
    ``source`` (the sheet row's file), params ``glass`` (minimize, barostat, pressure),
    ``potential, lammps``; outputs ``data`` (inherent structure), ``atoms`` (per-atom
    table with the box and summary in its metadata, as rule glass writes it)."""
    from igd.glass.importing import import_glass as run_import  # noqa: PLC0415

    p = job.params
    atoms, summary = run_import(job.input.source, job.output.data,
                                config={"potential": p.potential, "glass": p.glass,
                                        "lammps": p.lammps},
                                log_file=job.log, threads=job.threads)
    params = {"glass": p.glass, "source": str(job.input.source),
              "sample": job.wildcards.sample}
    write_table(atoms, job.output.atoms, units=ATOM_UNITS, params=params,
                provenance=lammps.provenance(p.potential, rule=job.rule),
                extra={"box": {"origin": summary["box_origin"], "cell": summary["box_cell"]},
                       "summary": summary})


def rdf(job: Job) -> None:
    """Total and partial g(r) of one inherent structure (:func:`igd.glass.rdf.rdf`).

    params ``rdf`` (``r_max``, ``dr``, Å), ``elements``; input ``atoms``; output ``rdf``
    (metadata ``first_peak``, ``first_minimum`` in Å).
    """
    atoms = read_table(job.input.atoms)
    cell = np.array(read_metadata(job.input.atoms)["box"]["cell"])
    p = job.params
    table = radial_distribution(atoms[["x", "y", "z"]].to_numpy(), cell,
                                atoms["type"].to_numpy(), p.elements,
                                r_max=p.rdf["r_max"], dr=p.rdf["dr"])
    peak, minimum = first_peak_and_minimum(table["r"].to_numpy(), table["g"].to_numpy())
    log.info("first peak %.3f Å, first minimum %.3f Å", peak, minimum)
    write_table(table, job.output.rdf, units=rdf_units(table.columns), params=p.rdf,
                provenance=inherited_provenance([job.input.atoms], rule=job.rule),
                extra={"first_peak": peak, "first_minimum": minimum})


def fig01_rdf(job: Job) -> None:
    """Paper Fig. 1 (:func:`igd.glass.figures.fig01_rdf`): inputs ``rdf`` (one per sample,
    in the order of params ``samples``); output ``figure``."""
    tables = {s: read_table(f) for s, f in zip(job.params.samples, job.input.rdf)}
    figures.fig01_rdf(tables, job.output.figure)
