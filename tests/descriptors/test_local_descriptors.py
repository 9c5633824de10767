"""The flexibility volumes (igd.descriptors.flexibility)."""

import numpy as np

from igd.descriptors import flexibility as F


def test_flexibility_volume_forms():
    vmsd = np.array([0.02, 0.05])
    omega = np.array([8.0, 27.0])                         # a = Ω^(1/3) = 2, 3 Å
    np.testing.assert_allclose(F.flexibility_volume_voronoi(vmsd, omega), vmsd * [2, 3])
    np.testing.assert_allclose(F.flexibility_volume(vmsd, np.array([2.5, 3.0])),
                               [0.05, 0.15])
