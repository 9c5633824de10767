"""Rule rdf: total and partial g(r) of one inherent structure."""

import numpy as np

from igd.common.io import read_metadata, read_table, write_table
from igd.common.logs import setup
from igd.common.provenance import inherited_provenance
from igd.glass.rdf import first_peak_and_minimum, rdf, rdf_units

sm = snakemake  # noqa: F821
log = setup(sm.log[0])
atoms = read_table(sm.input.atoms)
cell = np.array(read_metadata(sm.input.atoms)["box"]["cell"])
table = rdf(atoms[["x", "y", "z"]].to_numpy(), cell, atoms["type"].to_numpy(),
            sm.params.elements, r_max=sm.params.rdf["r_max"], dr=sm.params.rdf["dr"])
peak, minimum = first_peak_and_minimum(table["r"].to_numpy(), table["g"].to_numpy())
import logging  # noqa: E402

logging.getLogger("rdf").info("first peak %.3f Å, first minimum %.3f Å", peak, minimum)
write_table(table, sm.output[0], units=rdf_units(table.columns), params=sm.params.rdf,
            provenance=inherited_provenance(sm.input, rule=sm.rule),
            extra={"first_peak": peak, "first_minimum": minimum})
