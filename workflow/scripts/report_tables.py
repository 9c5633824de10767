"""Rule report_tables: the metrics and the leaderboard as HTML tables for the report."""

import json

from igd.analysis.figures import html_table, metrics_frame
from igd.common.io import atomic_path, read_table
from igd.common.logs import setup

sm = snakemake  # noqa: F821
setup(sm.log[0])
with open(sm.input.metrics) as fh:
    metrics = json.load(fh)
pages = {
    sm.output.metrics: html_table(
        metrics_frame(metrics), "Test metrics of the IGD model and its ablations",
        f"held-out sample(s) {sm.params.test_samples}; rates are fractions; χ empty when "
        "its denominator is zero (chi_status)."),
    sm.output.leaderboard: html_table(
        read_table(sm.input.leaderboard), "Descriptor leaderboard",
        "descriptor × sign: larger = more defect-like; see results/learning/leaderboard.md."),
}
for path, page in pages.items():
    with atomic_path(path) as tmp:
        tmp.write_text(page)
