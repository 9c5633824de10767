"""Rule snapshots: OVITO atom snapshots of one sample (paper Figs. 8a/b, 9a, 11a)."""

import numpy as np

from igd.analysis import snapshots
from igd.common.io import read_metadata, read_table
from igd.common.logs import setup

sm = snakemake  # noqa: F821
setup(sm.log[0])
p, s = sm.params, sm.params.snapshot
atoms = read_table(sm.input.atoms, columns=["id", "type", "x", "y", "z"])
box = read_metadata(sm.input.atoms)["box"]
cell, origin = np.asarray(box["cell"]), np.asarray(box.get("origin", [0.0, 0.0, 0.0]))
labels = read_table(sm.input.labels, columns=["id", "dd2min_max"])
igd = read_table(sm.input.igd)
igd = igd[igd["sample"] == p.sample][["id", "label", "igd"]]
df = (atoms.merge(labels.rename(columns={"dd2min_max": "dd2min"}), on="id", validate="1:1")
      .merge(igd, on="id", validate="1:1"))          # atoms without an IGD are not drawn
common = dict(origin=origin, radius_scale=s["radius_scale"], size=s["pixels"],
              sample=p.sample)
snapshots.fig08_snapshots(df, cell, sm.output.fig08, slab=s["slab"], axis=s["axis"],
                          threshold=p.threshold, **common)
snapshots.fig09a_igd_snapshot(df, cell, sm.output.fig09a, corner=s["corner"], **common)
snapshots.fig11a_snapshots(df, cell, sm.output.fig11a, slab=s["slab"], axis=s["axis"],
                           threshold=p.threshold, bubble_max=s["bubble_max"], **common)
