"""D²min: affine invariance, an analytic single-atom displacement, periodic images, OVITO."""


import numpy as np
import pytest

from igd.common.datafile import read_lammps_data
from igd.labels.d2min import d2min
from igd.common.neighbors import wrap


CUTOFF = 3.7  # Å, ~first minimum of g(r) of CuZr


@pytest.fixture(scope="module")
def glass(tiny_glass):
    return read_lammps_data(tiny_glass)


def simple_cubic(n=4, a=1.0):
    grid = np.stack(np.meshgrid(*[np.arange(n)] * 3, indexing="ij"), -1).reshape(-1, 3)
    return grid * a, np.eye(3) * n * a


@pytest.mark.parametrize("normalization", ["mean", "sum"])
def test_affine_deformation_gives_zero(glass, normalization):
    # general affine map (shear + stretch + rotation-ish) of positions and cell together
    F = np.array([[1.03, 0.02, -0.01], [0.015, 0.97, 0.04], [-0.02, 0.01, 1.01]])
    cell = glass.cell @ F
    pos = glass.origin + (glass.positions - glass.origin) @ F
    pos = wrap(pos, cell, glass.origin)  # remapped across the boundary like LAMMPS does
    d2 = d2min(glass.positions, pos, glass.cell, cell, CUTOFF, ref_origin=glass.origin,
               normalization=normalization)
    assert d2.shape == (glass.n_atoms,)
    assert np.all(np.isfinite(d2))
    assert np.max(np.abs(d2)) < 1e-20
    # and it is not trivially zero: noise gives a positive value
    noisy = pos + np.random.default_rng(1).normal(0, 0.01, pos.shape)
    d2n = d2min(glass.positions, noisy, glass.cell, cell, CUTOFF, ref_origin=glass.origin,
                normalization=normalization)
    assert np.all(d2n > 1e-7)


def test_affine_from_triclinic_reference(glass):
    ref_cell = glass.cell.copy()
    ref_cell[1, 0] = 0.8   # sheared reference (xy tilt)
    ref_cell[2, 1] = -0.5  # yz tilt
    F0 = np.linalg.inv(glass.cell) @ ref_cell
    ref = glass.origin + (glass.positions - glass.origin) @ F0
    F = np.eye(3)
    F[2, 0] = 0.01  # xz shear on top
    cur = wrap(glass.origin + (ref - glass.origin) @ F, ref_cell @ F, glass.origin)
    d2 = d2min(ref, cur, ref_cell, ref_cell @ F, CUTOFF, ref_origin=glass.origin)
    assert np.max(np.abs(d2)) < 1e-20


@pytest.mark.parametrize("corner", [False, True])
def test_single_displaced_atom_analytic(corner):
    # simple cubic, 6 neighbours at a: displacing atom 0 by u gives
    # D²_0 = Σ|u|² = 6|u|² (sum) and D²_j = |u|²/2 for each of its 6 neighbours, else 0.
    pos, cell = simple_cubic(n=4, a=1.0)
    origin = np.zeros(3) if corner else np.full(3, -1.5)  # corner: atom 0 on the boundary
    ref = wrap(pos, cell, origin)
    u = np.array([-0.07, 0.04, 0.02])
    cur = ref.copy()
    cur[0] += u
    cur = wrap(cur, cell, origin)  # atom 0 leaves the box through x = 0 when corner
    u2 = float(u @ u)
    d2 = d2min(ref, cur, cell, cell, 1.1, ref_origin=origin, normalization="sum")
    nb = np.flatnonzero(np.isclose(
        np.linalg.norm((ref - ref[0] + 2) % 4 - 2, axis=1), 1.0))
    assert nb.size == 6
    assert d2[0] == pytest.approx(6 * u2, rel=1e-12)
    np.testing.assert_allclose(d2[nb], u2 / 2, rtol=1e-12)
    others = np.setdiff1d(np.arange(len(ref)), np.concatenate([[0], nb]))
    assert np.max(np.abs(d2[others])) < 1e-25
    mean = d2min(ref, cur, cell, cell, 1.1, ref_origin=origin, normalization="mean")
    np.testing.assert_allclose(mean, d2 / 6, atol=1e-25)


def test_periodic_images_small_box():
    # 2×2×2 simple cubic with cutoff 1.1: every neighbour of every atom is a periodic
    # image (2 images of the same atom along each axis); a rigid translation by more than
    # a cell and an affine shear must both give zero, a displaced atom the analytic value.
    pos, cell = simple_cubic(n=2, a=1.0)
    F = np.eye(3)
    F[0, 1] = 0.02
    cur = (pos + np.array([2.3, -1.7, 0.4])) @ F
    d2 = d2min(pos, cur, cell, cell @ F, 1.1, normalization="sum")
    assert np.max(np.abs(d2)) < 1e-24
    u = np.array([0.03, 0.0, -0.05])
    cur = pos.copy()
    cur[0] += u
    d2 = d2min(pos, cur, cell, cell, 1.1, normalization="sum")
    # atom 0 sees each of its 3 neighbours twice (±a); they see atom 0 twice each
    assert d2[0] == pytest.approx(6 * (u @ u), rel=1e-12)
    # a neighbour's two bonds along ±a e_k both end on (images of) atom 0 and both move
    # by +u: Σ d0 = 0 so J = I and each keeps residual u → D² = 2|u|², not the |u|²/2 of
    # a large box (which would be wrong here: the images are distinct bonds).
    for j in (1, 2, 4):  # the three atoms one lattice step away
        assert d2[j] == pytest.approx(2 * (u @ u), rel=1e-12)
    assert d2[7] == pytest.approx(0.0, abs=1e-25)  # body diagonal: no bond to atom 0


def test_rejects_bad_normalization(glass):
    with pytest.raises(ValueError, match="normalization"):
        d2min(glass.positions, glass.positions, glass.cell, cutoff=CUTOFF,
              normalization="average")


def test_matches_ovito(glass):
    ovito = pytest.importorskip("ovito")  # noqa: F841
    from ovito.data import DataCollection, Particles, SimulationCell
    from ovito.modifiers import AtomicStrainModifier
    from ovito.pipeline import Pipeline, StaticSource

    rng = np.random.default_rng(0)
    cell = glass.cell.copy()
    cell[1, 0] += 0.02 * cell[1, 1]
    F = np.linalg.inv(glass.cell) @ cell
    cur = glass.origin + (glass.positions - glass.origin) @ F
    cur = wrap(cur + rng.normal(0, 0.05, cur.shape), cell, glass.origin)

    def collection(p, h):
        dc = DataCollection()
        m = np.zeros((3, 4))
        m[:, :3] = h.T
        m[:, 3] = glass.origin
        dc.objects.append(SimulationCell(matrix=m, pbc=(True, True, True)))
        parts = Particles()
        parts.create_property("Position", data=p)
        parts.create_property("Particle Identifier", data=glass.ids)
        dc.objects.append(parts)
        return dc

    pipe = Pipeline(source=StaticSource(data=collection(cur, cell)))
    mod = AtomicStrainModifier(cutoff=CUTOFF, output_nonaffine_squared_displacements=True)
    mod.reference = StaticSource(data=collection(glass.positions, glass.cell))
    pipe.modifiers.append(mod)
    ov = np.asarray(pipe.compute().particles["Nonaffine Squared Displacement"])
    ours = d2min(glass.positions, cur, glass.cell, cell, CUTOFF, ref_origin=glass.origin,
                 normalization="sum")
    assert np.median(ours) > 0.01  # a real signal, not zeros on both sides
    np.testing.assert_allclose(ours, ov, rtol=1e-9)
