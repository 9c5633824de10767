"""Structural flexibility (igd.descriptors.sf): radial features, the SVR, the split."""

import numpy as np
import pytest

from igd.descriptors import sf as D


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
