"""Rule snapshots: OVITO atom snapshots of one sample (paper Figs. 8a/b, 9a, 11a)."""
from igd.common.job import run_script
from igd.analysis.tasks import snapshots
run_script(snapshots, snakemake)  # noqa: F821
