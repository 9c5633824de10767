"""Rule fig08: P(predicted active) versus ΔD²min (paper Fig. 8c)."""
from igd.common.job import run_script
from igd.analysis.tasks import fig08
run_script(fig08, snakemake)  # noqa: F821
