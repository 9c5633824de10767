"""Figures and tables of the IGD models (paper 001 Figs. 4, 12; the report's tables).

:func:`fig04_cv_grid` (cross-validation accuracy over the (C, γ) grid) and
:func:`fig12_models` (accuracy and power factor χ per model) write one PNG atomically
via :func:`igd.common.plotting.save`, with the paper's numbers as reference markers
(:data:`PAPER_ACCURACY`, :data:`PAPER_BEST`); :func:`metrics_frame` and
:func:`html_table` make the report's HTML tables (rule ``report_tables``).
"""

from __future__ import annotations

import os
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from igd.common.plotting import plt, save

PAPER_ACCURACY: dict[str, float] = {"all": 78.4, "vmsd": 72.5, "dQ": 64.2, "G": 61.5,
                                    "S2": 55.4}
"""Test accuracy (%) per model, paper 001 §IV.D / Fig. 12a."""

PAPER_BEST: tuple[float, float] = (2.0, -5.0)
"""(log2 C, log2 γ) of the paper's best model (Fig. 4: C = 4, γ = 2⁻⁵)."""

MODEL_LABELS: dict[str, str] = {"all": "IGD (all)", "vmsd": "vMSD", "dQ": "ΔQ", "G": "G",
                                "S2": "S$_2$"}


def _cell_edges(centres: np.ndarray) -> np.ndarray:
    """Cell edges around sorted grid centres (half-way between them; ±1 for one)."""
    if centres.size == 1:
        return np.array([centres[0] - 1.0, centres[0] + 1.0])
    mid = 0.5 * (centres[1:] + centres[:-1])
    return np.concatenate([[2 * centres[0] - mid[0]], mid, [2 * centres[-1] - mid[-1]]])


def fig04_cv_grid(cv_grid: pd.DataFrame, path: str | os.PathLike, *, model: str = "all",
                  paper_best: tuple[float, float] | None = PAPER_BEST) -> None:
    """Paper Fig. 4: CV accuracy (%) over (log2 C, log2 γ) for ``model``; the best grid
    point (rank 1) is marked, and the paper's optimum if it lies inside the grid."""
    g = cv_grid[cv_grid["model"] == model] if "model" in cv_grid else cv_grid
    if g.empty:
        raise ValueError(f"no CV grid rows for model {model!r}")
    heat = g.pivot_table(index="log2gamma", columns="log2C", values="mean_accuracy")
    xs, ys = heat.columns.to_numpy(float), heat.index.to_numpy(float)
    z = 100 * heat.to_numpy()
    fig, ax = plt.subplots(figsize=(6, 4.8))
    ex, ey = _cell_edges(xs), _cell_edges(ys)
    mesh = ax.pcolormesh(ex, ey, z, cmap="viridis")
    fig.colorbar(mesh, ax=ax, label="CV accuracy (%)")
    from matplotlib import patheffects

    if z.size <= 400:                    # the value of every cell
        for (iy, ix), v in np.ndenumerate(z):
            if np.isfinite(v):
                ax.text(xs[ix], ys[iy], f"{v:.1f}", ha="center", va="center",
                        fontsize=5 if z.size > 40 else 7, color="w",
                        path_effects=[patheffects.withStroke(linewidth=1.5, foreground="k")])
    best = g.sort_values(["rank", "log2C", "log2gamma"]).iloc[0]

    def outline(x, y, **kw):
        ix, iy = np.searchsorted(ex, x) - 1, np.searchsorted(ey, y) - 1
        ax.add_patch(plt.Rectangle((ex[ix], ey[iy]), ex[ix + 1] - ex[ix],
                                   ey[iy + 1] - ey[iy], fill=False, **kw))
        return plt.Line2D([], [], marker="s", ls="none", mfc="none", ms=10,
                          mec=kw["edgecolor"], mew=kw["linewidth"])

    handles = [outline(best["log2C"], best["log2gamma"], edgecolor="r", linewidth=2.5)]
    labels = [f"best: log$_2$C = {best['log2C']:g}, log$_2$γ = {best['log2gamma']:g} "
              f"({100 * best['mean_accuracy']:.1f} %)"]
    if paper_best is not None and (ex[0] < paper_best[0] < ex[-1]
                                   and ey[0] < paper_best[1] < ey[-1]):
        if paper_best[0] in xs and paper_best[1] in ys:
            handles.append(outline(*paper_best, edgecolor="w", linewidth=1.5,
                                   linestyle="--"))
            labels.append("paper: C = 4, γ = 2$^{-5}$")
        else:                            # not a grid point: a marker at the point
            handles += ax.plot(*paper_best, "o", ms=10, mfc="none", mec="w", mew=2,
                               path_effects=[patheffects.withStroke(linewidth=3.5,
                                                                    foreground="k")])
            labels.append("paper: C = 4, γ = 2$^{-5}$ (not on this grid)")
    ax.set_xticks(xs)
    ax.set_yticks(ys)
    ax.legend(handles, labels, fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.13),
              frameon=False)
    ax.set(xlabel="log$_2$ C", ylabel="log$_2$ γ  (γ in 1/(standardised feature)²)",
           title=f"Cross-validation accuracy, model {MODEL_LABELS.get(model, model)}")
    save(fig, path)


