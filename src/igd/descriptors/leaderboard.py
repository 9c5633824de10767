"""One leaderboard of per-atom glassy-defect descriptors (PROTOCOL §10, beyond the paper).

Every descriptor is scored on the same atoms by the same numbers:

* ``roc_auc`` and power factor ``chi`` (top / bottom ``chi_fraction``) for the
  rearrangement labels of the held-out sample(s) (:func:`igd.learning.svm.power_factor`,
  orientation ``"increasing"`` on the oriented descriptor, so χ < 1 and AUC < 0.5 mean
  the descriptor ranks rearranged atoms *low*);
* binned Pearson r with the mean ΔQ and with I_BP, Cu and Zr separately: atoms sorted by
  the descriptor, cut into bins of ≈ ``bin_atoms`` atoms (paper 004: ~200; at least
  ``min_bins`` bins), r between the bin means (:func:`igd.analysis.correlation.binned_by_rank`);
* Spearman ρ with the mean ΔQ and with I_BP over all atoms of the chosen samples;
* correlation length ξ from C(r) ∝ exp(−r/ξ) (:mod:`igd.analysis.correlation`), C(r) per sample,
  pooled by pair counts.

Sign convention: each descriptor is multiplied by its ``sign`` (+1 or −1) first, so
*larger = more defect-like* (more likely to rearrange, lower barrier, softer). E.g. mean
ΔQ and the five-fold fraction f5 enter with −1. Correlations are computed with the oriented
descriptor, so a good descriptor has r, ρ < 0 with the mean ΔQ and > 0 with I_BP.
"""

from __future__ import annotations

import logging
import math
import os
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from igd.analysis.correlation import binned_by_rank, pooled_correlation_lengths
from igd.learning.metrics import power_factor, roc_auc

log = logging.getLogger(__name__)

UNITS: dict[str, str] = {
    "descriptor": "", "source": "", "sign": "", "n_test": "", "roc_auc": "", "chi": "",
    "pearson_dQ_Cu": "", "pearson_dQ_Zr": "", "pearson_IBP_Cu": "", "pearson_IBP_Zr": "",
    "spearman_dQ": "", "spearman_IBP": "", "xi": "Angstrom", "xi_err": "Angstrom",
    "n_corr": "", "reason": "",
}


