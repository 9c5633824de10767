"""Rule structure: radial Gaussians G and excess entropies S2 of one inherent structure."""
from igd.common.job import run_script
from igd.structure.tasks import structure
run_script(structure, snakemake)  # noqa: F821
