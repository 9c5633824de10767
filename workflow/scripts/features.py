"""Rule features: one sample's feature table (G, S2, vMSD, ΔQ) with labels ±1."""
from igd.common.job import run_script
from igd.learning.tasks import features
run_script(features, snakemake)  # noqa: F821
