"""Rule analysis: the IGD field against ΔD²min and in space (paper Figs. 8–11, 13)."""
from igd.common.job import run_script
from igd.analysis.tasks import analysis
run_script(analysis, snakemake)  # noqa: F821
