"""Vibrational MSD: the array core on synthetic trajectories with known answers, and the
LAMMPS driver on an fcc Cu crystal (harmonic estimate from its force constants) and on the
tiny glass (exact Galilean drift removal)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from igd.vmsd import md as vmsd
from igd.vmsd import msd

POTENTIAL = {"file": "potentials/CuZr_mm.eam.fs",
             "sha256": "a512753c2b80a63a7e15d7422f471268888eda650fc12df81fb2275680737781",
             "elements": ["Cu", "Zr"], "pair_style": "eam/fs"}
ROOT = Path(__file__).resolve().parents[2]
KB = 8.617333262e-5  # eV/K


# ------------------------------------------------------------------ arrays


def _oscillators(n_pairs: int, n_frames: int, periods: int, mass_ratio: float = 1.0,
                 seed: int = 0):
    """Paired oscillators whose (mass-weighted) mean displacement is zero at every frame.

    Atom 2k moves as a_k u_k sin(ω t), atom 2k+1 as −a_k u_k sin(ω t) / mass_ratio, over an
    integer number of periods sampled uniformly, so the exact time average of the squared
    displacement is a²/2 (and a²/(2 ratio²)).
    """
    rng = np.random.default_rng(seed)
    amp = rng.uniform(0.05, 0.3, n_pairs)
    axis = rng.normal(size=(n_pairs, 3))
    axis /= np.linalg.norm(axis, axis=1, keepdims=True)
    phase = np.sin(2 * np.pi * periods * np.arange(n_frames) / n_frames + 0.3)
    first = amp[None, :, None] * axis[None] * phase[:, None, None]
    d = np.empty((n_frames, 2 * n_pairs, 3))
    d[:, 0::2], d[:, 1::2] = first, -first / mass_ratio
    expected = np.empty(2 * n_pairs)
    expected[0::2], expected[1::2] = amp**2 / 2, amp**2 / (2 * mass_ratio**2)
    return d, expected


def _drift(n_frames: int) -> np.ndarray:
    t = np.arange(n_frames)[:, None]
    return 0.01 * t * np.array([1.0, -2.0, 0.5]) + 0.2 * np.sin(0.37 * t)


def test_plain_drift_removal_recovers_known_msd():
    d, expected = _oscillators(10, 200, 7)
    drifting = d + _drift(200)[:, None, :]
    got = msd.time_averaged_msd(drifting)
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    raw = msd.time_averaged_msd(drifting, com="none")
    assert np.all(raw > expected + 1.0)  # the drift (~ 1 Å) would swamp the vibration
    np.testing.assert_allclose(msd.time_averaged_msd(d, com="none"), expected, rtol=1e-12)


def test_mass_weighted_drift_removal():
    d, expected = _oscillators(6, 120, 5, mass_ratio=91.224 / 63.546)
    masses = np.tile([63.546, 91.224], 6)
    drifting = d + _drift(120)[:, None, :]
    np.testing.assert_allclose(msd.time_averaged_msd(drifting, com="mass", masses=masses),
                               expected, rtol=1e-12)
    # the plain mean is not the centre of mass here: it removes part of the vibration
    plain = msd.time_averaged_msd(drifting, com="plain")
    assert np.max(np.abs(plain / expected - 1)) > 1e-3
    with pytest.raises(ValueError):
        msd.time_averaged_msd(d, com="mass")
    with pytest.raises(ValueError):
        msd.time_averaged_msd(d, com="median")


def test_accumulator_matches_batch_and_reports_drift():
    rng = np.random.default_rng(3)
    d = rng.normal(size=(40, 25, 3)) + _drift(40)[:, None, :]
    acc = msd.MSDAccumulator(25)
    for frame in d:
        acc.add(frame)
    np.testing.assert_allclose(acc.result(), msd.time_averaged_msd(d), rtol=1e-12)
    assert acc.n_frames == 40
    assert acc.max_drift == pytest.approx(np.linalg.norm(d.mean(axis=1), axis=1).max())
    with pytest.raises(ValueError):
        acc.add(d[0, :5])
    with pytest.raises(ValueError):
        msd.MSDAccumulator(3).result()


def test_remove_drift_single_frame():
    d = np.array([[1.0, 0, 0], [3.0, 0, 0]])
    np.testing.assert_allclose(msd.remove_drift(d), [[-1, 0, 0], [1, 0, 0]])
    np.testing.assert_allclose(msd.remove_drift(d, com="mass", masses=np.array([3.0, 1.0])),
                               [[-0.5, 0, 0], [1.5, 0, 0]])


def test_unwrap_and_displacements_in_a_deformed_box():
    cell = np.array([[10.0, 0, 0], [2.0, 11.0, 0], [1.0, -1.5, 12.0]])
    origin = np.array([-1.0, 0.5, 0.0])
    rng = np.random.default_rng(1)
    ref = origin + rng.uniform(0, 1, (30, 3)) @ cell
    image = rng.integers(-2, 3, (30, 3))
    np.testing.assert_allclose(msd.unwrap(ref, image, cell), ref + image @ cell)
    small = rng.normal(scale=0.1, size=(30, 3))
    # same box: plain difference
    np.testing.assert_allclose(
        msd.displacements(ref + small, origin, cell, ref, origin, cell), small, atol=1e-12)
    # box strained homogeneously about its centre (NPT): the affine part is removed
    strain = np.eye(3) + np.array([[0.02, 0.01, 0], [0, -0.01, 0.005], [0, 0, 0.03]])
    centre = origin + 0.5 * cell.sum(axis=0)
    new_cell = cell @ strain
    new_origin = centre - 0.5 * new_cell.sum(axis=0)
    moved = new_origin + (ref + small - origin) @ np.linalg.solve(cell, new_cell)
    got = msd.displacements(moved, new_origin, new_cell, ref, origin, cell)
    np.testing.assert_allclose(got, small, atol=1e-12)


# ------------------------------------------------------------------ LAMMPS


def _fcc_cu(tmp_path: Path, cells: int, a: float):
    """fcc Cu data file and its force-constant matrix (eV/Å², 3N × 3N) by central
    differences of atom 1 extended to all atoms by lattice translations."""
    from igd.common import lammps as lmpmod

    pot = dict(POTENTIAL, elements=["Cu"])
    lmp = lmpmod.start_lammps(None)
    try:
        lmp.commands_list(["boundary p p p", f"lattice fcc {a}",
                           f"region b block 0 {cells} 0 {cells} 0 {cells}",
                           "create_box 1 b", "create_atoms 1 box"])
        lmp.commands_list(lmpmod.potential_commands(pot, ROOT))
        lmp.command("run 0")
        data = tmp_path / "fcc.data"
        lmp.command(f"write_data {data}")
        x0 = lmpmod.gather(lmp, "x", 3)
        length = lmpmod.box(lmp)[1][0, 0]
        h = 1e-3
        row = np.zeros((3, len(x0), 3))  # row[α, j, β] = Φ(1α, jβ)
        for alpha in range(3):
            forces = []
            for sign in (1, -1):
                x = x0.copy()
                x[0, alpha] += sign * h
                lmp.scatter("x", 1, 3, np.ctypeslib.as_ctypes(x.ravel()))
                lmp.command("run 0")
                forces.append(lmpmod.gather(lmp, "f", 3))
            row[alpha] = -(forces[0] - forces[1]) / (2 * h)
    finally:
        lmp.close()
    n = len(x0)
    phi = np.zeros((3 * n, 3 * n))
    for i in range(n):
        target = x0 - x0[i] + x0[0]  # Φ(i, j) = Φ(1, atom at r_j − r_i + r_1)
        diff = target[:, None, :] - x0[None, :, :]
        diff -= length * np.round(diff / length)
        k = np.argmin((diff**2).sum(-1), axis=1)
        phi[3 * i:3 * i + 3] = row[:, k, :].reshape(3, 3 * n)
    return data, pot, 0.5 * (phi + phi.T)


@pytest.mark.lammps
def test_fcc_copper_matches_harmonic_estimate_and_scales_with_t(tmp_path):
    data, pot, phi = _fcc_cu(tmp_path, cells=3, a=3.615)
    eig = np.linalg.eigvalsh(phi)
    assert np.all(np.abs(eig[:3]) < 1e-6) and eig[3] > 0.1  # 3 translations, then stable
    n_atoms = phi.shape[0] // 3
    # classical harmonic solid, translations removed: <|u_i|²> = k_B T Tr(Φ⁺) / N
    per_kelvin = KB * np.sum(1.0 / eig[3:]) / n_atoms
    means = {}
    for t in (10.0, 20.0):
        df = vmsd.run_vmsd(data, potential=pot, root=ROOT, temperature=t, duration_ps=10.0,
                           timestep_ps=0.002, sample_every_ps=0.02, seed=4242,
                           ensemble="nvt", thermostat="langevin", tdamp_ps=0.1)
        assert list(df.columns) == ["id", "vmsd"]
        assert np.array_equal(df["id"], np.arange(1, n_atoms + 1))
        assert df.attrs["vmsd"]["n_frames"] == 500
        means[t] = df["vmsd"].mean()
        assert means[t] == pytest.approx(t * per_kelvin, rel=0.05)
    assert means[20.0] / means[10.0] == pytest.approx(2.0, rel=0.02)


@pytest.mark.lammps
def test_drift_removal_is_exact_under_a_galilean_boost(tiny_glass):
    from igd.common import lammps as lmpmod

    def trace(boost: bool, com: str):
        lmp = lmpmod.start_lammps(None)
        try:
            lmp.command(f"read_data {tiny_glass}")
            lmp.commands_list(lmpmod.potential_commands(POTENTIAL, ROOT))
            ref = vmsd.reference(lmp)
            masses = vmsd.atom_masses(lmp)
            vmsd.setup_dynamics(lmp, temperature=300.0, ensemble="nve", seed=11,
                                timestep_ps=0.002)
            if boost:  # the whole glass flies off at ~ 3.7 Å/ps
                lmp.command("velocity all set 3.0 -1.5 1.5 sum yes")
            return vmsd.trace_vmsd(lmp, ref, n_samples=25, steps_per_sample=10, com=com,
                                   masses=masses)
        finally:
            lmp.close()

    still, diag_still = trace(False, "mass")
    assert diag_still["max_com_drift"] < 1e-8  # momentum is conserved in NVE
    assert diag_still["mean_temperature"] == pytest.approx(300.0, rel=0.3)
    moved, diag = trace(True, "mass")
    assert diag["max_com_drift"] > 0.5
    np.testing.assert_allclose(moved, still, rtol=1e-8)
    # the plain mean differs from the centre of mass by O(1/N) (Cu and Zr masses differ)
    plain_still, _ = trace(False, "plain")
    np.testing.assert_allclose(plain_still, still, rtol=0.05)
    plain_moved, _ = trace(True, "plain")
    np.testing.assert_allclose(plain_moved, plain_still, rtol=1e-8)
    raw, _ = trace(True, "none")
    assert raw.mean() > 10 * still.mean()


@pytest.mark.lammps
def test_run_vmsd_on_the_glass_nvt_and_npt(tiny_glass):
    common = dict(potential=POTENTIAL, root=ROOT, temperature=200.0, timestep_ps=0.002,
                  sample_every_ps=0.02, seed=7, tdamp_ps=0.1)
    with pytest.raises(ValueError, match="whole number"):
        vmsd.run_vmsd(tiny_glass, duration_ps=0.05, **common)
    # default: NPT
    nvt = vmsd.run_vmsd(tiny_glass, duration_ps=0.4, ensemble="nvt", **common)
    npt = vmsd.run_vmsd(tiny_glass, duration_ps=0.4, pdamp_ps=1.0,
                        equilibration_ps=0.1, **common)
    for df in (nvt, npt):
        assert np.array_equal(df["id"], np.arange(1, 501))
        assert np.all(np.isfinite(df["vmsd"])) and np.all(df["vmsd"] > 0)
        # a few hundredths of Å² at 200 K; nothing like a diffusive or affine blow-up
        assert 0.003 < df["vmsd"].mean() < 0.1
        assert df["vmsd"].max() < 1.0
    assert set(vmsd.UNITS) == {"id", "vmsd"}


def _affine_slope(disp: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Least-squares A (3×3) of disp ≈ (x − mean)·A + b: the part of a field linear in x."""
    x = x - x.mean(axis=0)
    return np.linalg.lstsq(x, disp - disp.mean(axis=0), rcond=None)[0]


