"""Tasks of stage 1 (PROTOCOL §1): one function per rule of ``workflow/rules/glass.smk``."""

from __future__ import annotations

from igd.common import lammps
from igd.common.io import write_table
from igd.common.job import Job
from igd.glass.quench import ATOM_UNITS, THERMO_UNITS, make_glass


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
