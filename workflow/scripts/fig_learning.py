"""Rules fig04, fig08–fig13: the learning figures (igd.analysis.figures), by rule name."""

import json

from igd.analysis import figures as fl
from igd.common.io import read_table
from igd.common.logs import setup

sm = snakemake  # noqa: F821
setup(sm.log[0])
inp, out = sm.input, sm.output[0]


def load_json(path):
    with open(path) as fh:
        return json.load(fh)


if sm.rule == "fig04":
    fl.fig04_cv_grid(read_table(inp.cv_grid), out, model="all")
elif sm.rule == "fig08":
    fl.fig08_p_active(read_table(inp.p_active), out, threshold=sm.params.threshold)
elif sm.rule == "fig09":
    fl.fig09_igd(read_table(inp.igd), read_table(inp.correlation), load_json(inp.xi), out)
elif sm.rule == "fig10":
    fl.fig10_prdf_igd(read_table(inp.prdf), out)
elif sm.rule == "fig11":
    fl.fig11_dd2min_vs_igd(read_table(inp.binned), out, threshold=sm.params.threshold)
elif sm.rule == "fig12":
    fl.fig12_models(load_json(inp.metrics), out, models=sm.params.models)
elif sm.rule == "fig13":
    fl.fig13_xi(read_table(inp.correlation), load_json(inp.xi), out,
                models=sm.params.models)
else:
    raise ValueError(f"fig_learning.py does not draw rule {sm.rule!r}")
