"""Running Shannon entropy of state histories, frame weights and the index code
(igd.descriptors.entropy, igd.descriptors.voronoi.encode_index)."""

import math

import numpy as np
import pytest

from igd.descriptors import entropy as E
from igd.descriptors import voronoi as V


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
    # weights: state 0 for 1 ps then state 1 for 3 ps
    Sw = E.history_entropy(np.array([[0, 1]]), np.array([1.0, 3.0]))
    assert Sw[0, -1] == pytest.approx(-(p * np.log(p)).sum())


def test_frame_weights_and_encoding():
    np.testing.assert_allclose(E.frame_weights(np.array([0.01, 0.03, 0.1])),
                               [0.01, 0.02, 0.07])
    np.testing.assert_allclose(E.frame_weights(np.array([0.01, 0.03]), "frame"), [1, 1])
    codes = V.encode_index(np.array([[0, 2, 8, 2], [0, 2, 8, 3], [0, 2, 8, 2]]))
    assert codes[0] == codes[2] != codes[1]
