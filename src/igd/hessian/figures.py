"""Figure of stage 7: VDOS, reduced VDOS and the boson peak (paper Fig. 5).

Plain matplotlib on the Parquet tables (no recomputation of physics beyond a Debye-level
fit); written atomically through :func:`igd.common.plotting.save`.
"""

from __future__ import annotations

import math
import os
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from igd.common.plotting import mean_curve, plt, save


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
