"""Voronoi cells, index, f5 and a_i (igd.descriptors.voronoi) on crystals."""

import math

import numpy as np
import pytest

from igd.descriptors import voronoi as V

FCC = np.array([[0, 0, 0], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5]])


def fcc_crystal(a=4.05, n=3, origin=(0.0, 0.0, 0.0)):
    g = np.array([[i, j, k] for i in range(n) for j in range(n) for k in range(n)])
    pos = ((g[:, None, :] + FCC[None]) * a).reshape(-1, 3) + np.asarray(origin)
    return pos, np.eye(3) * n * a, np.asarray(origin, dtype=float)


@pytest.mark.parametrize("origin", [(0.0, 0.0, 0.0), (-3.1, 2.0, 0.7)])
def test_voronoi_volume_of_fcc_is_a3_over_4(origin):
    a = 4.05
    pos, cell, org = fcc_crystal(a, origin=origin)
    vc = V.voronoi_cells(pos, cell, org)
    np.testing.assert_allclose(vc.volume, a**3 / 4, rtol=1e-9)
    np.testing.assert_array_equal(V.voronoi_index(vc.index), [[0, 12, 0, 0]] * len(pos))
    np.testing.assert_allclose(V.five_fold_fraction(vc.index), 0.0)
    # every atom has 12 face-sharing neighbours at a/√2
    a_nn = V.mean_neighbor_distance(len(pos), vc.bond_i, vc.bond_j, vc.bond_dist)
    np.testing.assert_allclose(a_nn, a / math.sqrt(2), rtol=1e-9)
    np.testing.assert_array_equal(vc.coordination, 12)


def test_voronoi_volumes_tile_a_random_box():
    rng = np.random.default_rng(0)
    cell = np.array([[10.0, 0, 0], [1.0, 9.0, 0], [0.5, -1.0, 11.0]])
    pos = rng.random((200, 3)) @ cell
    vc = V.voronoi_cells(pos + 3 * cell[0], cell)      # unwrapped input is wrapped first
    assert vc.volume.sum() == pytest.approx(abs(np.linalg.det(cell)), rel=1e-9)


def test_five_fold_fraction():
    # OVITO layout: column k − 1 holds the k-edged faces; <0,2,8,2> and <0,0,12,0>
    index = np.array([[0, 0, 0, 2, 8, 2], [0, 0, 0, 0, 12, 0]])
    np.testing.assert_allclose(V.five_fold_fraction(index), [8 / 12, 1.0])
    np.testing.assert_array_equal(V.voronoi_index(index), [[0, 2, 8, 2], [0, 0, 12, 0]])


def test_voronoi_index_of_bcc_is_0_6_0_8():
    g = np.array([[i, j, k] for i in range(3) for j in range(3) for k in range(3)], float)
    pos = np.concatenate([g, g + 0.5]) * 3.0
    vc = V.voronoi_cells(pos, np.eye(3) * 9.0)
    np.testing.assert_array_equal(V.voronoi_index(vc.index), [[0, 6, 0, 8]] * len(pos))
    np.testing.assert_allclose(vc.volume, 27.0 / 2)
