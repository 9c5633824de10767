"""Tasks of stage 5 (PROTOCOL §5): the rule of ``workflow/rules/structure.smk``."""

from __future__ import annotations

from igd.common.config import grid
from igd.common.io import write_table
from igd.common.job import Job
from igd.structure.features import structure_table


def structure(job: Job) -> None:
    """Radial Gaussians G and excess entropies S2 of one inherent structure
    (:func:`igd.structure.features.structure_table`).

    params ``structure`` (grids ``g_mu`` and ``s2_rc``, Å; widths, cutoffs); wildcard
    ``sample``; input ``data``; output ``structure``; ``threads`` neighbour-search workers.
    """
    p = job.params.structure
    table, units = structure_table(
        job.input.data, mus=grid(p["g_mu"]), L=p["g_width"], g_cutoff=p["g_cutoff"],
        s2_rcs=grid(p["s2_rc"]), sigma=p["s2_sigma"], dr=p["dr"],
        kernel_truncate=p["kernel_truncate"], workers=job.threads)
    write_table(table, job.output.structure, units=units,
                params={**p, "sample": job.wildcards.sample}, provenance={"rule": job.rule})
