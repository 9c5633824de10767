"""Tasks of stage 1 (PROTOCOL §1): one function per rule of ``workflow/rules/glass.smk``."""

from __future__ import annotations

import logging

import numpy as np

from igd.common import lammps
from igd.common.io import read_metadata, read_table, write_table
from igd.common.job import Job
from igd.common.provenance import inherited_provenance
from igd.glass import figures
from igd.glass.quench import ATOM_UNITS, THERMO_UNITS, make_glass
from igd.glass.rdf import first_peak_and_minimum, rdf_units
from igd.glass.rdf import rdf as radial_distribution

log = logging.getLogger(__name__)


def glass(job: Job) -> None:
    """Melt-quench one sample to its inherent structure (:func:`igd.glass.quench.make_glass`).

    params ``system, glass, potential, lammps, seed``; outputs ``data, atoms, thermo``.
    Every MPI rank runs the quench; ranks > 0 write their data file (from which the driver
    derives its thermo file) to a private path.
    """
    p = job.params
    with job.ranks.private(job.output.data) as data_out:
        atoms, thermo, summary = make_glass(
            data_out, n_atoms=p.system["n_atoms"], composition=p.system["composition"],
            elements=p.potential["elements"], masses=p.potential["masses"],
            initial=p.system["initial"], potential=p.potential, glass=p.glass,
            seed=p.seed, log_file=job.log, threads=job.threads,
            suffix=p.lammps["suffix"], neighbor_skin=p.lammps["neighbor_skin"])
    if not job.ranks.writes:
        return
    params = {"system": p.system, "glass": p.glass, "seed": p.seed,
              "sample": job.wildcards.sample}
    prov = lammps.provenance(p.potential, rule=job.rule)
    write_table(atoms, job.output.atoms, units=ATOM_UNITS, params=params, provenance=prov,
                extra={"box": {"origin": summary["box_origin"], "cell": summary["box_cell"]},
                       "summary": summary})
    write_table(thermo, job.output.thermo, units=THERMO_UNITS, params=params, provenance=prov)


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
