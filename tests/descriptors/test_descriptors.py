"""Companion-paper descriptors and the descriptor leaderboard (igd.descriptors.local,
igd.descriptors.leaderboard) on analytic and synthetic cases."""

import math

import numpy as np
import pandas as pd
import pytest

from igd.descriptors import local as D
from igd.descriptors import leaderboard as LB

FCC = np.array([[0, 0, 0], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5]])


def fcc_crystal(a=4.05, n=3, origin=(0.0, 0.0, 0.0)):
    g = np.array([[i, j, k] for i in range(n) for j in range(n) for k in range(n)])
    pos = ((g[:, None, :] + FCC[None]) * a).reshape(-1, 3) + np.asarray(origin)
    return pos, np.eye(3) * n * a, np.asarray(origin, dtype=float)


# ----------------------------------------------------------------------- Voronoi

@pytest.mark.parametrize("origin", [(0.0, 0.0, 0.0), (-3.1, 2.0, 0.7)])
def test_voronoi_volume_of_fcc_is_a3_over_4(origin):
    a = 4.05
    pos, cell, org = fcc_crystal(a, origin=origin)
    vc = D.voronoi_cells(pos, cell, org)
    np.testing.assert_allclose(vc.volume, a**3 / 4, rtol=1e-9)
    np.testing.assert_array_equal(D.voronoi_index(vc.index), [[0, 12, 0, 0]] * len(pos))
    np.testing.assert_allclose(D.five_fold_fraction(vc.index), 0.0)
    # every atom has 12 face-sharing neighbours at a/√2
    a_nn = D.mean_neighbor_distance(len(pos), vc.bond_i, vc.bond_j, vc.bond_dist)
    np.testing.assert_allclose(a_nn, a / math.sqrt(2), rtol=1e-9)
    np.testing.assert_array_equal(vc.coordination, 12)


def test_voronoi_volumes_tile_a_random_box():
    rng = np.random.default_rng(0)
    cell = np.array([[10.0, 0, 0], [1.0, 9.0, 0], [0.5, -1.0, 11.0]])
    pos = rng.random((200, 3)) @ cell
    vc = D.voronoi_cells(pos + 3 * cell[0], cell)      # unwrapped input is wrapped first
    assert vc.volume.sum() == pytest.approx(abs(np.linalg.det(cell)), rel=1e-9)


def test_five_fold_fraction():
    # OVITO layout: column k − 1 holds the k-edged faces; <0,2,8,2> and <0,0,12,0>
    index = np.array([[0, 0, 0, 2, 8, 2], [0, 0, 0, 0, 12, 0]])
    np.testing.assert_allclose(D.five_fold_fraction(index), [8 / 12, 1.0])
    np.testing.assert_array_equal(D.voronoi_index(index), [[0, 2, 8, 2], [0, 0, 12, 0]])


def test_voronoi_index_of_bcc_is_0_6_0_8():
    g = np.array([[i, j, k] for i in range(3) for j in range(3) for k in range(3)], float)
    pos = np.concatenate([g, g + 0.5]) * 3.0
    vc = D.voronoi_cells(pos, np.eye(3) * 9.0)
    np.testing.assert_array_equal(D.voronoi_index(vc.index), [[0, 6, 0, 8]] * len(pos))
    np.testing.assert_allclose(vc.volume, 27.0 / 2)


def test_flexibility_volume_forms():
    vmsd = np.array([0.02, 0.05])
    omega = np.array([8.0, 27.0])                         # a = Ω^(1/3) = 2, 3 Å
    np.testing.assert_allclose(D.flexibility_volume_voronoi(vmsd, omega), vmsd * [2, 3])
    np.testing.assert_allclose(D.flexibility_volume(vmsd, np.array([2.5, 3.0])),
                               [0.05, 0.15])


# ----------------------------------------------------------------------- entropy

def test_entropy_of_constant_history_is_zero():
    S = D.history_entropy(np.full((3, 10), 7))
    np.testing.assert_allclose(S, 0.0, atol=1e-12)


def test_entropy_of_two_state_history():
    states = np.array([[0, 1, 0, 1], [5, 5, 9, 9], [1, 1, 1, 2]])
    S = D.history_entropy(states)
    assert S[0, -1] == pytest.approx(math.log(2))
    assert S[1, -1] == pytest.approx(math.log(2))
    assert S[0, 0] == 0.0 and S[0, 1] == pytest.approx(math.log(2))
    p = np.array([0.75, 0.25])
    assert S[2, -1] == pytest.approx(-(p * np.log(p)).sum())
    # weights: state 0 for 1 ps then state 1 for 3 ps
    Sw = D.history_entropy(np.array([[0, 1]]), np.array([1.0, 3.0]))
    assert Sw[0, -1] == pytest.approx(-(p * np.log(p)).sum())


def test_frame_weights_and_encoding():
    np.testing.assert_allclose(D.frame_weights(np.array([0.01, 0.03, 0.1])),
                               [0.01, 0.02, 0.07])
    np.testing.assert_allclose(D.frame_weights(np.array([0.01, 0.03]), "frame"), [1, 1])
    codes = D.encode_index(np.array([[0, 2, 8, 2], [0, 2, 8, 3], [0, 2, 8, 2]]))
    assert codes[0] == codes[2] != codes[1]


