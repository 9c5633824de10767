"""Figures of the learning stage (paper 001 Figs. 4, 8–13), plain matplotlib.

Each function takes the tables of ``results/learning/`` (DataFrames / dicts as read from
the Parquet and JSON files) and writes one PNG atomically via :func:`igd.common.plotting.save`.
The paper's numbers are drawn as reference markers where the text gives them
(:data:`PAPER_ACCURACY`, :data:`PAPER_XI`, :data:`PAPER_BEST`). The OVITO atom snapshots
of Figs. 8a/b, 9a and 11a are rendered by :mod:`igd.analysis.snapshots`.
"""

from __future__ import annotations

import math
import os
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from igd.common.plotting import plt, save

PAPER_ACCURACY: dict[str, float] = {"all": 78.4, "vmsd": 72.5, "dQ": 64.2, "G": 61.5,
                                    "S2": 55.4}
"""Test accuracy (%) per model, paper 001 §IV.D / Fig. 12a."""

PAPER_XI: dict[str, float] = {"dd2min": 3.1, "igd": 3.2, "igd_G": 2.0, "igd_S2": 1.9}
"""Correlation lengths ξ (Å) quoted in paper 001 (Figs. 9c, 13)."""

PAPER_BEST: tuple[float, float] = (2.0, -5.0)
"""(log2 C, log2 γ) of the paper's best model (Fig. 4: C = 4, γ = 2⁻⁵)."""

MODEL_LABELS: dict[str, str] = {"all": "IGD (all)", "vmsd": "vMSD", "dQ": "ΔQ", "G": "G",
                                "S2": "S$_2$"}
FIELD_LABELS: dict[str, str] = {"dd2min": "ΔD²min", "igd": "IGD", "igd_vmsd": "vMSD model",
                                "igd_dQ": "ΔQ model", "igd_G": "G model",
                                "igd_S2": "S$_2$ model"}


def _label(field: str) -> str:
    return FIELD_LABELS.get(field, field)


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


def fig08_p_active(p_active: pd.DataFrame, path: str | os.PathLike, *,
                   threshold: float | None = None) -> None:
    """Paper Fig. 8c: fraction of atoms predicted active (IGD > 0) versus ΔD²min (Å²),
    log-spaced bins, binomial error bars; one curve per atom set (test / all)."""
    fig, ax = plt.subplots(figsize=(5.5, 4))
    styles = {"test": dict(color="tab:red", marker="o"), "all": dict(color="gray", marker="s")}
    for name, d in p_active.groupby("set", sort=False):
        d = d[d["n"] > 0]
        ax.errorbar(d["dd2min_mid"], d["fraction"], yerr=d["stderr"], ms=4, lw=1, capsize=2,
                    label=f"{name} atoms ({int(d['n'].sum())})",
                    **styles.get(name, dict(marker="^")))
    if threshold is not None:
        ax.axvline(threshold, color="k", ls="--", lw=0.8, label=f"threshold {threshold:g} Å²")
    ax.set(xscale="log", ylim=(-0.02, 1.02), xlabel="max ΔD²min (Å²)",
           ylabel="P(predicted active)  [fraction with IGD > 0]",
           title="Probability of being predicted as a defect")
    ax.legend(fontsize=7)
    save(fig, path)


def _plot_correlation(ax, corr: pd.DataFrame, field: str, fit: Mapping[str, Any] | None,
                      color, paper: float | None = None) -> None:
    r, c = corr["r"].to_numpy(), corr[f"C_{field}"].to_numpy(dtype=float)
    pos = np.isfinite(c) & (c > 0)
    if "n_pairs" in corr:                # bins with very few pairs (r below the first
        n = corr["n_pairs"].to_numpy()   # shell onset) are noise: not drawn
        pos &= n >= 0.02 * np.median(n[n > 0]) if (n > 0).any() else False
    label = _label(field)
    if fit and fit.get("xi") is not None and np.isfinite(fit["xi"]):
        err = fit.get("xi_err")
        label += f": ξ = {fit['xi']:.2f}" + (f" ± {err:.2f}" if err is not None and
                                            np.isfinite(err) else "") + " Å"
    if paper is not None:
        label += f" (paper {paper:g} Å)"
    ax.plot(r[pos], c[pos], "o", ms=3, color=color, label=label)
    if fit and fit.get("xi") is not None and np.isfinite(fit["xi"]):
        rr = np.linspace(fit["r_min"], fit["r_max"], 50)
        ax.plot(rr, fit["amplitude"] * np.exp(-rr / fit["xi"]), "--", color=color, lw=1)


