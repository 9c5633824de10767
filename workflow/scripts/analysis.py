"""Rule analysis: the IGD field against ΔD²min and in space (paper Figs. 8–11, 13).

Pooled over all samples (training and test): C(r) of ΔD²min, IGD and each single-family
predictor (each sample normalised on its own, pair-count-weighted mean, then ξ from the
pooled curve); partial g(r) around the top / bottom IGD fraction of each sample (pooled
by centre counts); P(IGD > 0) in log-spaced ΔD²min bins and ΔD²min in IGD rank bins, for
the test sample(s) and for all samples. Atoms without an IGD (nan_policy "drop") are left
out of everything.
"""

import logging

import numpy as np
import pandas as pd

from igd.analysis.correlation import (binned_by_rank, combine_correlations, correlation_lengths,
                          fit_correlation_length, fraction_in_bins, partial_rdf)
from igd.common.config import grid
from igd.common.io import read_metadata, read_table, write_json, write_table
from igd.common.logs import setup
from igd.common.provenance import inherited_provenance

sm = snakemake  # noqa: F821
setup(sm.log[0])
log = logging.getLogger("analysis")
PROV = inherited_provenance(sm.input, rule=sm.rule)
p, a = sm.params, sm.params.analysis
type_names = {k + 1: e for k, e in enumerate(p.elements)}
igd_all = read_table(sm.input.igd)
fields = ["dd2min", "igd"] + [f"igd_{m}" for m in p.models if m != "all"]

corr_tables, prdf_rows, per_atom = [], [], []
for s, f_labels, f_atoms in zip(p.samples, sm.input.labels, sm.input.atoms):
    atoms = read_table(f_atoms, columns=["id", "type", "x", "y", "z"])
    box = read_metadata(f_atoms)["box"]
    cell, origin = np.asarray(box["cell"]), np.asarray(box.get("origin", [0.0, 0.0, 0.0]))
    labels = read_table(f_labels, columns=["id", "dd2min_max"])
    df = (atoms.merge(labels, on="id", validate="1:1")
          .merge(igd_all[igd_all["sample"] == s].drop(columns="sample"), on="id",
                 validate="1:1", how="left")
          .rename(columns={"dd2min_max": "dd2min"}))
    ok = np.isfinite(df[fields].to_numpy(dtype=float)).all(axis=1)
    log.info("%s: %d atoms, %d with every field finite", s, len(df), ok.sum())
    df = df[ok].reset_index(drop=True)
    df["sample"] = s
    per_atom.append(df)
    pos = df[["x", "y", "z"]].to_numpy()
    table, _ = correlation_lengths(pos, cell, {f: df[f].to_numpy() for f in fields},
                                   r_max=a["corr_r_max"], dr=a["corr_dr"],
                                   fit_r_min=a["corr_fit_r_min"],
                                   fit_r_max=a["corr_fit_r_max"], origin=origin)
    corr_tables.append(table)
    n = max(1, int(round(a["prdf_fraction"] * len(df))))
    order = np.argsort(df["igd"].to_numpy(), kind="stable")
    types = df["type"].to_numpy()
    for group, centers in (("bottom", order[:n]), ("top", order[-n:])):
        g = partial_rdf(pos, cell, types, a["prdf_r_max"], a["prdf_dr"], centers=centers,
                        type_names=type_names, origin=origin)
        g["group"], g["sample"], g["n_centers"] = group, s, n
        for t, name in type_names.items():
            g[f"n_{name}"] = int((types[centers] == t).sum())
        prdf_rows.append(g)

# C(r) pooled, ξ from the pooled curve
corr = combine_correlations(corr_tables)
fits = {f: fit_correlation_length(corr["r"], corr[f"C_{f}"], r_min=a["corr_fit_r_min"],
                                  r_max=a["corr_fit_r_max"]) for f in fields}
for f, fit in fits.items():
    log.info("ξ(%s) = %.3f ± %.3f Å (%d points)", f, fit["xi"], fit["xi_err"], fit["n_points"])
