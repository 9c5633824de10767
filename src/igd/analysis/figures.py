"""Figures of the IGD field (paper 001 Figs. 8c, 9b/c, 10, 11b, 13, 14), plain matplotlib.

Each function takes the tables of ``results/learning/`` (DataFrames / dicts as read from
the Parquet and JSON files) and writes one PNG atomically via :func:`igd.common.plotting.save`.
The paper's correlation lengths are drawn as reference markers (:data:`PAPER_XI`). The
figures of the models (Figs. 4, 12) and the report tables are in
:mod:`igd.analysis.model_figures`; the OVITO atom snapshots of Figs. 8a/b, 9a and 11a
in :mod:`igd.analysis.snapshots`.
"""

from __future__ import annotations

import math
import os
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from igd.common.plotting import plt, save

PAPER_XI: dict[str, float] = {"dd2min": 3.1, "igd": 3.2, "igd_G": 2.0, "igd_S2": 1.9}
"""Correlation lengths ξ (Å) quoted in paper 001 (Figs. 9c, 13)."""

FIELD_LABELS: dict[str, str] = {"dd2min": "ΔD²min", "igd": "IGD", "igd_vmsd": "vMSD model",
                                "igd_dQ": "ΔQ model", "igd_G": "G model",
                                "igd_S2": "S$_2$ model"}


def _label(field: str) -> str:
    return FIELD_LABELS.get(field, field)


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
    if fit and fit.get("samples"):
        label += f", {', '.join(fit['samples'])}"
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
            title="(c) spatial autocorrelation (samples in the legend)")
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
