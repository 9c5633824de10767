"""Rule fig06: S(q) of the IS; MSD, α2 and F_s at 700 K of all atoms and of Cu and Zr,
pooled over samples (Fig. 6)."""

import numpy as np

from igd.dynamics.md import displacements_from_table, group_dynamics
from igd.dynamics.figures import fig06_dynamics
from igd.common.io import read_metadata, read_table
from igd.common.logs import setup

sm = snakemake  # noqa: F821
setup(sm.log[0])
d = sm.params.dynamics
times, disps, types = None, [], []
for f in sm.input.atoms:
    t = np.asarray(read_metadata(f)["times_ps"], dtype=float)
    if times is not None and not np.allclose(t, times):
        raise ValueError(f"{f}: time grid differs from the first sample's")
    times = t
    table = read_table(f)
    disps.append(displacements_from_table(table)[1])
    types.append(table["type"].to_numpy())
disp, types = np.concatenate(disps), np.concatenate(types)
groups = {"all": None, **{el: types == k + 1 for k, el in enumerate(sm.params.elements)}}
curves, summary, _units = group_dynamics(times, disp, d["q"], groups)
sq = {s: read_table(f) for s, f in zip(sm.params.samples, sm.input.sq)}
fig06_dynamics(sq, curves, summary, q=d["q"], temperature=d["temperature"],
               path=sm.output[0])