def _clean_fit(fit: Mapping[str, Any] | None) -> dict[str, float] | None:
    """JSON null → NaN."""
    if fit is None:
        return None
    return {k: (math.nan if v is None else v) for k, v in fit.items()}


def fig09_igd(igd: pd.DataFrame, correlation: pd.DataFrame, xi: Mapping[str, Any],
              path: str | os.PathLike, *, bins: int = 40) -> None:
    """Paper Fig. 9b, c (the snapshot 9a is :func:`igd.analysis.snapshots.fig09a_igd_snapshot`): (b) distribution of IGD over the
    test atoms — rearranged, not rearranged and all, each as a density normalised by the
    *total* number of atoms so the two parts add up to the total; (c) C(r) of ΔD²min and
    IGD (semi-log, positive values) with the fits C ∝ exp(−r/ξ). ``bins``: at most this
    many histogram bins, ~25 atoms per bin on average, at least 10."""
    fits = xi.get("xi", xi)
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(11, 4))
    d = igd[igd["test"].astype(bool)] if "test" in igd and igd["test"].any() else igd
    d = d[np.isfinite(d["igd"])]
    edges = np.histogram_bin_edges(d["igd"], bins=min(bins, max(10, len(d) // 25)))
    width = np.diff(edges)
    mid = 0.5 * (edges[1:] + edges[:-1])
    n = len(d)
    for name, sel, color in (("rearranged", d["label"] == 1, "tab:red"),
                             ("not rearranged", d["label"] == -1, "tab:blue"),
                             ("all", np.ones(n, bool), "k")):
        h, _ = np.histogram(d.loc[sel, "igd"], bins=edges)
        ax0.plot(mid, h / (n * width), color=color, lw=1.5 if name == "all" else 1.2,
                 drawstyle="steps-mid", label=f"{name} ({int(np.sum(sel))})")
    ax0.axvline(0, color="gray", ls=":", lw=0.8)
    ax0.set(xlabel="IGD (SVM decision value, dimensionless)",
            ylabel="probability density (per atom of the set)",
            title="(b) IGD distribution, test atoms")
    ax0.legend(fontsize=7)
    for field, color in (("dd2min", "tab:blue"), ("igd", "tab:red")):
        _plot_correlation(ax1, correlation, field, _clean_fit(fits.get(field)), color,
                          PAPER_XI.get(field))
    ax1.set(yscale="log", xlabel="r (Å)", ylabel="C(r)",
            title="(c) spatial autocorrelation, pooled samples")
    ax1.legend(fontsize=7)
    save(fig, path)


def fig10_prdf_igd(prdf: pd.DataFrame, path: str | os.PathLike) -> None:
    """Paper Fig. 10: total and partial g(r) seen from the top and bottom IGD fractions.
    ``prdf`` has columns ``group`` (top/bottom), ``r`` (Å), ``g``, ``g_<u><v>``."""
    cols = ["g"] + [c for c in prdf.columns if c.startswith("g_")]
    ncol = 3
    nrow = int(math.ceil(len(cols) / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(4 * ncol, 3.2 * nrow), squeeze=False,
                             layout="constrained")
    colors = {"top": "tab:red", "bottom": "tab:blue"}
    for ax, c in zip(axes.ravel(), cols):
        for group, d in prdf.groupby("group", sort=False):
            n = int(d["n_centers"].iloc[0]) if "n_centers" in d else None
            ax.plot(d["r"], d[c], color=colors.get(group), lw=1,
                    label=f"{group} IGD" + (f" ({n} centres)" if n else ""))
        name = "total" if c == "g" else f"{c[2:]} (centre–neighbour)"
        ax.set(title=name, ylabel="g(r)" if c == "g" else f"$g_{{{c[2:]}}}(r)$")
        ax.legend(fontsize=7)
    for ax in axes.ravel()[len(cols):]:
        ax.set_visible(False)
    for ax in axes.ravel()[:len(cols)]:
        ax.set_xlabel("r (Å)")
    fig.suptitle("Partial g(r) around the atoms of highest and lowest IGD")
    save(fig, path)


def fig11_dd2min_vs_igd(binned: pd.DataFrame, path: str | os.PathLike, *,
                        threshold: float | None = None) -> None:
    """Paper Fig. 11b (the map 11a is not drawn): mean ΔD²min (Å²) in bins of IGD rank
    (each bin a fixed fraction of the atoms), test atoms; inset: all samples."""
    fig, ax = plt.subplots(figsize=(5.5, 4.2))

    def draw(a, d, color, small=False):
        a.errorbar(d["igd_mean"], d["dd2min_mean"], yerr=d["dd2min_sem"], fmt="o",
                   ms=2 if small else 3, lw=0.6, color=color, capsize=0)
        a.set_yscale("log")
        if threshold is not None:
            a.axhline(threshold, color="k", ls="--", lw=0.7)
        a.axvline(0, color="gray", ls=":", lw=0.7)

    sets = dict(tuple(binned.groupby("set", sort=False)))
    main = sets.get("test", next(iter(sets.values())))
    main_name = "test" if "test" in sets else next(iter(sets))
    draw(ax, main, "tab:red")
    n_per = int(round(main["n"].mean()))
    ax.set(xlabel="IGD (bin mean, dimensionless)", ylabel="mean max ΔD²min (Å²)",
           title=f"ΔD²min vs IGD, {main_name} atoms ({len(main)} bins of ~{n_per} atoms)")
    if "all" in sets and main_name != "all":
        inset = ax.inset_axes([0.08, 0.55, 0.38, 0.38])
        draw(inset, sets["all"], "gray", small=True)
        inset.set_title("all samples", fontsize=7)
        inset.tick_params(labelsize=6)
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


def fig13_xi(correlation: pd.DataFrame, xi: Mapping[str, Any], path: str | os.PathLike, *,
             models: Sequence[str] = ("vmsd", "dQ", "G", "S2")) -> None:
    """Paper Fig. 13: (a) C(r) of each single-family predictor (semi-log, fits dashed,
    ΔD²min for reference); (b) ξ (Å) per field with 1σ errors, paper values as markers."""
    fits = xi.get("xi", xi)
    fields = [f"igd_{m}" for m in models if m != "all" and f"C_igd_{m}" in correlation]
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(11, 4))
    cmap = plt.get_cmap("tab10")
    _plot_correlation(ax0, correlation, "dd2min", _clean_fit(fits.get("dd2min")), "gray",
                      PAPER_XI.get("dd2min"))
    for k, f in enumerate(fields):
        _plot_correlation(ax0, correlation, f, _clean_fit(fits.get(f)), cmap(k),
                          PAPER_XI.get(f))
    ax0.set(yscale="log", xlabel="r (Å)", ylabel="C(r)",
            title="(a) autocorrelation of single-family predictors")
    ax0.legend(fontsize=6, loc="lower left")
    names = ["dd2min", "igd"] + fields
    vals = [(_clean_fit(fits.get(f)) or {}).get("xi", np.nan) for f in names]
    errs = [(_clean_fit(fits.get(f)) or {}).get("xi_err", np.nan) for f in names]
    x = np.arange(len(names))
    ax1.bar(x, vals, yerr=np.nan_to_num(errs), capsize=3, color="tab:purple",
            label="this run")
    ax1.plot(x, [PAPER_XI.get(f, np.nan) for f in names], "D", color="tab:orange", mec="k",
             ms=7, label="paper")
    ax1.set(xticks=x, xticklabels=[_label(f).replace(" model", "") for f in names],
            ylabel="correlation length ξ (Å)", title="(b) ξ from C(r) ∝ exp(−r/ξ)")
    ax1.legend(fontsize=7)
    save(fig, path)


def fig14_transferability(table: pd.DataFrame, path: str | os.PathLike, *,
                          t_max: float | None = None, q: float | None = None,
                          temperature: float = 700.0, sample_set: str = "") -> None:
    """Paper Fig. 14 from :func:`igd.analysis.transferability.transferability`'s table.

    (a) reduced VDOS g(ν)/ν² per IGD group; (b) I_BP vs IGD in rank bins (mean ± s.e.m.,
    least-squares line, Pearson r); (c) MSD, (d) α2 (inset α2max vs IGD), (e) F_s(q, t)
    per IGD group at ``temperature`` (K; 1/e dashed); (f) τ_α vs IGD — or, when F_s of no group reaches
    1/e within the run (τ_α > ``t_max``), F_s at the last time vs IGD, said in the panel.
    """

    v = table[table["kind"] == "vdos"]
    dyn = table[table["kind"] == "dynamics"]
    sc = table[table["kind"] == "scalars"].sort_values("igd_mean")
    ib = table[table["kind"] == "ibp"].sort_values("igd_mean")
    groups = sorted(v["group"].unique())
    cmap = plt.get_cmap("coolwarm")
    shade = {g: cmap(k / max(1, len(groups) - 1)) for k, g in enumerate(groups)}

    def glabel(d):
        r = d.iloc[0]
        return f"IGD [{r['igd_min']:.2f}, {r['igd_max']:.2f}]".replace("-", "−")

    fig, axes = plt.subplots(2, 3, figsize=(15, 8.6))
    ax = axes[0, 0]
    for g in groups:
        d = v[v["group"] == g]
        ax.plot(d["nu"], d["g_over_nu2"], color=shade[g], label=glabel(d))
    ax.set(xlabel="ν (THz)", ylabel="g(ν)/ν² (THz$^{-3}$)", xlim=(0, 8),
           title="(a) reduced VDOS per IGD group")
    ax.legend(fontsize=7, title=f"{len(groups)} groups of equal size", title_fontsize=7)

    ax = axes[0, 1]
    ax.errorbar(ib["igd_mean"], ib["I_BP_mean"], yerr=ib["I_BP_sem"], fmt="o", ms=4,
                color="C0", ecolor="0.6", capsize=2)
    x, y = ib["igd_mean"].to_numpy(float), ib["I_BP_mean"].to_numpy(float)
    if x.size > 2:
        k, c = np.polyfit(x, y, 1)
        r = np.corrcoef(x, y)[0, 1]
        xs = np.linspace(x.min(), x.max(), 2)
        ax.plot(xs, k * xs + c, "k--", lw=1, label=f"linear fit, Pearson r = {r:.2f}")
        ax.legend(fontsize=8)
    n_bin = int(round(ib["n"].median())) if len(ib) else 0
    ax.set(xlabel="IGD", ylabel="I$_{BP}$ (THz$^{-3}$)",
           title=f"(b) boson-peak intensity, bins of ~{n_bin} atoms")

    for ax, col, ylab, title in ((axes[0, 2], "msd", "MSD (Å²)",
                                  f"(c) MSD at {temperature:g} K"),
                                 (axes[1, 0], "alpha2", "α$_2$", "(d) non-Gaussian parameter"),
                                 (axes[1, 1], "fs", "F$_s$(q, t)", "(e) self-intermediate "
                                  "scattering function" + (f", q = {q:g} Å$^{{-1}}$"
                                                           if q else ""))):
        for g in groups:
            d = dyn[dyn["group"] == g]
            ax.plot(d["t"], d[col], color=shade[g], label=glabel(d))
        ax.set_xscale("log")
        ax.set(xlabel="t (ps)", ylabel=ylab, title=title)
    axes[0, 2].set_yscale("log")
    axes[0, 2].legend(fontsize=7)
    axes[1, 1].axhline(1 / math.e, color="k", ls="--", lw=0.8, label="1/e")
    axes[1, 1].legend(fontsize=7)
    ins = axes[1, 0].inset_axes([0.12, 0.55, 0.38, 0.38])
    ins.plot(sc["igd_mean"], sc["alpha2_max"], "o-", ms=3, color="C3")
    ins.set_xlabel("IGD", fontsize=7)
    ins.set_ylabel("α$_2^{max}$", fontsize=7)
    ins.tick_params(labelsize=6)

    ax = axes[1, 2]
    reached = sc["tau_reached"].fillna(False).astype(bool).to_numpy()
    if reached.any():
        ax.plot(sc["igd_mean"][reached], sc["tau_alpha"][reached], "o-", color="C2",
                label="τ$_α$: F$_s$ = 1/e")
        if (~reached).any() and t_max:
            ax.plot(sc["igd_mean"][~reached], np.full((~reached).sum(), t_max), "^",
                    mfc="none", color="C2", label=f"τ$_α$ > {t_max:g} ps (not reached)")
        ax.set_yscale("log")
        ax.set(xlabel="IGD", ylabel="τ$_α$ (ps)", title="(f) α-relaxation time")
        ax.legend(fontsize=7)
    else:
        ax.plot(sc["igd_mean"], sc["fs_end"], "o-", color="C2")
        tm = f"{t_max:g} ps" if t_max else "the end of the run"
        ax.set(xlabel="IGD", ylabel=f"F$_s$(q, t = {tm})",
               title="(f) relaxation at the last time")
        ax.text(0.03, 0.04, f"τ$_α$ > {tm} for every group:\nF$_s$ never reaches 1/e, "
                "so F$_s$ at the last time is shown", transform=ax.transAxes, fontsize=7,
                va="bottom")
    n_atoms = int(v.groupby("group")["n"].first().sum()) if len(v) else 0
    fig.suptitle(f"Transferability of IGD ({n_atoms} atoms"
                 + (f", {sample_set}" if sample_set else "") + ")", fontsize=11)
    fig.tight_layout()
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
