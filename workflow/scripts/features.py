"""Rule features: one sample's feature table (G, S2, vMSD, ΔQ) with labels ±1."""

import logging

from igd.common.io import write_table
from igd.learning.svm import assemble_features_from_files, feature_units
from igd.common.logs import setup
from igd.common.provenance import inherited_provenance

sm = snakemake  # noqa: F821
setup(sm.log[0])
table, report = assemble_features_from_files(
    sm.input.labels, sm.input.structure,
    {float(T): f for T, f in zip(sm.params.temperatures, sm.input.vmsd)},
    sm.input.barriers, sm.input.atoms, sample=sm.wildcards.sample,
    nan_policy=sm.params.nan_policy, expected_counts=sm.params.expected_counts)
write_table(table, sm.output[0], units=feature_units(table.columns),
            params={"nan_policy": sm.params.nan_policy, "temperatures": sm.params.temperatures,
                    "sample": sm.wildcards.sample},
            provenance=inherited_provenance(sm.input, rule=sm.rule),
            extra={"features_report": report})
logging.getLogger("features").info(
    "%s: %d atoms, %d features %s, %d incomplete (by family %s), %d rearranged",
    sm.wildcards.sample, report["n_atoms"], report["n_features"], report["feature_counts"],
    report["n_incomplete"], report["n_incomplete_by_family"], int((table["label"] == 1).sum()))
