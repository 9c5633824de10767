"""g(r) on analytic cases: fcc shells, an ideal gas, partials that add up to the total."""

import numpy as np

from igd.glass.rdf import first_peak_and_minimum, rdf


def fcc(a, n):
    base = np.array([[0, 0, 0], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5]])
    cells = np.array([[i, j, k] for i in range(n) for j in range(n) for k in range(n)])
    return ((cells[:, None, :] + base[None]) * a).reshape(-1, 3), np.eye(3) * a * n


def test_fcc_coordination_shells():
    a = 3.615
    pos, cell = fcc(a, 3)               # 10.8 Å box: r_max 8 Å > half box, images counted
    types = np.ones(len(pos), dtype=int)
    t = rdf(pos, cell, types, ["Cu"], r_max=8.0, dr=0.01)
    rho = len(pos) / np.linalg.det(cell)
    running = np.cumsum(t["g"] * 4 * np.pi * t["r"] ** 2 * 0.01) * rho
    # 12 nearest neighbours at a/√2, 6 at a, 24 at a√(3/2)
    at = lambda r: running[np.searchsorted(t["r"], r)]  # noqa: E731
    assert round(at(a / np.sqrt(2) + 0.1)) == 12
    assert round(at(a + 0.1)) == 18
    assert round(at(a * np.sqrt(1.5) + 0.1)) == 42
    peak, minimum = first_peak_and_minimum(t["r"].to_numpy(), t["g"].to_numpy())
    assert abs(peak - a / np.sqrt(2)) < 0.02 and a / np.sqrt(2) < minimum < a


def test_ideal_gas_tends_to_one_and_partials_weight_to_total():
    rng = np.random.default_rng(0)
    n = 4000
    cell = np.eye(3) * 30.0
    pos = rng.uniform(0, 30, (n, 3))
    types = np.where(rng.random(n) < 0.3, 1, 2)
    t = rdf(pos, cell, types, ["Cu", "Zr"], r_max=12.0, dr=0.2)
    far = t["r"] > 4
    assert abs(t["g"][far].mean() - 1) < 0.01
    for col in ["g_CuCu", "g_CuZr", "g_ZrZr"]:
        assert abs(t[col][far].mean() - 1) < 0.03
    c1 = np.mean(types == 1)
    c2 = 1 - c1
    total = c1 * c1 * t["g_CuCu"] + 2 * c1 * c2 * t["g_CuZr"] + c2 * c2 * t["g_ZrZr"]
    np.testing.assert_allclose(total, t["g"], atol=1e-10)
