"""Rule fig04: CV accuracy over the (C, γ) grid (paper Fig. 4)."""
from igd.common.job import run_script
from igd.analysis.tasks import fig04
run_script(fig04, snakemake)  # noqa: F821
