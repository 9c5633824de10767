"""Running Shannon entropy of state histories, the index code and the Voronoi-index
entropy over a frames table (igd.descriptors.entropy, igd.descriptors.voronoi.encode_index):
planted crystals, alternations and a tiny face."""

import math

import numpy as np
import pandas as pd
import pytest

from igd.common.io import read_metadata, read_table, write_table
from igd.descriptors import entropy as E
from igd.descriptors import voronoi as V

FCC = np.array([[0, 0, 0], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5]])
A = 4.05                                        # Å, fcc lattice constant
THRESHOLDS = {"relative_face_threshold": 0.01, "edge_threshold": 0.1}


def fcc_crystal(a=A, n=2):
    """(positions (4n³, 3), cell (3, 3)) of an n × n × n fcc crystal at the origin, Å."""
    g = np.array([[i, j, k] for i in range(n) for j in range(n) for k in range(n)])
    return ((g[:, None, :] + FCC[None]) * a).reshape(-1, 3), np.eye(3) * n * a


def frames_table(positions, cell, interval=1.0, ids=None, types=None):
    """A frames table in the dynamics stage's format: (table, units, extra metadata)."""
    n, k = positions.shape[:2]
    ids = np.arange(1, n + 1) if ids is None else ids
    cols = {"id": ids, "type": np.ones(n, dtype=int) if types is None else types}
    for f in range(k):
        for c, ax in enumerate("xyz"):
            cols[f"{ax}_{f}"] = positions[:, f, c]
    table = pd.DataFrame(cols)
    units = {c: ("" if c in ("id", "type") else "Angstrom") for c in table.columns}
    extra = {"times_ps": [f * interval for f in range(k)], "cell": cell.tolist(),
             "origin": [0.0, 0.0, 0.0], "pbc": [True, True, True]}
    return table, units, extra


def test_entropy_of_constant_history_is_zero():
    S = E.history_entropy(np.full((3, 10), 7))
    np.testing.assert_allclose(S, 0.0, atol=1e-12)


def test_entropy_of_two_state_history():
    states = np.array([[0, 1, 0, 1], [5, 5, 9, 9], [1, 1, 1, 2]])
    S = E.history_entropy(states)
    assert S[0, -1] == pytest.approx(math.log(2))
    assert S[1, -1] == pytest.approx(math.log(2))
    assert S[0, 0] == 0.0 and S[0, 1] == pytest.approx(math.log(2))
    p = np.array([0.75, 0.25])
    assert S[2, -1] == pytest.approx(-(p * np.log(p)).sum())


def test_index_encoding():
    codes = V.encode_index(np.array([[0, 2, 8, 2], [0, 2, 8, 3], [0, 2, 8, 2]]))
    assert codes[0] == codes[2] != codes[1]


def test_fcc_with_small_noise_has_zero_entropy_with_thresholds():
    # fcc's Voronoi cell has six 4-fold vertices: any noise splits them into tiny faces
    # and short edges; the thresholds restore <0,12,0,0> in every frame
    pos, cell = fcc_crystal()
    rng = np.random.default_rng(1)
    frames = pos[:, None, :] + rng.normal(0.0, 0.01, (len(pos), 6, 3))
    S, n_states = E.voronoi_entropy(frames, cell, np.zeros(3), **THRESHOLDS)
    np.testing.assert_allclose(S, 0.0, atol=1e-12)
    np.testing.assert_array_equal(n_states, 1)
    codes = E.voronoi_states(frames, cell, np.zeros(3), **THRESHOLDS)
    np.testing.assert_array_equal(codes, V.encode_index(np.array([[0, 12, 0, 0]]))[0])
    S0, _ = E.voronoi_entropy(frames, cell, np.zeros(3))      # no thresholds: flicker
    assert S0[:, -1].max() > 0.5


def test_planted_two_index_alternation_gives_ln2_per_atom():
    pos, cell = fcc_crystal()                   # every atom <0,12,0,0>
    rng = np.random.default_rng(2)
    other = rng.random(pos.shape) @ cell        # random cells: never <0,12,0,0>
    frames = np.stack([pos, other, pos, other], axis=1)
    S, n_states = E.voronoi_entropy(frames, cell, np.zeros(3))
    np.testing.assert_allclose(S[:, -1], math.log(2), rtol=1e-12)
    np.testing.assert_array_equal(n_states, 2)
    # equal weights per frame: 2 of 3 frames in one state
    S3, _ = E.voronoi_entropy(frames[:, :3], cell, np.zeros(3))
    p = np.array([2 / 3, 1 / 3])
    np.testing.assert_allclose(S3[:, -1], -(p * np.log(p)).sum(), rtol=1e-12)


