"""Rule fig02: ARTn barrier distributions, slab map, two spectra."""
from igd.common.job import run_script
from igd.artn.tasks import fig02
run_script(fig02, snakemake)  # noqa: F821
