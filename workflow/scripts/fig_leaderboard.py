"""Rule fig_leaderboard: the descriptor leaderboard figure (AUC, binned r with ΔQ, ξ)."""

from igd.common.job import run_script
from igd.descriptors.tasks import fig_leaderboard

run_script(fig_leaderboard, snakemake)  # noqa: F821
