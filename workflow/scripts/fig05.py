"""Rule fig05: VDOS and reduced VDOS with the Debye level; a few single atoms (Fig. 5)."""
from igd.common.job import run_script
from igd.hessian.tasks import fig05
run_script(fig05, snakemake)  # noqa: F821
