"""The descriptor leaderboard (igd.descriptors.scoring, .leaderboard, .figures) on
synthetic cases."""

import math

import numpy as np
import pandas as pd
import pytest

from igd.descriptors import figures as FIG
from igd.descriptors import leaderboard as LB
from igd.descriptors import scoring as SC


def test_binned_pearson_and_spearman():
    x = np.arange(1000.0)
    r, nb = SC.binned_pearson(x, 3 - 2 * x, bin_atoms=200, min_bins=5)
    assert r == pytest.approx(-1.0) and nb == 5
    r, nb = SC.binned_pearson(x, x**3, bin_atoms=50, min_bins=5)
    assert nb == 20 and 0.8 < r < 1.0
    assert SC.spearman(x, np.exp(x / 100)) == pytest.approx(1.0)
    assert math.isnan(SC.binned_pearson(x[:2], x[:2])[0])


def synthetic_atoms(n=400, seed=3):
    rng = np.random.default_rng(seed)
    rows = []
    for s in ("s0", "s1"):
        score = rng.random(n)
        rearranged = score > 0.8
        rows.append(pd.DataFrame({
            "sample": s, "id": np.arange(1, n + 1), "type": np.tile([1, 2], n // 2),
            "x": rng.random(n) * 20, "y": rng.random(n) * 20, "z": rng.random(n) * 20,
            "rearranged": rearranged, "mean_dQ": 2.0 - score, "I_BP": score,
            "perfect": score, "anti": -score, "noise": rng.random(n),
            "empty": np.nan}))
    return pd.concat(rows, ignore_index=True)


def test_leaderboard_on_synthetic_data():
    atoms = synthetic_atoms()
    boxes = {s: (np.eye(3) * 20.0, np.zeros(3)) for s in ("s0", "s1")}
    desc = {"perfect": ("planted", 1), "anti": ("planted, reversed", -1),
            "noise": ("random", 1), "empty": ("all NaN", 1)}
    board, corr, units = LB.build_leaderboard(
        atoms, desc, boxes, test_samples=["s1"], bin_atoms=40, min_bins=5,
        corr_r_max=6.0, corr_dr=0.5, corr_fit_r_min=0.5, corr_fit_r_max=5.0)
    b = board.set_index("descriptor")
    assert set(units) == set(board.columns)
    assert b.at["perfect", "roc_auc"] == 1.0 and b.at["anti", "roc_auc"] == 1.0
    assert b.at["perfect", "chi"] == math.inf            # no rearranged atom at the bottom
    assert abs(b.at["noise", "roc_auc"] - 0.5) < 0.15
    assert b.at["perfect", "n_test"] == 400
    for el in ("Cu", "Zr"):
        assert b.at["perfect", f"pearson_dQ_{el}"] == pytest.approx(-1.0)
        assert b.at["perfect", f"pearson_IBP_{el}"] == pytest.approx(1.0)
    assert b.at["anti", "spearman_dQ"] == pytest.approx(-1.0)
    assert math.isnan(b.at["empty", "roc_auc"]) and "no finite value" in b.at["empty", "reason"]
    # every row: a number or a stated reason
    for _, r in board.iterrows():
        vals = r[["roc_auc", "chi", "spearman_dQ", "xi"]].astype(float)
        assert np.isfinite(vals).all() or r["reason"]
    md = LB.leaderboard_markdown(board, note="test")
    assert md.startswith("test") and "| `perfect` | + | 1.000 | ∞ |" in md


def test_fig_leaderboard_and_entropy(tmp_path):
    from conftest import assert_png

    atoms = synthetic_atoms(n=200)
    boxes = {s: (np.eye(3) * 20.0, np.zeros(3)) for s in ("s0", "s1")}
    board, _, _ = LB.build_leaderboard(atoms, {"perfect": ("p", 1), "noise": ("n", 1)},
                                       boxes, test_samples=["s1"], corr_r_max=5.0,
                                       corr_dr=0.5, corr_fit_r_min=0.5, corr_fit_r_max=4.0)
    FIG.fig_leaderboard(board, tmp_path / "lb.png")
    assert_png(tmp_path / "lb.png")
    t = np.geomspace(0.01, 10, 20)
    FIG.fig_entropy({"s0": pd.DataFrame({"t": t, "S_mean": np.log1p(t),
                                        "S_mean_Cu": np.log1p(t)})}, tmp_path / "s.png")
    assert_png(tmp_path / "s.png")


def test_leaderboard_xi_of_learned_descriptor_on_held_out_samples_only():
    """A learned column's ξ comes from the test sample only (its training atoms are partly
    fitted): planted smooth field on the training sample s0, short-ranged on s1."""
    atoms = synthetic_atoms(n=600)
    rng = np.random.default_rng(5)
    x = atoms["x"].to_numpy()
    s0 = (atoms["sample"] == "s0").to_numpy()
    atoms["fitted"] = np.where(s0, np.sin(2 * np.pi * x / 20), rng.random(len(atoms)))
    boxes = {s: (np.eye(3) * 20.0, np.zeros(3)) for s in ("s0", "s1")}
    desc = {"fitted": ("planted", 1), "perfect": ("planted", 1)}
    kw = dict(test_samples=["s1"], bin_atoms=40, min_bins=5, corr_r_max=6.0, corr_dr=0.5,
              corr_fit_r_min=0.5, corr_fit_r_max=5.0)
    pooled, corr_pooled, _ = LB.build_leaderboard(atoms, desc, boxes, **kw)
    learned, corr_learned, _ = LB.build_leaderboard(atoms, desc, boxes, learned=["fitted"], **kw)
    held_out, corr_held, _ = LB.build_leaderboard(atoms, desc, boxes,
                                                  correlation_samples="test", **kw)
    np.testing.assert_allclose(corr_learned["C_fitted"], corr_held["C_fitted"], atol=1e-12)
    np.testing.assert_allclose(corr_learned["C_perfect"], corr_pooled["C_perfect"], atol=1e-12)
    assert corr_pooled["C_fitted"].iloc[3] > 0.3 > abs(corr_learned["C_fitted"].iloc[3])
    note = LB.leaderboard_note(atoms, samples=["s0", "s1"], test_samples=["s1"],
                               chi_fraction=0.05, bin_atoms=40, min_bins=5,
                               correlation_samples="all", learned=["fitted"])
    assert "learned fitted: over the held-out sample(s) only" in note
