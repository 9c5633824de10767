"""Rule fig10: partial g(r) around the top / bottom IGD atoms (paper Fig. 10)."""
from igd.common.job import run_script
from igd.analysis.tasks import fig10
run_script(fig10, snakemake)  # noqa: F821
