"""Figures of the vibration and 700 K dynamics stages (paper Figs. 5 and 6).

Plain matplotlib on the Parquet tables (no recomputation of physics beyond a Debye-level
fit); written atomically through :func:`igd.common.plotting.save`.
"""

from __future__ import annotations

import math
import os
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from igd.common.plotting import plt, save

INV_E = math.exp(-1.0)


def debye_level(nu: np.ndarray, g: np.ndarray, window: Sequence[float]) -> float:
    """Debye level A of g(ν) ≈ A ν² (THz⁻³): least-squares fit of A ν² to g on the grid
    points with ν in ``window`` = [lo, hi] (THz), A = Σ g ν² / Σ ν⁴.

    A fit on the lowest modes, not a sound-velocity estimate: small boxes have few modes
    there, so the level is only as good as the window's mode count. NaN if the window is
    empty.
    """
    nu = np.asarray(nu, dtype=float)
    g = np.asarray(g, dtype=float)
    sel = (nu >= window[0]) & (nu <= window[1]) & np.isfinite(g)
    if not sel.any():
        return float("nan")
    return float(np.sum(g[sel] * nu[sel] ** 2) / np.sum(nu[sel] ** 4))


def debye_level_sound(density: float, c_transverse: float, c_longitudinal: float) -> float:
    """Debye level 3/ν_D³ (THz⁻³) of g(ν) normalised to ∫ g dν = 1, from the number
    density (Å⁻³) and the sound velocities (km/s):
    ν_D³ = (9 n / 4π) / (1/c_L³ + 2/c_T³), g_D(ν) = 3 ν²/ν_D³ for ν < ν_D.
    """
    n = density * 1e30                                          # m⁻³
    inv = 1.0 / (c_longitudinal * 1e3) ** 3 + 2.0 / (c_transverse * 1e3) ** 3
    nu_d = (9.0 * n / (4.0 * math.pi) / inv) ** (1.0 / 3.0) / 1e12   # THz
    return 3.0 / nu_d ** 3


def mean_curve(tables: Mapping[str, pd.DataFrame], x: str) -> pd.DataFrame:
    """Column-wise mean over samples of tables sharing the grid ``x``."""
    stacked = pd.concat(list(tables.values()), ignore_index=True)
    return stacked.groupby(x, as_index=False).mean(numeric_only=True)


def fig05_vdos(vdos: Mapping[str, pd.DataFrame], atom_curves: pd.DataFrame,
               debye: float | Sequence[float], path: str | os.PathLike,
               band: Sequence[float] | None = None, debye_label: str | None = None) -> None:
    """Paper Fig. 5: (a) g(ν), (b) g(ν)/ν² with the Debye level, (c, d) the same for a
    few atoms.

    ``vdos`` maps sample → table ``nu, g, g_over_nu2`` (+ partials ``g_<El>``), ν in THz,
    g in THz⁻¹ (∫ g dν = 1); the mean over samples is drawn thick, each sample thin.
    ``atom_curves`` is long-form ``id, nu, g, g_over_nu2`` (+ optional ``I_BP``) with
    g = N·g_i, the per-atom VDOS on the scale of the total. ``debye`` is the Debye level
    (THz⁻³, e.g. :func:`debye_level_sound`) or a window [lo, hi] (THz) for the fit
    :func:`debye_level` of the mean g; drawn dashed, labelled ``debye_label``. ``band``
    (THz) shades the boson-peak band of I_BP.
    """
    fig, axes = plt.subplots(2, 2, figsize=(10, 7.5))
    (ax_a, ax_b), (ax_c, ax_d) = axes
    mean = mean_curve(vdos, "nu")
    nu = mean["nu"].to_numpy()
    pos = nu > 0
    for name, t in vdos.items():
        ax_a.plot(t["nu"], t["g"], lw=0.5, alpha=0.4)
        ax_b.plot(t["nu"], t["g_over_nu2"], lw=0.5, alpha=0.4)
    ax_a.plot(nu, mean["g"], color="k", lw=1.6, label=f"all (mean of {len(vdos)})")
    for col in [c for c in mean.columns if c.startswith("g_") and c != "g_over_nu2"]:
        ax_a.plot(nu, mean[col], lw=1.0, label=col[2:])
    ax_a.set(xlabel="ν (THz)", ylabel="g(ν) (THz⁻¹)", title="(a) VDOS")
    ax_a.legend(fontsize=7)
    ax_b.plot(nu[pos], mean["g_over_nu2"].to_numpy()[pos], color="k", lw=1.6, label="all")
    if np.ndim(debye) == 0:
        level, how = float(debye), debye_label or "given"
    else:
        level = debye_level(nu, mean["g"].to_numpy(), debye)
        how = debye_label or f"g ∝ ν² fit, {debye[0]:g}–{debye[1]:g} THz"
    if np.isfinite(level):
        ax_b.axhline(level, color="tab:red", ls="--", lw=1,
                     label=f"Debye level {level:.3g} THz⁻³\n({how})")
    if band is not None:
        for ax in (ax_b, ax_d):
            for edge in band:
                ax.axvline(edge, color="0.6", ls=":", lw=0.8)
    g_mean = mean["g"].to_numpy()
    nu_top = 1.1 * nu[g_mean > 1e-3 * g_mean.max()].max()       # end of the spectrum
    ymax = np.nanmax(mean["g_over_nu2"].to_numpy()[pos])
    ax_b.set(xlabel="ν (THz)", ylabel="g(ν)/ν² (THz⁻³)",
             title="(b) reduced VDOS (boson peak)", xlim=(0, nu_top / 2),
             ylim=(0, 1.3 * max(ymax, level if np.isfinite(level) else 0)))
    ax_b.legend(fontsize=7)
    for atom_id, c in atom_curves.groupby("id", sort=False):
        lab = f"atom {atom_id}"
        if "I_BP" in c:
            lab += f" (I_BP {c['I_BP'].iloc[0]:.3g})"
        cpos = c["nu"] > 0
        ax_c.plot(c["nu"], c["g"], lw=0.9, label=lab)
        ax_d.plot(c["nu"][cpos], c["g_over_nu2"][cpos], lw=0.9, label=lab)
    ax_c.plot(nu, mean["g"], color="k", lw=0.8, ls=":", label="all")
    ax_c.set(xlabel="ν (THz)", ylabel="N·g_i(ν) (THz⁻¹)", title="(c) VDOS of single atoms",
             xlim=(0, nu_top))
    ax_a.set_xlim(0, nu_top)
    ax_c.legend(fontsize=7)
    lo = atom_curves.loc[atom_curves["nu"] >= (band[0] if band is not None else 0),
                         "g_over_nu2"]
    ax_d.plot(nu[pos], mean["g_over_nu2"].to_numpy()[pos], color="k", lw=0.8, ls=":",
              label="all")
    ax_d.set(xlabel="ν (THz)", ylabel="N·g_i(ν)/ν² (THz⁻³)",
             title="(d) reduced VDOS of single atoms", xlim=(0, nu_top / 2),
             ylim=(0, 1.15 * np.nanmax(lo.to_numpy()) if len(lo) else None))
    ax_d.legend(fontsize=7)
    fig.tight_layout()
    save(fig, path)


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
