"""Rule fig01_rdf: paper Fig. 1 from every sample's g(r)."""

from igd.glass.figures import fig01_rdf
from igd.common.io import read_table
from igd.common.logs import setup

sm = snakemake  # noqa: F821
setup(sm.log[0])
fig01_rdf({s: read_table(f) for s, f in zip(sm.params.samples, sm.input)}, sm.output[0])
