"""Rule fig_entropy: the atom-averaged Voronoi-index entropy S(t) along the 700 K run."""

from igd.common.job import run_script
from igd.descriptors.tasks import fig_entropy

run_script(fig_entropy, snakemake)  # noqa: F821
