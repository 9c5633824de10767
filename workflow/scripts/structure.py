"""Rule structure: radial Gaussians G and excess entropies S2 of one inherent structure."""

from igd.common.config import grid
from igd.common.io import write_table
from igd.common.logs import setup
from igd.structure.features import structure_table

sm = snakemake  # noqa: F821
setup(sm.log[0])
p = sm.params.structure
table, units = structure_table(
    sm.input.data, mus=grid(p["g_mu"]), L=p["g_width"], g_cutoff=p["g_cutoff"],
    s2_rcs=grid(p["s2_rc"]), sigma=p["s2_sigma"], dr=p["dr"],
    kernel_truncate=p["kernel_truncate"], workers=sm.threads)
write_table(table, sm.output[0], units=units, params={**p, "sample": sm.wildcards.sample},
            provenance={"rule": sm.rule})
