"""Per-atom VDOS, boson-peak intensity and participation fractions (igd.vdos)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from igd import vdos
from igd.data import read_lammps_data

POTENTIAL = {"file": "potentials/CuZr_mm.eam.fs",
             "sha256": "a512753c2b80a63a7e15d7422f471268888eda650fc12df81fb2275680737781",
             "elements": ["Cu", "Zr"], "pair_style": "eam/fs"}
ROOT = Path(__file__).resolve().parents[1]


def write_fcc_cu(path: Path, a: float = 3.615, n: int = 3) -> Path:
    """n×n×n cubic fcc Cu cells (4 n³ atoms) as a LAMMPS data file with one atom type."""
    basis = np.array([[0, 0, 0], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5]])
    cells = np.stack(np.meshgrid(*[np.arange(n)] * 3, indexing="ij"), -1).reshape(-1, 3)
    pos = a * (cells[:, None, :] + basis[None]).reshape(-1, 3)
    lines = ["fcc Cu", "", f"{len(pos)} atoms", "1 atom types", "",
             *(f"0 {n * a} {d}lo {d}hi" for d in "xyz"), "", "Masses", "", "1 63.546", "",
             "Atoms # atomic", ""]
    lines += [f"{k + 1} 1 {x:.10f} {y:.10f} {z:.10f}" for k, (x, y, z) in enumerate(pos)]
    path.write_text("\n".join(lines) + "\n")
    return path


# ----------------------------------------------------------------------------- pure

def test_frequency_conversion():
    # 1 eV/(Å²·amu) = 9.6485e27 s⁻² → ν = √(9.6485e27)/(2π) = 15.633 THz
    assert vdos.eigenvalue_to_thz(1.0) == pytest.approx(15.6333, rel=1e-4)
    assert vdos.eigenvalue_to_thz(np.array([-4.0]))[0] == pytest.approx(-2 * 15.6333, rel=1e-4)


def test_read_binary_roundtrip_and_bad_size(tmp_path):
    m = np.arange(36.0).reshape(6, 6)
    m.tofile(tmp_path / "d.bin")
    np.testing.assert_array_equal(vdos.read_dynmat_binary(tmp_path / "d.bin", 2), m)
    np.arange(35.0).tofile(tmp_path / "bad.bin")
    with pytest.raises(ValueError):
        vdos.read_dynmat_binary(tmp_path / "bad.bin")
    with pytest.raises(ValueError):
        vdos.read_dynmat_binary(tmp_path / "d.bin", 3)


def block_matrix(lams):
    """Isotropic 3×3 diagonal blocks λ_i·1 for each atom, rotated by a random orthogonal
    3N×3N matrix that does not mix atoms (a rotation per atom)."""
    rng = np.random.default_rng(1)
    n = len(lams)
    d = np.zeros((3 * n, 3 * n))
    for i, lam in enumerate(lams):
        q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
        d[3 * i:3 * i + 3, 3 * i:3 * i + 3] = q @ np.diag([lam] * 3) @ q.T
    return d


def test_modes_of_localised_blocks():
    lams = [0.0, 0.01, 0.04, 0.09, 0.16]  # atom 0: the 3 zero modes
    modes = vdos.normal_modes(block_matrix(lams))
    assert modes.nu.size == 12 and modes.n_negative == 0
    np.testing.assert_allclose(modes.nu_zero, 0, atol=1e-6)
    np.testing.assert_allclose(modes.nu, np.repeat(vdos.eigenvalue_to_thz(np.array(lams[1:])), 3))
    np.testing.assert_allclose(modes.weights.sum(0), 1)          # each mode normalised
    # lowest 3 of 12 non-zero modes (fraction 0.25) live on atom 1 only
    np.testing.assert_allclose(vdos.participation_fraction(modes, 0.25), [0, 1, 0, 0, 0],
                               atol=1e-12)
    p = vdos.participation_fraction(modes, 0.5)                   # 6 modes: atoms 1 and 2
    np.testing.assert_allclose(p, [0, 0.5, 0.5, 0, 0], atol=1e-12)


def test_negative_modes_counted():
    modes = vdos.normal_modes(block_matrix([0.0, -0.02, 0.05]))
    assert modes.n_negative == 3 and np.all(modes.nu[:3] < 0)


def test_vdos_normalisation_and_boson_peak():
    lams = [0.0, 0.01, 0.04, 0.09, 0.16]
    modes = vdos.normal_modes(block_matrix(lams))
    grid = np.linspace(0, 10, 2001)
    sigma = 0.1
    g_atoms = vdos.per_atom_vdos(modes, grid, sigma)
    g = vdos.total_vdos(modes, grid, sigma)
    np.testing.assert_allclose(g_atoms.sum(0), g, atol=1e-12)    # per-atom sums to total
    assert np.trapezoid(g, grid) == pytest.approx(1.0, abs=1e-6)
    # atom k>0 holds 3 of 12 modes at ν_k: N g_k(ν_k) = 5 · 3/12 · 1/(σ√2π)
    nu_k = vdos.eigenvalue_to_thz(0.01)
    i_bp = vdos.boson_peak_intensity(g_atoms, grid, band=(0.5, 9.5))
    peak = 5 * 0.25 / (sigma * np.sqrt(2 * np.pi))
    # max of g/ν² sits slightly below ν_k: bounded by the peak at ν_k and the peak / (ν_k−σ)²
    assert peak / nu_k ** 2 <= i_bp[1] <= peak / (nu_k - sigma) ** 2
    assert i_bp[0] == pytest.approx(0, abs=1e-12)                # zero modes excluded
    assert i_bp[1] > i_bp[2] > i_bp[3] > i_bp[4]                 # softer atom, higher I_BP
    with pytest.raises(ValueError):
        vdos.boson_peak_intensity(g_atoms, grid, band=(0.0, 2.0))


def test_fraction_names_and_counts():
    assert vdos.fraction_column(0.01) == "p_1pct"
    assert vdos.fraction_column(0.0025) == "p_025pct"
    assert vdos.n_lowest(0.01, 1497) == 15 and vdos.n_lowest(0.0025, 1497) == 4
    assert vdos.n_lowest(0.01, 1500) == 15 and vdos.n_lowest(0.0025, 10) == 1
    np.testing.assert_allclose(vdos.as_grid({"start": 0, "stop": 1, "step": 0.25}),
                               [0, 0.25, 0.5, 0.75, 1])


# ----------------------------------------------------------------------------- LAMMPS

@pytest.mark.lammps
def test_fcc_cu_vdos(tmp_path):
    data = write_fcc_cu(tmp_path / "cu.data")
    pot = {**POTENTIAL, "elements": ["Cu"]}           # one type: pair_coeff * * file Cu
    grid = np.arange(0, 10.001, 0.02)
    v, a, units, diag = vdos.hessian_vdos(data, potential=pot, delta=1e-5, sigma=0.1,
                                          nu_grid=grid, band=(0.5, 6.0),
                                          fractions=(0.01, 0.0025), root=ROOT,
                                          log_file=tmp_path / "lmp.log")
    assert diag["n_negative"] == 0 and diag["n_modes"] == 3 * 108 - 3
    assert np.all(np.abs(diag["nu_zero_THz"]) < 1e-3)
    assert diag["nu_min_THz"] > 1.0
    # Cu: neutron data give ν_max ≈ 7.3 THz (LA at X); this EAM at a = 3.615 Å gives 7.71
    assert 7.0 < diag["nu_max_THz"] < 8.0
    assert np.trapezoid(v["g"], v["nu"]) == pytest.approx(1.0, abs=1e-6)
    np.testing.assert_allclose(v["g_Cu"], v["g"])
    # every atom of a perfect crystal is equivalent: identical I_BP
    np.testing.assert_allclose(a["I_BP"], a["I_BP"].mean(), rtol=1e-6)
    for col in ("p_1pct", "p_025pct"):
        assert a[col].sum() == pytest.approx(1.0, abs=1e-10)
    assert set(units) >= set(v.columns) | set(a.columns)


@pytest.mark.lammps
def test_glass_dynamical_matrix(tiny_glass):
    d = vdos.lammps_dynamical_matrix(tiny_glass, potential=POTENTIAL, delta=1e-5, root=ROOT)
    frame = read_lammps_data(tiny_glass)
    np.testing.assert_array_equal(d, d.T)
    # acoustic sum rule Σ_j Φ_ij = 0  ⇔  D · √m = 0 with masses ordered by atom id
    sqrt_m = np.repeat(np.sqrt([frame.masses[t] for t in frame.types]), 3)
    assert np.abs(d @ sqrt_m).max() < 1e-6 * np.abs(d).max() * 100
    assert np.abs(d @ np.random.default_rng(0).permutation(sqrt_m)).max() > 1e-2
    modes = vdos.normal_modes(d)
    assert modes.n_negative == 0 and np.all(np.abs(modes.nu_zero) < 1e-3)
    assert 6.5 < modes.nu.max() < 9.0
    grid = np.arange(0, 10.001, 0.02)
    g = vdos.total_vdos(modes, grid, 0.1)
    assert 2.5 < grid[np.argmax(g)] < 5.5                     # broad VDOS maximum
    p = vdos.participation_fraction(modes, 0.01)
    assert p.sum() == pytest.approx(1.0) and p.max() > 5 / frame.n_atoms  # soft modes localise
    # sparse route: the analytic EAM/FS Hessian equals LAMMPS' finite differences
    # (typical entry to 1e-13; a few entries whose pair distance sits within delta of a
    # spline knot carry the finite-difference error, ≲ 1e-4 of the largest entry)
    d_sparse, frame2 = vdos.sparse_dynamical_matrix(tiny_glass, potential=POTENTIAL,
                                                    root=ROOT)
    diff = np.abs(d_sparse.toarray() - d)
    assert np.median(diff) < 1e-10 and diff.max() < 1e-3 * np.abs(d).max()
    np.testing.assert_array_equal(frame2.ids, frame.ids)


@pytest.mark.lammps
def test_eam_energy_matches_lammps(tiny_glass):
    from igd.lmp import potential_commands, start_lammps

    lmp = start_lammps(None)
    lmp.command(f"read_data {tiny_glass}")
    for cmd in potential_commands(POTENTIAL, ROOT):
        lmp.command(cmd)
    lmp.command("run 0")
    pe = lmp.get_thermo("pe")
    lmp.close()
    frame = read_lammps_data(tiny_glass)
    eam = vdos.EamFS.read(ROOT / POTENTIAL["file"])
    _h, energy = vdos.eam_hessian(frame.positions, frame.cell, frame.types, eam, ["Cu", "Zr"],
                                  origin=frame.origin)
    assert energy == pytest.approx(pe, abs=1e-8)


def test_sparse_route_equals_dense_on_fcc(tmp_path):
    # no LAMMPS: the analytic Hessian of fcc Cu, dense eigh vs shift-invert Lanczos
    data = write_fcc_cu(tmp_path / "cu.data", n=3)
    pot = {**POTENTIAL, "elements": ["Cu"]}
    d, frame = vdos.sparse_dynamical_matrix(data, potential=pot, root=ROOT)
    dense = vdos.normal_modes(d.toarray())
    assert dense.n_negative == 0 and 7.0 < dense.nu.max() < 8.0
    grid = np.arange(0, 8.001, 0.02)
    band = (0.5, 2.4)
    shell = 12 / 321          # the complete lowest shell: 12 degenerate modes at 2.19 THz
    v, a, units, diag = vdos.hessian_vdos_sparse(data, potential=pot, sigma=0.1,
                                                 nu_grid=grid, band=band, fractions=(shell,),
                                                 root=ROOT)
    assert diag["n_modes"] == 321 and diag["n_modes_computed"] < 100
    assert v["nu"].max() <= band[1]
    ref = vdos.boson_peak_intensity(vdos.per_atom_vdos(dense, grid, 0.1), grid, band)
    np.testing.assert_allclose(a["I_BP"], ref, rtol=1e-8)
    # a complete degenerate shell of a monatomic crystal is shared equally: p_i = 1/N
    np.testing.assert_allclose(a[vdos.fraction_column(shell)], 1 / 108, rtol=1e-8)
