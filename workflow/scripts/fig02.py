"""Rule fig02: ARTn barrier distributions, slab map, two spectra."""

from igd.artn.figures import fig02_barriers
from igd.common.io import read_table
from igd.common.logs import setup

sm = snakemake  # noqa: F821
setup(sm.log[0])
samples = sm.params.samples
fig02_barriers({s: read_table(f) for s, f in zip(samples, sm.input.barriers)},
               {s: read_table(f) for s, f in zip(samples, sm.input.atoms)}, sm.output[0])
