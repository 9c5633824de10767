"""Averages of a displacement array: MSD, non-Gaussian α2, self-intermediate scattering
F_s and the α-relaxation time τ_α, per atom group.

Pure functions of ``disp`` of shape (n_atoms, n_times, 3) in Å (displacements
Δr_i(t_k) = r_i(t_k) − r_i(0), e.g. from :func:`igd.dynamics.md.run_dynamics`), each taking
an optional ``atoms`` selection (boolean mask or index array) so that any group (e.g. an
IGD bin) is averaged alone; :func:`group_dynamics` does it for named groups.
"""

from __future__ import annotations

import math
from typing import Mapping

import numpy as np
import pandas as pd

INV_E = math.exp(-1.0)


def _select(disp: np.ndarray, atoms) -> np.ndarray:
    disp = np.asarray(disp, dtype=float)
    if disp.ndim != 3 or disp.shape[2] != 3:
        raise ValueError(f"displacements must have shape (n_atoms, n_times, 3), got {disp.shape}")
    if atoms is None:
        return disp
    sel = disp[np.asarray(atoms)]
    if sel.shape[0] == 0:
        raise ValueError("empty atom selection")
    return sel


def remove_com_drift(disp: np.ndarray, masses: np.ndarray | None = None) -> np.ndarray:
    """Displacements minus the (mass-weighted) centre-of-mass displacement at each time."""
    disp = np.asarray(disp, dtype=float)
    w = np.ones(disp.shape[0]) if masses is None else np.asarray(masses, dtype=float)
    com = np.einsum("i,itd->td", w, disp) / w.sum()
    return disp - com[None, :, :]


def msd(disp: np.ndarray, atoms=None) -> np.ndarray:
    """Mean-squared displacement ⟨|Δr|²⟩(t) (Å²), shape (n_times,)."""
    d = _select(disp, atoms)
    return np.einsum("itd,itd->it", d, d).mean(axis=0)


def alpha2(disp: np.ndarray, atoms=None) -> np.ndarray:
    """Non-Gaussian parameter α2(t) = 3⟨Δr⁴⟩/(5⟨Δr²⟩²) − 1 (NaN where ⟨Δr²⟩ = 0)."""
    d = _select(disp, atoms)
    r2 = np.einsum("itd,itd->it", d, d)
    m2 = r2.mean(axis=0)
    m4 = (r2 * r2).mean(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(m2 > 0, 3.0 * m4 / (5.0 * m2 * m2) - 1.0, np.nan)


def fs(disp: np.ndarray, q: float, atoms=None) -> np.ndarray:
    """Self-intermediate scattering function F_s(q, t), isotropic average ⟨sin(qr)/(qr)⟩.

    ``q`` in Å⁻¹ (the paper: 2.7, the main peak of S(q)). Dimensionless, F_s(q, 0) = 1.
    """
    d = _select(disp, atoms)
    r = np.sqrt(np.einsum("itd,itd->it", d, d))
    return np.sinc(q * r / np.pi).mean(axis=0)  # np.sinc(x) = sin(πx)/(πx)


def tau_alpha(t: np.ndarray, f: np.ndarray, level: float = INV_E
              ) -> tuple[np.ndarray | float, np.ndarray | bool]:
    """α-relaxation time: first time F_s falls to ``level`` (default 1/e).

    Linear interpolation of F_s in log t between the bracketing grid points (``t`` > 0,
    ascending, ps). ``f`` is one curve (n_times,) or a stack (..., n_times). Returns
    ``(tau, reached)``; ``tau`` is NaN and ``reached`` False where F_s stays above
    ``level`` over the whole grid. A curve already at or below ``level`` at ``t[0]``
    gives ``t[0]`` (reached).
    """
    t = np.asarray(t, dtype=float)
    f = np.asarray(f, dtype=float)
    if f.shape[-1] != t.size or np.any(t <= 0) or np.any(np.diff(t) <= 0):
        raise ValueError("tau_alpha needs ascending positive times matching f's last axis")
    below = f <= level
    reached = below.any(axis=-1)
    k = np.argmax(below, axis=-1)                     # first index at or below level
    km1 = np.maximum(k - 1, 0)
    f0 = np.take_along_axis(f, km1[..., None], -1)[..., 0]
    f1 = np.take_along_axis(f, k[..., None], -1)[..., 0]
    lt0, lt1 = np.log(t[km1]), np.log(t[k])
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(f0 != f1, (f0 - level) / (f0 - f1), 0.0)
    tau = np.where(k == 0, t[0], np.exp(lt0 + frac * (lt1 - lt0)))
    tau = np.where(reached, tau, np.nan)
    if tau.ndim == 0:
        return float(tau), bool(reached)
    return tau, reached


def dynamics_curves(t: np.ndarray, disp: np.ndarray, q: float, atoms=None) -> pd.DataFrame:
    """MSD, α2 and F_s of one atom group on the time grid, as a table (t, msd, alpha2, fs)."""
    return pd.DataFrame({"t": np.asarray(t, float), "msd": msd(disp, atoms),
                         "alpha2": alpha2(disp, atoms), "fs": fs(disp, q, atoms)})


def group_dynamics(t: np.ndarray, disp: np.ndarray, q: float,
                   groups: Mapping[str, np.ndarray], level: float = INV_E,
                   ) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str]]:
    """Curves and scalars per atom group (e.g. IGD bins, Fig. 14c–f; or ``{"all": None}``).

    ``groups`` maps a group name to a boolean mask / index array over the atoms of
    ``disp`` (N, K, 3). Returns ``(curves, summary, units)``: ``curves`` in long form
    ``group, t, msd, alpha2, fs``; ``summary`` one row per group with ``n_atoms,
    tau_alpha, tau_reached, alpha2_max, t_alpha2_max``.
    """
    t = np.asarray(t, dtype=float)
    curves, rows = [], []
    for name, sel in groups.items():
        c = dynamics_curves(t, disp, q, sel)
        c.insert(0, "group", name)
        curves.append(c)
        tau, ok = tau_alpha(t, c["fs"].to_numpy(), level)
        a2 = c["alpha2"].to_numpy()
        k = int(np.nanargmax(a2)) if np.isfinite(a2).any() else 0
        n_sel = disp.shape[0] if sel is None else int(np.asarray(disp[np.asarray(sel)]).shape[0])
        rows.append({"group": name, "n_atoms": n_sel, "tau_alpha": tau, "tau_reached": ok,
                     "alpha2_max": float(a2[k]), "t_alpha2_max": float(t[k])})
    units = {"group": "", "t": "ps", "msd": "Angstrom^2", "alpha2": "", "fs": "",
             "n_atoms": "", "tau_alpha": "ps", "tau_reached": "", "alpha2_max": "",
             "t_alpha2_max": "ps"}
    return pd.concat(curves, ignore_index=True), pd.DataFrame(rows), units
