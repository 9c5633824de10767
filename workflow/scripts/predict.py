"""Rule predict: one sample's IGD from a saved model (and its scores if labelled)."""
from igd.common.job import run_script
from igd.learning.tasks import predict
run_script(predict, snakemake)  # noqa: F821
