"""Rule vmsd: time-averaged vibrational MSD of one sample at one temperature."""

from igd.io import write_table
from igd.lmp import provenance
from igd.logs import setup
from igd.vmsd import UNITS, run_vmsd

sm = snakemake  # noqa: F821
setup(sm.log[0])
v = sm.params.vmsd
T = float(sm.wildcards.T)
table = run_vmsd(
    sm.input.data, potential=sm.params.potential, temperature=T, duration_ps=v["duration"],
    timestep_ps=v["timestep"], sample_every_ps=v["sample_every"], seed=sm.params.seed,
    equilibration_ps=v["equilibration"], ensemble=v["ensemble"], thermostat=v["thermostat"],
    tdamp_ps=v["tdamp"], pdamp_ps=v["pdamp"], barostat=v["barostat"],
    velocity_factor=v["velocity_factor"], com=v["com"], log_file=sm.log[0],
    threads=sm.threads, suffix=sm.params.lammps["suffix"])
write_table(table, sm.output[0], units=UNITS,
            params={**v, "temperature": T, "seed": sm.params.seed, "sample": sm.wildcards.sample},
            provenance=provenance(sm.params.potential, rule=sm.rule),
            extra={"diagnostics": table.attrs.get("vmsd", {})})
