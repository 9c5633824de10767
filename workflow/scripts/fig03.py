"""Rule fig03: ΔD²min traces and distribution; stress–strain curves."""
from igd.common.job import run_script
from igd.labels.tasks import fig03
run_script(fig03, snakemake)  # noqa: F821
