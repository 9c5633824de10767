"""Rule fig_vmsd: vMSD distributions per temperature and mean vMSD(T) for Cu and Zr."""
from igd.common.job import run_script
from igd.vmsd.tasks import fig_vmsd
run_script(fig_vmsd, snakemake)  # noqa: F821