write_table(corr, sm.output.correlation, provenance=PROV,
            units={"r": "Å", "n_pairs": "", **{f"C_{f}": "" for f in fields}},
            params={**a, "samples": p.samples}, extra={"xi": fits})
write_json({"xi": fits, "units": {"xi": "Å", "xi_err": "Å", "r_min": "Å", "r_max": "Å",
                                  "amplitude": ""},
            "params": {**a, "samples": p.samples}, "provenance": PROV}, sm.output.xi)

# partial g(r) of the top / bottom IGD fraction: mean over samples weighted by centres
# (total g) and by centres of the partial's first type (g_uv)
raw = pd.concat(prdf_rows, ignore_index=True)
weight = {"g": "n_centers", **{f"g_{u}{v}": f"n_{u}" for u in type_names.values()
                               for v in type_names.values()}}
rows = []
for group, d in raw.groupby("group", sort=False):
    out = {}
    for c, wc in weight.items():
        num = (np.nan_to_num(d[c]) * d[wc]).groupby(d["r"]).sum()
        den = d[wc].groupby(d["r"]).sum()
        out[c] = num / den.where(den > 0)
    out = pd.DataFrame(out).rename_axis("r").reset_index()
    out.insert(0, "group", group)
    out["n_centers"] = int(d.groupby("sample")["n_centers"].first().sum())
    rows.append(out)
prdf = pd.concat(rows, ignore_index=True)
write_table(prdf, sm.output.prdf, provenance=PROV,
            units={"group": "", "r": "Å", "n_centers": "", **{c: "" for c in weight}},
            params={"fraction": a["prdf_fraction"], "r_max": a["prdf_r_max"],
                    "dr": a["prdf_dr"], "samples": p.samples})

# P(predicted active) vs ΔD²min, binned ΔD²min vs IGD: test sample(s) and all samples
atoms = pd.concat(per_atom, ignore_index=True)
edges = 10.0 ** np.asarray(grid(a["p_active_log10_dd2min"]))
sets = {"test": atoms[atoms["test"].astype(bool)], "all": atoms}
p_rows, b_rows = [], []
for name, d in sets.items():
    if d.empty:
        continue
    fa = fraction_in_bins(d["dd2min"], d["igd"] > 0, edges)
    fa.insert(0, "set", name)
    p_rows.append(fa.rename(columns={"x_lo": "dd2min_lo", "x_hi": "dd2min_hi",
                                     "x_mid": "dd2min_mid"}))
    n_bins = min(round(1 / a["bin_fraction"]), len(d) // a["bin_min_atoms"])
    fraction = 1.0 / max(1, n_bins)         # bin_fraction, but ≥ bin_min_atoms per bin
    b = binned_by_rank(d["igd"].to_numpy(), d["dd2min"].to_numpy(), fraction)
    b.insert(0, "set", name)
    b_rows.append(b.rename(columns={"x_mean": "igd_mean", "x_min": "igd_min",
                                    "x_max": "igd_max", "y_mean": "dd2min_mean",
                                    "y_std": "dd2min_std", "y_sem": "dd2min_sem"}))
p_active = pd.concat(p_rows, ignore_index=True)
write_table(p_active, sm.output.p_active, provenance=PROV,
            units={"set": "", "dd2min_lo": "Å^2", "dd2min_hi": "Å^2", "dd2min_mid": "Å^2",
                   "n": "", "fraction": "", "stderr": ""},
            params={"edges_log10": a["p_active_log10_dd2min"], "threshold": p.threshold})
binned = pd.concat(b_rows, ignore_index=True)
write_table(binned, sm.output.binned, provenance=PROV,
            units={"set": "", "bin": "", "n": "", "igd_mean": "", "igd_min": "",
                   "igd_max": "", "dd2min_mean": "Å^2", "dd2min_std": "Å^2",
                   "dd2min_sem": "Å^2"},
            params={"bin_fraction": a["bin_fraction"], "bin_min_atoms": a["bin_min_atoms"]})