def test_trajectory_frames_scale_the_box_about_its_centre():
    pos, cell, origin = fcc_crystal(4.0, n=2)
    disp = np.zeros((len(pos), 2, 3))
    v0 = abs(np.linalg.det(cell))
    frames = list(D.trajectory_frames(pos, disp, cell, origin, np.array([v0, 8 * v0])))
    np.testing.assert_allclose(frames[0][1], cell)
    np.testing.assert_allclose(frames[1][1], 2 * cell)
    np.testing.assert_allclose(frames[1][2] + frames[1][1].sum(0) / 2, cell.sum(0) / 2)


def test_voronoi_entropy_of_a_static_crystal_is_zero():
    pos, cell, origin = fcc_crystal(4.05, n=2)
    disp = np.zeros((len(pos), 3, 3))
    S, n_states = D.voronoi_entropy(pos, disp, np.array([0.1, 0.2, 0.4]), cell, origin)
    np.testing.assert_allclose(S, 0.0)
    np.testing.assert_array_equal(n_states, 1)


def test_read_image_flags(tmp_path):
    f = tmp_path / "x.data"
    f.write_text("head\n\n2 atoms\n1 atom types\n\nAtoms # atomic\n\n"
                 "2 1 0.0 0.0 0.0 1 -1 0\n1 1 1.0 1.0 1.0 0 0 2\n\nVelocities\n\n"
                 "1 0 0 0\n2 0 0 0\n")
    np.testing.assert_array_equal(D.read_image_flags(f), [[0, 0, 2], [1, -1, 0]])


# ----------------------------------------------------------------------- SF

def test_species_radial_features_of_a_pair():
    cell = np.eye(3) * 30.0
    pos = np.array([[5.0, 5.0, 5.0], [7.5, 5.0, 5.0]])
    r = [2.0, 2.5, 3.0]
    G = D.species_radial_features(pos, cell, np.array([1, 2]), r_grid=r, sigma=0.2,
                                  cutoff=6.0)
    expect = np.exp(-((np.array(r) - 2.5) ** 2) / (2 * 0.2**2))
    # atom 0 (Cu) sees one Zr at 2.5 Å: Cu block 0, Zr block = the Gaussian
    np.testing.assert_allclose(G[0], np.concatenate([np.zeros(3), expect]))
    np.testing.assert_allclose(G[1], np.concatenate([expect, np.zeros(3)]))


def test_svr_recovers_a_planted_linear_omega():
    rng = np.random.default_rng(1)
    omega = np.array([0.8, -1.5, 0.3, 2.0, 0.0])
    X = rng.normal(size=(500, 5))
    y = X @ omega + 0.4 + rng.normal(scale=0.01, size=500)
    model = D.fit_sf(X, y, C=1.0, epsilon=0.0, tol=1e-5, max_iter=100000)
    np.testing.assert_allclose(model.coef_, omega, atol=0.01)
    assert float(np.ravel(model.intercept_)[0]) == pytest.approx(0.4, abs=0.01)


def test_structural_flexibility_trains_on_training_samples_only():
    rng = np.random.default_rng(2)
    omega = np.array([1.0, -2.0, 0.5])
    feats = {s: rng.normal(size=(400, 3)) for s in ("s0", "s1", "s2")}
    types = {s: np.tile([1, 2], 200) for s in feats}
    target = {s: feats[s] @ omega for s in feats}
    sf, rep = D.structural_flexibility(feats, types, target, ["s0", "s1"], C=1.0,
                                       tol=1e-5, max_iter=100000)
    garbage = dict(target, s2=rng.normal(size=400) * 100)
    sf2, _ = D.structural_flexibility(feats, types, garbage, ["s0", "s1"], C=1.0,
                                      tol=1e-5, max_iter=100000)
    np.testing.assert_allclose(sf["s2"], sf2["s2"])          # test target never used
    np.testing.assert_allclose(sf["s2"], target["s2"], atol=0.02)
    assert rep["1"]["pearson_test"] > 0.999 and rep["2"]["n_train"] == 400


# ----------------------------------------------------------------------- leaderboard

def test_binned_pearson_and_spearman():
    x = np.arange(1000.0)
    r, nb = LB.binned_pearson(x, 3 - 2 * x, bin_atoms=200, min_bins=5)
    assert r == pytest.approx(-1.0) and nb == 5
    r, nb = LB.binned_pearson(x, x**3, bin_atoms=50, min_bins=5)
    assert nb == 20 and 0.8 < r < 1.0
    assert LB.spearman(x, np.exp(x / 100)) == pytest.approx(1.0)
    assert math.isnan(LB.binned_pearson(x[:2], x[:2])[0])


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
    LB.fig_leaderboard(board, tmp_path / "lb.png")
    assert_png(tmp_path / "lb.png")
    t = np.geomspace(0.01, 10, 20)
    LB.fig_entropy({"s0": pd.DataFrame({"t": t, "S_mean": np.log1p(t),
                                        "S_mean_Cu": np.log1p(t)})}, tmp_path / "s.png")
    assert_png(tmp_path / "s.png")
