"""Rule learn: the IGD SVM and its single-family ablations (PROTOCOL §6)."""
from igd.common.job import run_script
from igd.learning.tasks import learn
run_script(learn, snakemake)  # noqa: F821
