"""Rule fig_vmsd: vMSD distributions per temperature and mean vMSD(T) for Cu and Zr."""

import pandas as pd

from igd.vmsd.figures import fig_vmsd
from igd.common.io import read_table
from igd.common.logs import setup

sm = snakemake  # noqa: F821
setup(sm.log[0])
samples, temps = sm.params.samples, sm.params.temperatures
files = iter(sm.input[: len(samples) * len(temps)])
elements = {s: read_table(f, columns=["id", "element"]) for s, f in zip(samples, sm.input.atoms)}
rows = []
for s in samples:           # expand() order: sample outer, temperature inner
    for T in temps:
        t = read_table(next(files)).merge(elements[s], on="id")
        t["sample"], t["T"] = s, float(T)
        rows.append(t)
fig_vmsd(pd.concat(rows, ignore_index=True), sm.output[0])
