"""Figure of stage 8: S(q) of the inherent structures and the 700 K dynamics by group
(paper Fig. 6)."""

from __future__ import annotations

import os
from typing import Mapping

import numpy as np
import pandas as pd

from igd.common.plotting import mean_curve, plt, save
from igd.dynamics.correlators import INV_E


def fig06_dynamics(sq: Mapping[str, pd.DataFrame], curves: pd.DataFrame,
                   summary: pd.DataFrame, q: float, temperature: float,
                   path: str | os.PathLike) -> None:
    """Paper Fig. 6: (a) S(q) of the IS, (b) MSD(t), (c) α2(t), (d) F_s(q, t).

    ``sq`` maps sample → table ``q, S`` (+ partials ``S_<a><b>``), q in Å⁻¹; the mean
    over samples is drawn. ``curves`` is long-form ``group, t, msd, alpha2, fs`` (t in
    ps, msd in Å²), one group per line (e.g. all, Cu, Zr; pooled over samples);
    ``summary`` has ``group, tau_alpha`` (ps, NaN if F_s stays above 1/e). ``q`` (Å⁻¹) is
    marked in (a) and labels (d); ``temperature`` (K) goes in the titles.
    """
    fig, axes = plt.subplots(2, 2, figsize=(10, 7.5))
    (ax_a, ax_b), (ax_c, ax_d) = axes
    mean = mean_curve(sq, "q")
    for t in sq.values():
        ax_a.plot(t["q"], t["S"], lw=0.4, alpha=0.4, color="0.5")
    ax_a.plot(mean["q"], mean["S"], color="k", lw=1.5, label=f"S(q), mean of {len(sq)}")
    for col in [c for c in mean.columns if c.startswith("S_")]:
        ax_a.plot(mean["q"], mean[col], lw=0.8, label=col[2:])
    ax_a.axvline(q, color="tab:red", ls="--", lw=0.8, label=f"q = {q:g} Å⁻¹")
    ax_a.set(xlabel="q (Å⁻¹)", ylabel="S(q)", title="(a) static structure factor (IS)")
    ax_a.legend(fontsize=7)
    taus = dict(zip(summary["group"], summary["tau_alpha"])) if len(summary) else {}
    for k, (group, c) in enumerate(curves.groupby("group", sort=False)):
        style = dict(color="k", lw=1.6) if k == 0 else dict(lw=1.0)
        t = c["t"].to_numpy()
        ax_b.loglog(t, c["msd"], label=group, **style)
        ax_c.semilogx(t, c["alpha2"], label=group, **style)
        tau = taus.get(group, float("nan"))
        lab = f"{group}, τ_α = {tau:.3g} ps" if np.isfinite(tau) else f"{group}, τ_α > {t.max():g} ps"
        ax_d.semilogx(t, c["fs"], label=lab, **style)
    t_all = curves["t"].to_numpy()
    if t_all.size and t_all.min() < 0.1:
        # ballistic guide ∝ t² through the first MSD point of the first group
        first = curves[curves["group"] == curves["group"].iloc[0]]
        t0, m0 = first["t"].iloc[0], first["msd"].iloc[0]
        tg = t_all[t_all <= 10 * t0]
        ax_b.loglog(tg, m0 * (tg / t0) ** 2, color="0.5", ls=":", lw=0.8, label="∝ t²")
    ax_b.set(xlabel="t (ps)", ylabel="MSD (Å²)", title=f"(b) MSD at {temperature:g} K")
    ax_c.set(xlabel="t (ps)", ylabel="α₂(t)", title=f"(c) non-Gaussian parameter, {temperature:g} K")
    ax_d.axhline(INV_E, color="k", ls="--", lw=0.8)
    ax_d.set(xlabel="t (ps)", ylabel=f"F_s(q = {q:g} Å⁻¹, t)", ylim=(0, 1.05),
             title=f"(d) self-intermediate scattering, {temperature:g} K; dashed 1/e")
    for ax in (ax_b, ax_c, ax_d):
        ax.legend(fontsize=7)
    fig.tight_layout()
    save(fig, path)