@pytest.mark.lammps
def test_npt_breathing_box_with_image_flags_adds_no_affine_term(tiny_glass):
    """NPT from the IS at 600 K with a fast barostat: the box swells by ~1 %. The atoms
    carry random image flags up to ±20 (a melt leaves ±1-2; larger flags make the slope
    stand out of the thermal noise), so a plain difference of unwrapped positions grows
    with the image offset n·H (slope = the box strain). The displacements of the vMSD path
    (:func:`frame_displacements`, reduced coordinates of the IS cell) have no such slope:
    they equal the minimum-image reduced displacement, which knows no image flags."""
    from igd.common import lammps as lmpmod
    from igd.labels.d2min import reduced_displacements

    lmp = lmpmod.start_lammps(None)
    try:
        lmp.command(f"read_data {tiny_glass}")
        lmp.commands_list(lmpmod.potential_commands(POTENTIAL, ROOT))
        flags = np.random.default_rng(3).integers(-20, 21, (500, 3))
        lmp.commands_list([f"set atom {i + 1} image {a} {b} {c}"
                           for i, (a, b, c) in enumerate(flags)])
        ref = vmsd.reference(lmp)
        image = np.floor((ref.positions - ref.origin) @ np.linalg.inv(ref.cell))
        np.testing.assert_array_equal(image, flags)
        offset = image @ ref.cell                                 # Å, n·H of the reference
        wrapped = lmpmod.gather(lmp, "x", 3)
        vmsd.setup_dynamics(lmp, temperature=600.0, ensemble="npt", barostat="aniso",
                            pdamp_ps=0.2, tdamp_ps=0.1, seed=5, timestep_ps=0.002)
        strains, mapped, plain = [], [], []
        for _ in range(3):
            lmp.command("run 100")
            d = vmsd.frame_displacements(lmp, ref)
            pos, origin, cell = vmsd._snapshot(lmp)
            ds = reduced_displacements(wrapped, lmpmod.gather(lmp, "x", 3), ref.cell, cell,
                                       ref_origin=ref.origin, origin=origin)
            np.testing.assert_allclose(d, ds @ ref.cell, atol=1e-9)
            strains.append(np.diag(np.linalg.solve(ref.cell, cell)) - 1)
            mapped.append(np.diag(_affine_slope(d, offset)))
            plain.append(np.diag(_affine_slope(pos - ref.positions, offset)))
    finally:
        lmp.close()
    strains, mapped, plain = map(np.array, (strains, mapped, plain))
    assert np.abs(strains).max() > 5e-3                          # the box did breathe
    np.testing.assert_allclose(plain, strains, atol=2e-4)        # plain difference: affine
    assert np.abs(mapped).max() < 0.02 * np.abs(strains).max()   # vMSD path: none
