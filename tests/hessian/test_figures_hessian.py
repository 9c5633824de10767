"""Figure 5 on small synthetic tables: writes a valid, non-blank PNG; the Debye-level fit
recovers an exact ν² law."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

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
