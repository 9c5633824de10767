"""Rule structure_factor: S(q) and its Ashcroft–Langreth partials of one IS (Fig. 6a)."""
from igd.common.job import run_script
from igd.dynamics.tasks import structure_factor
run_script(structure_factor, snakemake)  # noqa: F821
