"""Rule labels: max ΔD²min over the shear directions → rearranged (bool)."""
from igd.common.job import run_script
from igd.labels.tasks import labels
run_script(labels, snakemake)  # noqa: F821