def binned_pearson(x: np.ndarray, y: np.ndarray, *, bin_atoms: int = 200,
                   min_bins: int = 5) -> tuple[float, int]:
    """Pearson r between bin means of y and x, atoms binned by rank of x.

    n_bins = max(min_bins, round(n / bin_atoms)) capped at n (finite pairs only).
    Returns ``(r, n_bins)``; r is NaN with fewer than 3 bins or a constant bin mean.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    n = int(ok.sum())
    if n < 3:
        return math.nan, 0
    n_bins = min(n, max(int(min_bins), int(round(n / bin_atoms))))
    b = binned_by_rank(x[ok], y[ok], 1.0 / n_bins)
    xm, ym = b["x_mean"].to_numpy(), b["y_mean"].to_numpy()
    if len(b) < 3 or np.ptp(xm) == 0 or np.ptp(ym) == 0:
        return math.nan, len(b)
    return float(np.corrcoef(xm, ym)[0, 1]), len(b)


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman rank correlation over the finite pairs (NaN if < 3)."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 3:
        return math.nan
    rx = pd.Series(x[ok]).rank().to_numpy()
    ry = pd.Series(y[ok]).rank().to_numpy()
    if np.ptp(rx) == 0 or np.ptp(ry) == 0:
        return math.nan
    return float(np.corrcoef(rx, ry)[0, 1])


def classification_scores(x: np.ndarray, rearranged: np.ndarray,
                          chi_fraction: float = 0.05) -> tuple[float, float, int, str]:
    """(ROC AUC, χ, n, reason) of oriented descriptor ``x`` for boolean ``rearranged``."""
    x = np.asarray(x, dtype=float)
    r = np.asarray(rearranged).astype(bool)
    ok = np.isfinite(x)
    n = int(ok.sum())
    if n == 0:
        return math.nan, math.nan, 0, "no finite value on the test sample(s)"
    if r[ok].all() or not r[ok].any():
        return math.nan, math.nan, n, "one class only on the test sample(s)"
    auc = roc_auc(x[ok], r[ok])
    pf = power_factor(x[ok], r[ok], chi_fraction, orientation="increasing")
    reason = "" if pf.status == "ok" else f"chi {pf.status}"
    return auc, pf.chi, n, reason


def build_leaderboard(atoms: pd.DataFrame, descriptors: Mapping[str, tuple[str, int]],
                      boxes: Mapping[str, tuple[np.ndarray, np.ndarray]], *,
                      test_samples: Sequence[str], correlation_samples: str = "all",
                      chi_fraction: float = 0.05, bin_atoms: int = 200, min_bins: int = 5,
                      corr_r_max: float = 10.0, corr_dr: float = 0.1,
                      corr_fit_r_min: float = 2.5, corr_fit_r_max: float = 8.0,
                      elements: Sequence[str] = ("Cu", "Zr"),
                      self_targets: Mapping[str, str] | None = None
                      ) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str]]:
    """Driver: the leaderboard of ``descriptors`` on the per-atom table ``atoms``.

    ``atoms``: one row per atom of every sample, columns ``sample, id, type, x, y, z``
    (Å, IS positions), ``rearranged`` (bool), ``mean_dQ`` (eV), ``I_BP`` and one column
    per descriptor. ``descriptors`` {column: (source text, sign ±1)}. ``boxes`` {sample:
    (cell (3, 3), origin (3,)) in Å}. ``test_samples``
    score AUC/χ; ``correlation_samples`` "all" or "test" choose the atoms of the
    correlations and ξ. ``self_targets`` {column: "dQ" | "IBP"} marks a descriptor that
    *is* a target (its correlation with itself is ±1 by construction; stated in
    ``reason``). Returns ``(board, corr, units)``: one row per descriptor (columns in
    :data:`UNITS`) and the pooled C(r) table.
    """
    self_targets = dict(self_targets or {})
    test = atoms["sample"].isin(list(test_samples)).to_numpy()
    corr_sel = (np.ones(len(atoms), bool) if correlation_samples == "all" else test)
    if correlation_samples not in ("all", "test"):
        raise ValueError("correlation_samples must be 'all' or 'test'")
    sub = atoms[corr_sel]
    types = sub["type"].to_numpy()
    rows = []
    for col, (source, sign) in descriptors.items():
        reasons = []
        x_all = sign * atoms[col].to_numpy(dtype=float)
        auc, chi, n_test, why = classification_scores(
            x_all[test], atoms["rearranged"].to_numpy(bool)[test], chi_fraction)
        if why:
            reasons.append(why)
        x = sign * sub[col].to_numpy(dtype=float)
        row = {"descriptor": col, "source": source, "sign": int(sign), "n_test": n_test,
               "roc_auc": auc, "chi": chi}
        for tname, tcol in (("dQ", "mean_dQ"), ("IBP", "I_BP")):
            y = sub[tcol].to_numpy(dtype=float)
            for k, el in enumerate(elements, start=1):
                r, nb = binned_pearson(x[types == k], y[types == k], bin_atoms=bin_atoms,
                                       min_bins=min_bins)
                row[f"pearson_{tname}_{el}"] = r
                if not np.isfinite(r):
                    reasons.append(f"binned r({tname}, {el}) undefined ({nb} bins)")
            row[f"spearman_{tname}"] = spearman(x, y)
            if self_targets.get(col) == tname:
                reasons.append(f"is the {tname} target itself")
        row["n_corr"] = int(np.isfinite(x).sum())
        if row["n_corr"] == 0:
            reasons.append("no finite value")
        row["reason"] = "; ".join(reasons)
        rows.append(row)
    board = pd.DataFrame(rows)

    samples = [s for s in dict.fromkeys(sub["sample"])]
    fields = {c: [descriptors[c][1] * sub.loc[sub["sample"] == s, c].to_numpy(float)
                  for s in samples] for c in descriptors}
    pos = {s: sub.loc[sub["sample"] == s, ["x", "y", "z"]].to_numpy(float) for s in samples}
    corr, fits = pooled_correlation_lengths(fields, [(pos[s], *boxes[s]) for s in samples],
                                    r_max=corr_r_max,
                                    dr=corr_dr, fit_r_min=corr_fit_r_min,
                                    fit_r_max=corr_fit_r_max)
    board["xi"] = [fits[c]["xi"] for c in descriptors]
    board["xi_err"] = [fits[c]["xi_err"] for c in descriptors]
    for k, c in enumerate(descriptors):
        if not np.isfinite(board.at[k, "xi"]):
            board.at[k, "reason"] = "; ".join(filter(None, [board.at[k, "reason"],
                                                            "exponential fit of C(r) failed"]))
    board = board[list(UNITS)]
    return board, corr, dict(UNITS)


def leaderboard_markdown(board: pd.DataFrame, *, digits: int = 3,
                         note: str | None = None) -> str:
    """The leaderboard as a GitHub Markdown table (sorted by ROC AUC, NaN last)."""
    b = board.sort_values("roc_auc", ascending=False, na_position="last")
    cols = ["descriptor", "sign", "roc_auc", "chi", "pearson_dQ_Cu", "pearson_dQ_Zr",
            "pearson_IBP_Cu", "pearson_IBP_Zr", "spearman_dQ", "spearman_IBP", "xi",
            "reason"]
    head = ["descriptor", "sign", "AUC", "χ", "r(ΔQ) Cu", "r(ΔQ) Zr", "r(I_BP) Cu",
            "r(I_BP) Zr", "ρ(ΔQ)", "ρ(I_BP)", "ξ (Å)", "note"]

    def fmt(v):
        if isinstance(v, (float, np.floating)):
            if not np.isfinite(v):
                return "∞" if v == np.inf else "—"
            return f"{v:.{digits}f}"
        return str(v).replace("|", "/")

    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for _, r in b.iterrows():
        cells = [f"`{r['descriptor']}`", "+" if r["sign"] > 0 else "−"]
        cells += [fmt(r[c]) for c in cols[2:]]
        lines.append("| " + " | ".join(cells) + " |")
    text = "\n".join(lines) + "\n"
    if note:
        text = note.rstrip() + "\n\n" + text
    return text


def fig_leaderboard(board: pd.DataFrame, path: str | os.PathLike) -> None:
    """Three panels, descriptors sorted by ROC AUC: (a) AUC on the held-out sample(s),
    (b) binned Pearson r with the mean ΔQ (Cu, Zr), (c) correlation length ξ."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from igd.common.plotting import save

    b = board.sort_values("roc_auc", ascending=True, na_position="first").reset_index(drop=True)
    y = np.arange(len(b))
    labels = [("−" if s < 0 else "") + d for d, s in zip(b["descriptor"], b["sign"])]
    fig, axes = plt.subplots(1, 3, figsize=(13, 0.22 * len(b) + 1.8), sharey=True)
    ax = axes[0]
    colors = ["C3" if str(d).startswith("igd") else "C0" for d in b["descriptor"]]
    ax.barh(y, b["roc_auc"].fillna(0.5) - 0.5, left=0.5, color=colors)
    ax.axvline(0.5, color="k", lw=0.8)
    ax.set(xlabel="ROC AUC (held-out sample)", xlim=(0.2, 1.0), yticks=y)
    ax.set_yticklabels(labels, fontsize=7)
    ax = axes[1]
    ax.barh(y - 0.2, b["pearson_dQ_Cu"], height=0.4, label="Cu", color="C1")
    ax.barh(y + 0.2, b["pearson_dQ_Zr"], height=0.4, label="Zr", color="C2")
    ax.axvline(0, color="k", lw=0.8)
    ax.set(xlabel="binned Pearson r with mean ΔQ", xlim=(-1.05, 1.05))
    ax.legend(fontsize=7, loc="lower right")
    ax = axes[2]
    ax.barh(y, b["xi"], xerr=b["xi_err"].where(b["xi_err"] < b["xi"].abs() * 3),
            color="C4", error_kw={"lw": 0.6})
    ax.set(xlabel="correlation length ξ (Å)")
    for a in axes:
        a.grid(axis="x", alpha=0.3)
    fig.suptitle("Descriptor leaderboard (oriented: larger = more defect-like; "
                 "red = SVM decision values)", fontsize=9)
    fig.tight_layout()
    save(fig, path)


def fig_entropy(curves: Mapping[str, pd.DataFrame], path: str | os.PathLike) -> None:
    """S(t), the atom-averaged time-relevant Voronoi entropy along the 700 K run (paper
    003 Fig. 1C): one thin line per sample and species, log time axis."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from igd.common.plotting import save

    fig, ax = plt.subplots(figsize=(5.5, 4))
    for s, c in curves.items():
        if c.empty:
            continue
        for col, style in (("S_mean", "-"), ("S_mean_Cu", ":"), ("S_mean_Zr", "--")):
            if col in c:
                ax.plot(c["t"], c[col], style, lw=1,
                        color={"S_mean": "k", "S_mean_Cu": "C1", "S_mean_Zr": "C2"}[col],
                        alpha=0.7, label=f"{col[7:] or 'all'}" if s == next(iter(curves))
                        else None)
    ax.set(xscale="log", xlabel="t (ps) at 700 K", ylabel=r"$\langle S_i(t)\rangle$ (nats)",
           title="Voronoi-index Shannon entropy along the run")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    save(fig, path)
