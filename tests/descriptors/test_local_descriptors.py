"""The flexibility volumes (igd.descriptors.flexibility) and the per-sample driver's
image-flag reader (igd.descriptors.local)."""

import numpy as np

from igd.descriptors import flexibility as F
from igd.descriptors import local as D


def test_flexibility_volume_forms():
    vmsd = np.array([0.02, 0.05])
    omega = np.array([8.0, 27.0])                         # a = Ω^(1/3) = 2, 3 Å
    np.testing.assert_allclose(F.flexibility_volume_voronoi(vmsd, omega), vmsd * [2, 3])
    np.testing.assert_allclose(F.flexibility_volume(vmsd, np.array([2.5, 3.0])),
                               [0.05, 0.15])


def test_read_image_flags(tmp_path):
    f = tmp_path / "x.data"
    f.write_text("head\n\n2 atoms\n1 atom types\n\nAtoms # atomic\n\n"
                 "2 1 0.0 0.0 0.0 1 -1 0\n1 1 1.0 1.0 1.0 0 0 2\n\nVelocities\n\n"
                 "1 0 0 0\n2 0 0 0\n")
    np.testing.assert_array_equal(D.read_image_flags(f), [[0, 0, 2], [1, -1, 0]])
