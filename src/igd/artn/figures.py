"""Figure of stage 4: ARTn barrier distributions, slab map, two spectra (paper Fig. 2)."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from igd.common.plotting import plt, save


def fig02_barriers(barriers: dict[str, pd.DataFrame], atoms: dict[str, pd.DataFrame],
                   path: str | os.PathLike, slab: float = 4.0) -> None:
    """Paper Fig. 2: (a) ΔQ distributions (all, Cu, Zr); (b) slab map of ΔQ_1 of the first
    sample; (c) sorted barrier spectra of two atoms (the softest and a median one)."""
    fig, (ax0, ax1, ax2) = plt.subplots(1, 3, figsize=(15, 4.2), layout="constrained")
    merged = []
    for s, b in barriers.items():
        m = b.drop(columns=["type"], errors="ignore").merge(
            atoms[s][["id", "element", "x", "y", "z"]], on="id")
        m["sample"] = s
        merged.append(m)
    table = pd.concat(merged, ignore_index=True)
    dq_cols = [c for c in table.columns if c.startswith("dQ_")]
    every = table.melt(id_vars=["element"], value_vars=dq_cols, value_name="dQ")["dQ"]
    finite = every[np.isfinite(every)]
    bins = np.linspace(0, max(float(np.nanpercentile(finite, 99.5)), 0.5), 50)
    ax0.hist(finite, bins=bins, histtype="step", color="k", lw=1.5, density=True, label="all")
    for el, color in (("Cu", "tab:orange"), ("Zr", "tab:blue")):
        sub = table.loc[table["element"] == el, dq_cols].to_numpy().ravel()
        ax0.hist(sub[np.isfinite(sub)], bins=bins, histtype="step", color=color,
                 density=True, label=el)
    ax0.set(xlabel="activation energy ΔQ (eV)", ylabel="probability density",
            title=f"(a) {len(finite)} barriers, {len(dq_cols)} per atom")
    ax0.legend()
    first = table[table["sample"] == next(iter(barriers))]
    zmid = first["z"].median()
    sl = first[np.abs(first["z"] - zmid) < slab / 2]
    sc = ax1.scatter(sl["x"], sl["y"], c=sl["dQ_01"], cmap="viridis", s=60,
                     edgecolors="k", linewidths=0.3)
    fig.colorbar(sc, ax=ax1, label="ΔQ₁ (eV)")
    ax1.set(xlabel="x (Å)", ylabel="y (Å)", aspect="equal",
            title=f"(b) ΔQ₁ in a {slab:g} Å slab")
    ok = table.dropna(subset=dq_cols)
    if len(ok):
        order = ok.sort_values("dQ_01")
        for row, label in ((order.iloc[0], "softest"), (order.iloc[len(order) // 2], "median")):
            ax2.plot(range(1, len(dq_cols) + 1), row[dq_cols].to_numpy(float), "o-",
                     label=f"{row['sample']} atom {int(row['id'])} ({row['element']}, {label})")
    ax2.set(xlabel="rank k", ylabel="ΔQ_k (eV)", title="(c) sorted barriers of two atoms")
    ax2.legend(fontsize=7)
    save(fig, path)
