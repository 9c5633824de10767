"""Rule structure_factor: S(q) and its Ashcroft–Langreth partials of one IS (Fig. 6a)."""

from igd.dynamics.md import is_structure_factor
from igd.common.io import write_table
from igd.common.logs import setup

sm = snakemake  # noqa: F821
setup(sm.log[0])
s = sm.params.sq
table, units = is_structure_factor(sm.input.data, q_max=s["q_max"], dq=s["dq"],
                                   max_k_per_bin=s["max_k_per_bin"], seed=sm.params.seed,
                                   elements=sm.params.elements)
write_table(table, sm.output[0], units=units,
            params={**s, "seed": sm.params.seed, "sample": sm.wildcards.sample},
            provenance={"rule": sm.rule})
