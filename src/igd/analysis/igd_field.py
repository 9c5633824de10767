"""The IGD field against ΔD²min and in space (PROTOCOL §9; paper 001 Figs. 8c, 10, 11b).

The science of rule ``analysis`` besides the pooled C(r) and ξ
(:func:`igd.analysis.correlation.pooled_correlation_lengths`):

* :func:`field_atoms` — one sample's atoms with ΔD²min and the IGD fields, atoms with any
  non-finite field left out (atoms without an IGD under nan_policy "drop");
* :func:`group_partial_rdfs` — partial g(r) around the top / bottom IGD fraction of one
  sample; :func:`pool_partial_rdfs` — their mean over samples, weighted by centre counts;
* :func:`atom_sets` (the test sample(s) and all samples), :func:`p_active_table` —
  P(IGD > 0) in ΔD²min bins, :func:`binned_dd2min_table` — ΔD²min in IGD rank bins.

Lengths in Å, ΔD²min in Å², IGD and g(r) dimensionless.
"""

from __future__ import annotations

import logging
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from igd.analysis.correlation import binned_by_rank, fraction_in_bins, rank_bins
from igd.glass.rdf import partial_rdf

log = logging.getLogger(__name__)


def field_atoms(atoms: pd.DataFrame, labels: pd.DataFrame, igd: pd.DataFrame, sample: str,
                fields: Sequence[str]) -> pd.DataFrame:
    """One sample's atoms (``id, type, x, y, z``) joined with ΔD²min (``labels``: ``id,
    dd2min_max``, renamed ``dd2min``) and its rows of the IGD table (``sample, id, …``;
    atoms without a row get NaN), keeping the atoms whose ``fields`` are all finite.

    Returns the table (rows renumbered) with a column ``sample``.
    """
    df = (atoms.merge(labels, on="id", validate="1:1")
          .merge(igd[igd["sample"] == sample].drop(columns="sample"), on="id",
                 validate="1:1", how="left")
          .rename(columns={"dd2min_max": "dd2min"}))
    ok = np.isfinite(df[list(fields)].to_numpy(dtype=float)).all(axis=1)
    log.info("%s: %d atoms, %d with every field finite", sample, len(df), ok.sum())
    df = df[ok].reset_index(drop=True)
    df["sample"] = sample
    return df


def group_partial_rdfs(positions: np.ndarray, cell: np.ndarray, types: np.ndarray,
                       igd: np.ndarray, *, fraction: float, r_max: float, dr: float,
                       type_names: Mapping[int, str], origin=(0.0, 0.0, 0.0),
                       sample: str = "") -> pd.DataFrame:
    """Partial g(r) (:func:`igd.glass.rdf.partial_rdf`) around the n = round(``fraction``
    · N) atoms (at least 1) of lowest IGD (group ``bottom``) and of highest IGD (``top``).

    ``positions`` (N, 3) Å, ``cell`` rows a, b, c (Å), ``types`` (N,), ``igd`` (N,)
    finite (ties: stable sort). Returns the rows of both groups: partial_rdf's columns
    (``r``, ``g``, ``g_<u><v>``) plus ``group, sample, n_centers`` and the centre count
    per type ``n_<name>`` (``type_names`` {type: name}).
    """
    n = max(1, int(round(fraction * len(igd))))
    order = np.argsort(igd, kind="stable")
    types = np.asarray(types)
    rows = []
    for group, centers in (("bottom", order[:n]), ("top", order[-n:])):
        g = partial_rdf(positions, cell, types, r_max, dr, centers=centers,
                        type_names=type_names, origin=origin)
        g["group"], g["sample"], g["n_centers"] = group, sample, n
        for t, name in type_names.items():
            g[f"n_{name}"] = int((types[centers] == t).sum())
        rows.append(g)
    return pd.concat(rows, ignore_index=True)


def pool_partial_rdfs(raw: pd.DataFrame, type_names: Mapping[int, str]) -> pd.DataFrame:
    """Mean over samples of the partial g(r) of :func:`group_partial_rdfs` per group.

    ``raw``: the rows of every sample (same ``r`` bins). Per group and r, the total g is
    weighted by the sample's centres (``n_centers``), each g_uv by its centres of type u
    (``n_<u>``); a NaN g_uv (no centre of type u) counts 0 with weight 0, and r bins of
    zero total weight are NaN. Returns ``group, r, g, g_<u><v>…, n_centers`` (centres
    summed over the samples), groups in order of appearance.
    """
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
    return pd.concat(rows, ignore_index=True)


def atom_sets(atoms: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The atom sets of Figs. 8c and 11b: ``test`` (column ``test`` true) and ``all``."""
    return {"test": atoms[atoms["test"].astype(bool)], "all": atoms}


def p_active_table(sets: Mapping[str, pd.DataFrame], edges: np.ndarray) -> pd.DataFrame:
    """P(predicted active) = fraction with IGD > 0 in ΔD²min bins ``edges`` (Å²), per set.

    ``sets`` {name: table with ``dd2min, igd``} (empty sets skipped). Returns ``set,
    dd2min_lo, dd2min_hi, dd2min_mid, n, fraction, stderr``
    (:func:`igd.analysis.correlation.fraction_in_bins`).
    """
    rows = []
    for name, d in sets.items():
        if d.empty:
            continue
        fa = fraction_in_bins(d["dd2min"], d["igd"] > 0, edges)
        fa.insert(0, "set", name)
        rows.append(fa.rename(columns={"x_lo": "dd2min_lo", "x_hi": "dd2min_hi",
                                       "x_mid": "dd2min_mid"}))
    return pd.concat(rows, ignore_index=True)


def binned_dd2min_table(sets: Mapping[str, pd.DataFrame], bin_fraction: float,
                        bin_min_atoms: int) -> pd.DataFrame:
    """Mean ΔD²min (Å²) in IGD rank bins of ``bin_fraction`` of a set's atoms each, fewer
    bins if one would hold less than ``bin_min_atoms`` atoms, per set.

    ``sets`` {name: table with ``dd2min, igd``} (empty sets skipped). Returns ``set, bin,
    n, igd_mean, igd_min, igd_max, dd2min_mean, dd2min_std, dd2min_sem``
    (:func:`igd.analysis.correlation.binned_by_rank`).
    """
    rows = []
    for name, d in sets.items():
        if d.empty:
            continue
        n_bins = rank_bins(len(d), bin_fraction, bin_min_atoms)
        b = binned_by_rank(d["igd"].to_numpy(), d["dd2min"].to_numpy(), 1.0 / max(1, n_bins))
        b.insert(0, "set", name)
        rows.append(b.rename(columns={"x_mean": "igd_mean", "x_min": "igd_min",
                                      "x_max": "igd_max", "y_mean": "dd2min_mean",
                                      "y_std": "dd2min_std", "y_sem": "dd2min_sem"}))
    return pd.concat(rows, ignore_index=True)
