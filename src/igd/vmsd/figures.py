"""Figure of stage 3: per-atom vibrational MSD against temperature."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from igd.common.plotting import plt, save


def fig_vmsd(table: pd.DataFrame, path: str | os.PathLike) -> None:
    """(a) vMSD distribution per temperature; (b) mean vMSD(T) of Cu and Zr.

    ``table`` has columns ``T, element, vmsd`` (all samples stacked).
    """
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(10, 4))
    temps = sorted(table["T"].unique())
    cmap = plt.get_cmap("viridis")
    for k, T in enumerate(temps):
        v = table.loc[table["T"] == T, "vmsd"].to_numpy()
        v = v[v > 0]
        bins = np.logspace(np.log10(v.min()), np.log10(v.max()), 40)
        h, e = np.histogram(v, bins=bins, density=True)
        ax0.plot(np.sqrt(e[1:] * e[:-1]), h, color=cmap(k / max(1, len(temps) - 1)),
                 lw=0.9, label=f"{T:g} K" if k in (0, len(temps) - 1) else None)
    ax0.set(xscale="log", xlabel="vMSD (Å²)", ylabel="probability density",
            title="(a) vMSD distribution per temperature")
    ax0.legend(fontsize=7)
    for el, g in table.groupby("element"):
        m = g.groupby("T")["vmsd"].mean()
        ax1.plot(m.index, m.values, "o-", ms=3, label=el)
        # harmonic reference: the low-T slope continued
        ax1.plot(m.index, m.values[0] / m.index[0] * m.index, ls=":", color="gray", lw=0.8)
    ax1.set(xlabel="T (K)", ylabel="mean vMSD (Å²)",
            title="(b) mean vMSD; dotted: linear from the lowest T")
    ax1.legend()
    save(fig, path)