def test_threshold_removes_a_planted_tiny_face():
    # two second neighbours along z pulled together by 2 × 0.02 Å: a tiny square face
    # between them (coordination 13, index <0,9,4,0>) that the thresholds drop
    pos, cell = fcc_crystal()
    j = int(np.flatnonzero(np.all(np.isclose(pos, [0.0, 0.0, A]), axis=1))[0])
    planted = pos.copy()
    planted[0, 2] += 0.02
    planted[j, 2] -= 0.02
    raw = V.voronoi_cells(planted, cell, bonds=False)
    assert raw.coordination[0] == 13
    np.testing.assert_array_equal(V.voronoi_index(raw.index)[0], [0, 9, 4, 0])
    face_only = V.voronoi_cells(planted, cell, relative_face_threshold=0.01, bonds=False)
    assert face_only.coordination[0] == 12      # the face is gone, its edges are not
    frames = np.stack([pos, planted, pos, planted], axis=1)
    S_raw, _ = E.voronoi_entropy(frames, cell, np.zeros(3))
    assert S_raw[0, -1] == pytest.approx(math.log(2))
    S, _ = E.voronoi_entropy(frames, cell, np.zeros(3), **THRESHOLDS)
    np.testing.assert_allclose(S, 0.0, atol=1e-12)


def test_frames_table_round_trip_and_atom_order(tmp_path):
    pos, cell = fcc_crystal()
    rng = np.random.default_rng(3)
    other = rng.random(pos.shape) @ cell
    frames = np.stack([pos, pos, other], axis=1)
    ids = np.arange(1, len(pos) + 1) * 10
    types = np.where(np.arange(len(pos)) < 12, 1, 2)
    table, units, extra = frames_table(frames, cell, interval=0.5, ids=ids, types=types)
    path = tmp_path / "frames.parquet"
    write_table(table, path, units=units, extra=extra)
    fr = E.frames_from_table(read_table(path), read_metadata(path))
    assert fr.n_frames == 3
    np.testing.assert_allclose(fr.times, [0.0, 0.5, 1.0])
    np.testing.assert_allclose(fr.positions, frames)
    np.testing.assert_allclose(fr.cell, cell)
    # atoms asked for in another order than the table's
    order = rng.permutation(len(ids))
    S, n_states, curve = E.entropy_along_run(fr, ids[order], types[order],
                                             elements=["Cu", "Zr", "Ag"])
    p = np.array([2 / 3, 1 / 3])
    np.testing.assert_allclose(S, -(p * np.log(p)).sum(), rtol=1e-12)
    np.testing.assert_array_equal(n_states, 2)
    assert list(curve.columns) == ["t", "S_mean", "S_mean_Cu", "S_mean_Zr", "S_mean_Ag"]
    np.testing.assert_allclose(curve["S_mean"], [0.0, 0.0, -(p * np.log(p)).sum()])
    assert curve["S_mean_Ag"].isna().all()
    with pytest.raises(ValueError, match="every atom"):
        E.entropy_along_run(fr, np.array([1, 2]), np.array([1, 1]), elements=["Cu"])


@pytest.mark.parametrize("change, match", [
    (lambda t, m: m.update(times_ps=[0.0, 1.0, 3.0]), "equally spaced"),
    (lambda t, m: m.update(times_ps=[0.0, 1.0]), "3 frames"),
    (lambda t, m: m.update(pbc=[True, True, False]), "periodic"),
    (lambda t, m: t.pop("y_1"), "x_k, y_k, z_k"),
])
def test_bad_frames_tables_are_rejected(change, match):
    pos, cell = fcc_crystal()
    table, _, meta = frames_table(np.stack([pos] * 3, axis=1), cell)
    change(table, meta)
    with pytest.raises(ValueError, match=match):
        E.frames_from_table(table, meta)
