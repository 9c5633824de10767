"""Rule structural_flexibility: SF over all samples, trained on the IGD training samples."""

from igd.common.job import run_script
from igd.descriptors.tasks import structural_flexibility

run_script(structural_flexibility, snakemake)  # noqa: F821
