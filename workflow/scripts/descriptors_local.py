"""Rule descriptors_local: the companion papers' per-atom descriptors of one sample (all but SF)."""

from igd.common.job import run_script
from igd.descriptors.tasks import descriptors_local

run_script(descriptors_local, snakemake)  # noqa: F821
