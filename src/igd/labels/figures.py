"""Figures of stage 2: ΔD²min traces and stress–strain curves of the AQS runs (paper Fig. 3)."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from igd.common.plotting import plt, save


def fig03_dd2min(traces: dict[str, pd.DataFrame], labels: pd.DataFrame, threshold: float,
                 path: str | os.PathLike) -> None:
    """Paper Fig. 3: (a) ΔD²min(γ) of traced atoms (jumping and not); (b) distribution
    of max ΔD²min with its cumulative curve and the threshold."""
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(10, 4))
    # the direction whose traced atoms jump highest, its atoms ordered by their max
    direction = max(traces, key=lambda d: traces[d]["dd2min"].max())
    tr = traces[direction]
    order = tr.groupby("id")["dd2min"].max().sort_values(ascending=False)
    for atom_id, peak in order.items():
        t = tr[tr["id"] == atom_id]
        kind = "jumps" if peak > threshold else "no jump"
        ax0.plot(t["strain"], t["dd2min"], lw=1, label=f"atom {atom_id} ({kind})")
    ax0.axhline(threshold, color="k", ls="--", lw=0.8)
    ax0.set(xlabel=f"shear strain γ ({direction})", ylabel="ΔD²min (Å²)", yscale="log",
            title="(a) ΔD²min along the strain path")
    ax0.legend(fontsize=7)
    values = np.asarray(labels["dd2min_max"], dtype=float)
    values = values[values > 0]
    bins = np.logspace(np.log10(values.min()), np.log10(values.max()), 60)
    ax1.hist(values, bins=bins, color="tab:blue", alpha=0.7)
    ax1.set(xscale="log", xlabel="max ΔD²min (Å²)", ylabel="atoms",
            title=f"(b) {100 * np.mean(labels['dd2min_max'] > threshold):.1f} % rearranged")
    ax1.axvline(threshold, color="k", ls="--", lw=1, label=f"threshold {threshold:g} Å²")
    twin = ax1.twinx()
    xs = np.sort(values)
    twin.plot(xs, np.arange(1, len(xs) + 1) / len(xs), color="tab:red")
    twin.set_ylabel("cumulative fraction", color="tab:red")
    ax1.legend(fontsize=7, loc="upper left")
    save(fig, path)


def fig03_stress_strain(curves: dict[tuple[str, str], pd.DataFrame],
                        path: str | os.PathLike) -> None:
    """Shear stress versus strain, one panel per direction, one line per sample."""
    directions = sorted({d for _, d in curves}, key=["xy", "yz", "zx"].index)
    fig, axes = plt.subplots(1, len(directions), figsize=(4 * len(directions), 3.5),
                             squeeze=False, sharey=True)
    for ax, d in zip(axes[0], directions):
        for (sample, dd), c in curves.items():
            if dd == d:
                ax.plot(c["strain"], c["stress"], lw=0.9, label=sample)
        ax.set(xlabel=f"shear strain γ_{d}", title=d)
        ax.legend(fontsize=7)
    axes[0][0].set_ylabel("shear stress (GPa)")
    save(fig, path)
