"""Figure of stage 1: the g(r) of the inherent structures (paper Fig. 1)."""

from __future__ import annotations

import os

import pandas as pd

from igd.common.plotting import plt, save


def fig01_rdf(tables: dict[str, pd.DataFrame], path: str | os.PathLike) -> None:
    """Paper Fig. 1: total g(r) (mean over samples, each sample thin) and the partials."""
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(10, 4))
    mean = None
    for name, t in tables.items():
        ax0.plot(t["r"], t["g"], lw=0.6, alpha=0.5, label=name)
        mean = t.copy() if mean is None else mean.add(t)
    mean = mean / len(tables)
    ax0.plot(mean["r"], mean["g"], color="k", lw=1.5, label="mean")
    ax0.set(xlabel="r (Å)", ylabel="g(r)", title="Total g(r) of the inherent structures")
    ax0.legend(fontsize=7)
    for col in [c for c in mean.columns if c.startswith("g_")]:
        ax1.plot(mean["r"], mean[col], label=col[2:])
    ax1.set(xlabel="r (Å)", ylabel=r"$g_{\alpha\beta}(r)$", title="Partial g(r), mean over samples")
    ax1.legend()
    save(fig, path)
