"""Rule fig09: IGD distribution and C(r) of ΔD²min and IGD (paper Fig. 9b, c)."""
from igd.common.job import run_script
from igd.analysis.tasks import fig09
run_script(fig09, snakemake)  # noqa: F821
