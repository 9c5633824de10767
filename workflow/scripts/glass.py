"""Rule glass: melt-quench one sample to its inherent structure."""

from igd.glass import ATOM_UNITS, THERMO_UNITS, make_glass
from igd.io import write_table
from igd.lmp import provenance
from igd.logs import setup

sm = snakemake  # noqa: F821  (injected by Snakemake)
warnings = setup(sm.log[0])
p = sm.params
atoms, thermo, summary = make_glass(
    sm.output.data, n_atoms=p.system["n_atoms"], composition=p.system["composition"],
    elements=p.potential["elements"], masses=p.potential["masses"],
    initial=p.system["initial"], potential=p.potential, glass=p.glass, seed=p.seed,
    log_file=sm.log[0], threads=sm.threads, suffix=p.lammps["suffix"],
    neighbor_skin=p.lammps["neighbor_skin"])
params = {"system": p.system, "glass": p.glass, "seed": p.seed, "sample": sm.wildcards.sample}
prov = provenance(p.potential, rule=sm.rule)
write_table(atoms, sm.output.atoms, units=ATOM_UNITS, params=params, provenance=prov,
            extra={"box": {"origin": summary["box_origin"], "cell": summary["box_cell"]},
                   "summary": summary})
write_table(thermo, sm.output.thermo, units=THERMO_UNITS, params=params, provenance=prov)
