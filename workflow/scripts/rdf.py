"""Rule rdf: total and partial g(r) of one inherent structure."""
from igd.common.job import run_script
from igd.glass.tasks import rdf
run_script(rdf, snakemake)  # noqa: F821
