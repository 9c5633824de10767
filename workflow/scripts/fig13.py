"""Rule fig13: C(r) and ξ of the single-family predictors (paper Fig. 13)."""
from igd.common.job import run_script
from igd.analysis.tasks import fig13
run_script(fig13, snakemake)  # noqa: F821
