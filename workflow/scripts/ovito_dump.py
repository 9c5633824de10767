"""Rule ovito_dump: every per-atom property of one sample as a LAMMPS text dump (OVITO)."""
from igd.common.job import run_script
from igd.analysis.tasks import ovito_dump
run_script(ovito_dump, snakemake)  # noqa: F821
