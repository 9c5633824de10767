"""Rule fig06: S(q) of the IS; MSD, α2 and F_s at 700 K, all atoms and per element (Fig. 6)."""
from igd.common.job import run_script
from igd.dynamics.tasks import fig06
run_script(fig06, snakemake)  # noqa: F821
