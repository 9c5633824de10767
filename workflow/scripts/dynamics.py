"""Rule dynamics: NPT run of one IS at the dynamics temperature (700 K), per-atom
displacement histories on a log time grid."""

from igd.dynamics import log_time_grid, run_dynamics
from igd.io import write_table
from igd.lmp import provenance
from igd.logs import setup

sm = snakemake  # noqa: F821
setup(sm.log[0])
d = sm.params.dynamics
times = log_time_grid(d["t_min"], d["t_max"], d["points_per_decade"], d["timestep"])
atoms, thermo, units = run_dynamics(
    sm.input.data, potential=sm.params.potential, temperature=d["temperature"],
    pressure=d["pressure"], tdamp=d["tdamp"], pdamp=d["pdamp"], timestep=d["timestep"],
    times_ps=times, seed=sm.params.seed, barostat=d["barostat"],
    initial_temperature=d["initial_temperature"], remove_drift=d["remove_drift"],
    neighbor_skin=sm.params.lammps["neighbor_skin"], log_file=sm.log[0],
    threads=sm.threads, suffix=sm.params.lammps["suffix"])
params = {**d, "seed": sm.params.seed, "sample": sm.wildcards.sample}
prov = provenance(sm.params.potential, rule=sm.rule)
write_table(atoms, sm.output.atoms, units=units, params=params, provenance=prov,
            extra={"times_ps": thermo["t"].tolist(), "steps": thermo["step"].tolist()})
write_table(thermo, sm.output.times, units=units, params=params, provenance=prov)
