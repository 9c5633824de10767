"""Rule fig03: ΔD²min traces and distribution; stress–strain curves."""

import pandas as pd

from igd.labels.figures import fig03_dd2min, fig03_stress_strain
from igd.common.io import read_table
from igd.common.logs import setup

sm = snakemake  # noqa: F821
setup(sm.log[0])
dirs = sm.params.directions
samples = sm.params.samples
labels = pd.concat([read_table(f) for f in sm.input.labels], ignore_index=True)
traces = {d: read_table(f) for d, f in zip(dirs, sm.input.traces)}
fig03_dd2min(traces, labels, sm.params.threshold, sm.output.dd2min)
keys = [(s, d) for s in samples for d in dirs]   # the order of expand(sample, direction)
curves = {k: read_table(f) for k, f in zip(keys, sm.input.curves)}
fig03_stress_strain(curves, sm.output.stress)
