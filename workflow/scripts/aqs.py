"""Rule aqs: athermal quasi-static shear of one sample in one direction."""

from igd.io import read_metadata, write_table
from igd.lmp import provenance
from igd.logs import setup
from igd.shear import CURVE_UNITS, PER_ATOM_UNITS, TRACE_UNITS, run_aqs

sm = snakemake  # noqa: F821
warnings = setup(sm.log[0])
sh = sm.params.shear
cutoff = sh["d2min_cutoff"] or read_metadata(sm.input.rdf)["first_minimum"]
per_atom, curve, trace = run_aqs(
    sm.input.data, sm.wildcards.direction, potential=sm.params.potential,
    strain_step=sh["strain_step"], strain_max=sh["strain_max"],
    d2min_interval=sh["d2min_interval"], d2min_cutoff=cutoff,
    d2min_normalization=sh["d2min_normalization"], min_style=sh["min_style"],
    etol=sh["etol"], ftol=sh["ftol"], maxiter=sh["maxiter"], maxeval=sh["maxeval"],
    fmax_tol=sh["fmax_tolerance"], neighbor_skin=sh["neighbor_skin"],
    trace_atoms=sh["trace_atoms"], log_file=sm.log[0], threads=sm.threads,
    suffix=sm.params.lammps["suffix"])
params = {**sh, "d2min_cutoff_used": cutoff, "direction": sm.wildcards.direction,
          "sample": sm.wildcards.sample}
prov = provenance(sm.params.potential, rule=sm.rule)
write_table(per_atom, sm.output.atoms, units=PER_ATOM_UNITS, params=params, provenance=prov)
write_table(curve, sm.output.curve, units=CURVE_UNITS, params=params, provenance=prov)
write_table(trace, sm.output.trace, units=TRACE_UNITS, params=params, provenance=prov)
