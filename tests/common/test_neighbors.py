"""The periodic neighbour search against brute force, with cutoffs beyond half the box."""

import numpy as np
import pytest

from igd.common.neighbors import iter_pairs, neighbor_pairs, perpendicular_widths, wrap


def brute_force(pos, cell, cutoff):
    out = []
    n = len(pos)
    reach = np.ceil(cutoff / perpendicular_widths(cell)).astype(int)
    for i in range(n):
        for j in range(n):
            for s in np.ndindex(*(2 * reach + 1)):
                shift = np.array(s) - reach
                if i == j and not shift.any():
                    continue
                d = np.linalg.norm(pos[j] + shift @ cell - pos[i])
                if d < cutoff:
                    out.append((i, j, d))
    return np.array(sorted(out))


@pytest.mark.parametrize("cutoff", [2.0, 5.5, 9.0])
def test_triclinic_all_images(cutoff):
    rng = np.random.default_rng(1)
    cell = np.array([[5.0, 0, 0], [1.5, 4.5, 0], [-1.0, 0.8, 6.0]])
    pos = wrap(rng.uniform(-2, 8, (12, 3)), cell)
    p = neighbor_pairs(pos, cell, cutoff)
    got = np.array(sorted(zip(p.i, p.j, p.dist)))
    want = brute_force(pos, cell, cutoff)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, atol=1e-10)
    np.testing.assert_allclose(np.linalg.norm(p.vec, axis=1), p.dist, atol=1e-12)


def test_single_atom_sees_its_own_images():
    p = neighbor_pairs(np.zeros((1, 3)), np.eye(3) * 3.0, 3.01)
    assert len(p) == 6 and np.allclose(p.dist, 3.0)


def test_unwrapped_input_and_chunks_agree():
    rng = np.random.default_rng(2)
    cell = np.eye(3) * 7.0
    pos = rng.uniform(0, 7, (30, 3))
    a = neighbor_pairs(pos, cell, 4.0)
    b = neighbor_pairs(pos + np.array([7.0, -14.0, 21.0]), cell, 4.0)
    np.testing.assert_allclose(a.dist, b.dist)
    chunks = [(c[p.i], p.j) for c, p in iter_pairs(pos, cell, 4.0, chunk_size=7)]
    assert sum(len(i) for i, _ in chunks) == len(a)
