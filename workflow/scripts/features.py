"""Rule features: one sample's feature table (G, S2, vMSD, ΔQ) with labels ±1."""

import logging

from igd.io import read_table, write_table
from igd.learning import assemble_features, feature_units
from igd.logs import setup

sm = snakemake  # noqa: F821
setup(sm.log[0])
vmsd = {float(T): read_table(f) for T, f in zip(sm.params.temperatures, sm.input.vmsd)}
table, report = assemble_features(
    read_table(sm.input.labels), read_table(sm.input.structure), vmsd,
    read_table(sm.input.barriers), read_table(sm.input.atoms, columns=["id", "type"]),
    nan_policy=sm.params.nan_policy, expected_counts=sm.params.expected_counts)
write_table(table, sm.output[0], units=feature_units(table.columns),
            params={"nan_policy": sm.params.nan_policy, "temperatures": sm.params.temperatures,
                    "sample": sm.wildcards.sample},
            extra={"features_report": report})
logging.getLogger("features").info(
    "%s: %d atoms, %d features %s, %d incomplete (by family %s), %d rearranged",
    sm.wildcards.sample, report["n_atoms"], report["n_features"], report["feature_counts"],
    report["n_incomplete"], report["n_incomplete_by_family"], int((table["label"] == 1).sum()))
