"""Figure 6 on small synthetic tables: writes a valid, non-blank PNG."""

from __future__ import annotations

import numpy as np
import pandas as pd

from igd.dynamics import figures as fd

from conftest import PNG, assert_png  # noqa: F401


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
