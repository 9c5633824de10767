"""Figures 5 and 6 on small synthetic tables: each writes a valid, non-blank PNG; the
Debye-level fit recovers an exact ν² law."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from igd.dynamics import figures as fd
from igd.hessian import figures as fv

from conftest import PNG, assert_png  # noqa: F401


def debye_plus_peak(nu: np.ndarray, a: float = 0.01, bump: float = 0.05) -> np.ndarray:
    """A ν² law with a boson-peak bump at 1.5 THz, cut at 8 THz (THz⁻¹, not normalised)."""
    return np.where(nu < 8, a * nu ** 2 + bump * nu ** 2 * np.exp(-((nu - 1.5) / 0.6) ** 2), 0)


def vdos_tables(n_samples: int = 2) -> dict[str, pd.DataFrame]:
    nu = np.arange(0.05, 10.0, 0.05)
    out = {}
    for k in range(n_samples):
        g = debye_plus_peak(nu) * (1 + 0.02 * k)
        out[f"s{k}"] = pd.DataFrame({"nu": nu, "g": g, "g_over_nu2": g / nu ** 2,
                                     "g_Cu": 0.45 * g, "g_Zr": 0.55 * g})
    return out


def atom_curves(n: int = 3) -> pd.DataFrame:
    nu = np.arange(0.05, 10.0, 0.05)
    rows = []
    for k in range(n):
        g = debye_plus_peak(nu, bump=0.02 + 0.04 * k)
        rows.append(pd.DataFrame({"id": k + 1, "type": 1 + k % 2, "I_BP": (g / nu**2).max(),
                                  "nu": nu, "g": g, "g_over_nu2": g / nu ** 2}))
    return pd.concat(rows, ignore_index=True)


def test_debye_level_exact():
    nu = np.linspace(0.1, 3, 30)
    assert fv.debye_level(nu, 0.02 * nu ** 2, (0.2, 1.0)) == pytest.approx(0.02, rel=1e-12)
    assert np.isnan(fv.debye_level(nu, nu ** 2, (5.0, 6.0)))      # empty window


def test_debye_level_sound():
    # c_T = c_L = c: ν_D = c (3n/4π)^(1/3); level 3/ν_D³ = 4π/(n c³)
    n, c = 0.05, 3.0
    expected = 4 * np.pi / (n * 1e30 * (c * 1e3) ** 3) * 1e36        # THz⁻³
    assert fv.debye_level_sound(n, c, c) == pytest.approx(expected, rel=1e-12)
    # slower transverse sound: more low-frequency modes, a higher level
    assert fv.debye_level_sound(n, 2.0, 4.5) > fv.debye_level_sound(n, 3.0, 4.5)


def test_fig05_vdos(tmp_path):
    out = tmp_path / "fig05.png"
    fv.fig05_vdos(vdos_tables(), atom_curves(), debye=(0.1, 0.5), path=out,
                  band=(0.5, 6.0))
    assert_png(out, min_width=800)
    # one sample, no band, atom table without I_BP
    level = fv.debye_level_sound(0.0588, 2.0, 4.5)
    fv.fig05_vdos(vdos_tables(1), atom_curves(1).drop(columns="I_BP"), level,
                  tmp_path / "fig05b.png", debye_label="sound velocities")
    assert_png(tmp_path / "fig05b.png", min_width=800)


def dynamics_tables():
    t = np.geomspace(0.01, 20, 35)
    q = np.arange(0.5, 8, 0.1)
    sq = {f"s{k}": pd.DataFrame({"q": q, "S": 1 + 1.5 * np.exp(-((q - 2.7) / 0.2) ** 2) * (1 + 0.05 * k),
                                 "S_CuCu": 1.0 + 0 * q, "S_CuZr": 0 * q, "S_ZrZr": 1.0 + 0 * q,
                                 "n_k": 10})
          for k in range(2)}
    curves, rows = [], []
    for group, scale in (("all", 1.0), ("Cu", 1.3), ("Zr", 0.8)):
        msd = scale * (0.3 * (1 - np.exp(-(t / 0.05) ** 2)) + 0.02 * t)
        fs = np.exp(-msd * 2.7 ** 2 / 6)
        curves.append(pd.DataFrame({"group": group, "t": t, "msd": msd,
                                    "alpha2": 0.3 * np.exp(-np.log(t / 2) ** 2), "fs": fs}))
        below = np.flatnonzero(fs < np.exp(-1))
        rows.append({"group": group, "tau_alpha": t[below[0]] if below.size else np.nan})
    return sq, pd.concat(curves, ignore_index=True), pd.DataFrame(rows)


def test_fig06_dynamics(tmp_path):
    sq, curves, summary = dynamics_tables()
    out = tmp_path / "fig06.png"
    fd.fig06_dynamics(sq, curves, summary, q=2.7, temperature=700.0, path=out)
    assert_png(out, min_width=800)
    # F_s never reaching 1/e (NaN τ_α), a single group and an empty summary draw too
    one = curves[curves["group"] == "all"]
    fd.fig06_dynamics(sq, one, summary.iloc[:0], q=2.7, temperature=700.0,
                      path=tmp_path / "fig06b.png")
    assert_png(tmp_path / "fig06b.png", min_width=800)
