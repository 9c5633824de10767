"""Rule fig11: ΔD²min in IGD rank bins (paper Fig. 11b)."""
from igd.common.job import run_script
from igd.analysis.tasks import fig11
run_script(fig11, snakemake)  # noqa: F821
