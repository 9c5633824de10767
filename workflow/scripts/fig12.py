"""Rule fig12: accuracy and power factor χ per model (paper Fig. 12)."""
from igd.common.job import run_script
from igd.analysis.tasks import fig12
run_script(fig12, snakemake)  # noqa: F821
