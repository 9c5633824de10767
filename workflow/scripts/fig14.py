"""Rule fig14: transferability of the IGD by IGD group (paper Fig. 14) and its table."""
from igd.common.job import run_script
from igd.analysis.tasks import fig14
run_script(fig14, snakemake)  # noqa: F821
