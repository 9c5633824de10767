"""Rule artn_gather: one sample's ARTn chunks → events.parquet and barriers.parquet."""
from igd.common.job import run_script
from igd.artn.tasks import artn_gather
run_script(artn_gather, snakemake)  # noqa: F821
