"""Rule artn_chunk: ARTn searches for one chunk of one sample's atoms."""
from igd.common.job import run_script
from igd.artn.tasks import artn_chunk
run_script(artn_chunk, snakemake)  # noqa: F821
