"""Rule ovito_dump: every per-atom property of one sample as a LAMMPS text dump (OVITO)."""

import logging

import numpy as np

from igd.common.io import read_metadata, read_table
from igd.common.logs import setup
from igd.analysis.snapshots import atom_properties, write_lammps_dump

sm = snakemake  # noqa: F821
setup(sm.log[0])
inp, sample = sm.input, sm.wildcards.sample
box = read_metadata(inp.atoms)["box"]
igd = read_table(inp.igd)
table, units = atom_properties(
    read_table(inp.atoms), labels=read_table(inp.labels),
    igd=igd[igd["sample"] == sample], features=read_table(inp.features),
    hessian=read_table(inp.hessian), dynamics=read_table(inp.dynamics),
    times_ps=read_metadata(inp.dynamics)["times_ps"])
write_lammps_dump(table, np.asarray(box["cell"]), sm.output[0],
                  origin=box.get("origin", [0.0, 0.0, 0.0]))
logging.getLogger("ovito_dump").info(
    "%s: %d atoms, %d columns; units: %s", sample, len(table), table.shape[1],
    "; ".join(f"{c} [{u}]" for c, u in units.items() if u))
