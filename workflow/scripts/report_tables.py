"""Rule report_tables: the metrics and the leaderboard as HTML tables for the report."""
from igd.common.job import run_script
from igd.analysis.tasks import report_tables
run_script(report_tables, snakemake)  # noqa: F821
