"""Rule labels: max ΔD²min over the shear directions → rearranged (bool)."""

from igd.common.io import read_table, write_table
from igd.common.logs import setup
from igd.common.provenance import inherited_provenance
from igd.labels.aqs import LABEL_UNITS, make_labels

sm = snakemake  # noqa: F821
setup(sm.log[0])
tables = {d: read_table(f) for d, f in zip(sm.params.directions, sm.input.shear)}
atoms = read_table(sm.input.atoms, columns=["id", "type"])
labels = make_labels(tables, atoms, sm.params.threshold)
write_table(labels, sm.output[0], units=LABEL_UNITS,
            params={"threshold": sm.params.threshold, "directions": sm.params.directions,
                    "sample": sm.wildcards.sample},
            provenance=inherited_provenance(sm.input, rule=sm.rule),
            extra={"rearranged_fraction": float(labels["rearranged"].mean())})
