"""Figures of the descriptor stage: the leaderboard (AUC, binned r with ΔQ, ξ) and the
atom-averaged Voronoi entropy S(t) along the 700 K run."""

from __future__ import annotations

import os
from typing import Mapping

import numpy as np
import pandas as pd

from igd.common.plotting import plt, save


def fig_leaderboard(board: pd.DataFrame, path: str | os.PathLike) -> None:
    """Three panels, descriptors sorted by ROC AUC: (a) AUC on the held-out sample(s),
    (b) binned Pearson r with the mean ΔQ (Cu, Zr), (c) correlation length ξ."""
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
    003 Fig. 1C) over the uniformly sampled frames: one thin line per sample and species."""
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
    ax.set(xlabel="t (ps) at 700 K", ylabel=r"$\langle S_i(t)\rangle$ (nats)",
           title="Voronoi-index Shannon entropy along the run")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    save(fig, path)
