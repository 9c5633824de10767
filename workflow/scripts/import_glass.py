"""Rule import_glass: a glass from a structure file, minimised with the configured potential."""
from igd.common.job import run_script
from igd.glass.tasks import import_glass
run_script(import_glass, snakemake)  # noqa: F821
