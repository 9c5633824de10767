"""Figures of the workflow: plain matplotlib on the Parquet tables, written atomically."""

from __future__ import annotations

import os
from typing import Iterable

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from igd.common.io import atomic_path  # noqa: E402


def save(fig, path: str | os.PathLike, dpi: int = 150) -> None:
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, dpi=dpi, bbox_inches="tight", format="png")
    plt.close(fig)


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
