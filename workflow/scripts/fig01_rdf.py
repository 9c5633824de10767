"""Rule fig01_rdf: paper Fig. 1 from every sample's g(r)."""
from igd.common.job import run_script
from igd.glass.tasks import fig01_rdf
run_script(fig01_rdf, snakemake)  # noqa: F821
