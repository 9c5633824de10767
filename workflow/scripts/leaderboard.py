"""Rule leaderboard: one table scoring every per-atom descriptor on the same atoms."""

from igd.common.job import run_script
from igd.descriptors.tasks import leaderboard

run_script(leaderboard, snakemake)  # noqa: F821