def fig12_models(metrics: Mapping[str, Mapping[str, Any]], path: str | os.PathLike, *,
                 models: Sequence[str] | None = None,
                 paper_accuracy: Mapping[str, float] = PAPER_ACCURACY) -> None:
    """Paper Fig. 12: (a) test accuracy (%) per model with the paper's values as markers;
    (b) power factor χ per model (log scale; χ = ∞ drawn as an arrow, undefined as 'n/a')."""
    models = [m for m in (models or list(metrics)) if m in metrics]
    x = np.arange(len(models))
    acc = np.array([100 * (metrics[m].get("accuracy") or np.nan) for m in models])
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(10, 4))
    ax0.bar(x, acc, color="tab:blue", label="this run")
    ref = [paper_accuracy.get(m, np.nan) for m in models]
    ax0.plot(x, ref, "D", color="tab:orange", ms=8, mec="k", label="paper")
    for xi_, a in zip(x, acc):
        if np.isfinite(a):
            ax0.text(xi_, 3, f"{a:.1f}", ha="center", fontsize=8, color="w")
    ax0.axhline(50, color="gray", ls=":", lw=0.8)
    ax0.set(xticks=x, xticklabels=[MODEL_LABELS.get(m, m) for m in models], ylim=(0, 100),
            ylabel="test accuracy (%)", title="(a) prediction accuracy")
    ax0.legend(fontsize=7, loc="upper right")
    chi = []
    for m in models:
        v = metrics[m].get("chi")
        chi.append(np.nan if v is None else float(v))
    chi = np.array(chi)
    finite = np.isfinite(chi) & (chi > 0)
    top = chi[finite].max() * 3 if finite.any() else 10.0
    ax1.bar(x[finite], chi[finite], color="tab:green")
    for xi_, m, c in zip(x, models, chi):
        status = metrics[m].get("chi_status", "")
        if np.isfinite(c):
            ax1.text(xi_, c * 1.1, f"{c:.2g}", ha="center", fontsize=7)
        elif status == "denominator_zero":
            ax1.annotate("χ = ∞", (xi_, top), xytext=(xi_, top / 3), ha="center",
                         arrowprops=dict(arrowstyle="->"))
        else:
            ax1.text(xi_, 1.0, "n/a", ha="center", fontsize=8)
    ax1.axhline(1, color="gray", ls=":", lw=0.8)
    fraction = next((metrics[m].get("chi_fraction") for m in models), 0.05) or 0.05
    ax1.set(xticks=x, xticklabels=[MODEL_LABELS.get(m, m) for m in models], yscale="log",
            xlim=(-0.6, len(models) - 0.4),
            ylim=(0.5, top * 1.5), ylabel=f"power factor χ (top/bottom {100 * fraction:g} %)",
            title="(b) predictive power factor")
    save(fig, path)


METRIC_COLUMNS = ("accuracy", "recall", "precision", "balanced_accuracy", "roc_auc", "chi",
                  "chi_status", "n_test", "n_test_rearranged", "n_train", "n_features",
                  "log2C", "log2gamma")
"""Columns of :func:`metrics_frame`, in order (rates as fractions)."""


def metrics_frame(metrics: Mapping[str, Mapping[str, Any]],
                  paper_accuracy: Mapping[str, float] = PAPER_ACCURACY) -> pd.DataFrame:
    """The test metrics of every model (``metrics.json``) as one table, one row per model,
    with the paper's accuracy (%) beside ours (``paper_accuracy``: NaN where it has none)."""
    rows = []
    for model, m in metrics.items():
        row = {"model": model, **{c: m.get(c) for c in METRIC_COLUMNS}}
        row["paper_accuracy_pct"] = paper_accuracy.get(model, np.nan)
        rows.append(row)
    return pd.DataFrame(rows)


def html_table(df: pd.DataFrame, title: str, note: str = "", digits: int = 3) -> str:
    """A small self-contained HTML page holding ``df`` (for ``snakemake --report``)."""
    body = df.to_html(index=False, float_format=lambda v: f"{v:.{digits}g}", na_rep="–",
                      border=0, classes="igd")
    return ("<!DOCTYPE html><html><head><meta charset='utf-8'>"
            f"<title>{title}</title>"
            "<style>table.igd{border-collapse:collapse;font:13px sans-serif} "
            "table.igd td,table.igd th{padding:2px 8px;border-bottom:1px solid #ddd;"
            "text-align:right}</style></head><body>"
            f"<h3>{title}</h3><p>{note}</p>{body}</body></html>\n")
