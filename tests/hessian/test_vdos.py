"""Per-atom VDOS, boson-peak intensity and participation fractions (igd.hessian: modes, dynmat,
eam_hessian, kpm, stage)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from igd.hessian import dynmat, eam_hessian, kpm, stage
from igd.hessian import modes as hm
from igd.common.datafile import read_lammps_data
from igd.common.eam import EamFS

POTENTIAL = {"file": "potentials/CuZr_mm.eam.fs",
             "sha256": "a512753c2b80a63a7e15d7422f471268888eda650fc12df81fb2275680737781",
             "elements": ["Cu", "Zr"], "pair_style": "eam/fs"}
ROOT = Path(__file__).resolve().parents[2]


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
    assert hm.eigenvalue_to_thz(1.0) == pytest.approx(15.6333, rel=1e-4)
    assert hm.eigenvalue_to_thz(np.array([-4.0]))[0] == pytest.approx(-2 * 15.6333, rel=1e-4)


def test_read_binary_roundtrip_and_bad_size(tmp_path):
    m = np.arange(36.0).reshape(6, 6)
    m.tofile(tmp_path / "d.bin")
    np.testing.assert_array_equal(dynmat.read_dynmat_binary(tmp_path / "d.bin", 2), m)
    np.arange(35.0).tofile(tmp_path / "bad.bin")
    with pytest.raises(ValueError):
        dynmat.read_dynmat_binary(tmp_path / "bad.bin")
    with pytest.raises(ValueError):
        dynmat.read_dynmat_binary(tmp_path / "d.bin", 3)


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
    modes = hm.normal_modes(block_matrix(lams))
    assert modes.nu.size == 12 and modes.n_negative == 0
    np.testing.assert_allclose(modes.nu_zero, 0, atol=1e-6)
    np.testing.assert_allclose(modes.nu, np.repeat(hm.eigenvalue_to_thz(np.array(lams[1:])), 3))
    np.testing.assert_allclose(modes.weights.sum(0), 1)          # each mode normalised
    # lowest 3 of 12 non-zero modes (fraction 0.25) live on atom 1 only
    np.testing.assert_allclose(hm.participation_fraction(modes, 0.25), [0, 1, 0, 0, 0],
                               atol=1e-12)
    p = hm.participation_fraction(modes, 0.5)                   # 6 modes: atoms 1 and 2
    np.testing.assert_allclose(p, [0, 0.5, 0.5, 0, 0], atol=1e-12)


def test_negative_modes_counted():
    modes = hm.normal_modes(block_matrix([0.0, -0.02, 0.05]))
    assert modes.n_negative == 3 and np.all(modes.nu[:3] < 0)


def test_vdos_normalisation_and_boson_peak():
    lams = [0.0, 0.01, 0.04, 0.09, 0.16]
    modes = hm.normal_modes(block_matrix(lams))
    grid = np.linspace(0, 10, 2001)
    sigma = 0.1
    g_atoms = hm.per_atom_vdos(modes, grid, sigma)
    g = hm.total_vdos(modes, grid, sigma)
    np.testing.assert_allclose(g_atoms.sum(0), g, atol=1e-12)    # per-atom sums to total
    assert np.trapezoid(g, grid) == pytest.approx(1.0, abs=1e-6)
    # atom k>0 holds 3 of 12 modes at ν_k: N g_k(ν_k) = 5 · 3/12 · 1/(σ√2π)
    nu_k = hm.eigenvalue_to_thz(0.01)
    i_bp = hm.boson_peak_intensity(g_atoms, grid, band=(0.5, 9.5))
    peak = 5 * 0.25 / (sigma * np.sqrt(2 * np.pi))
    # max of g/ν² sits slightly below ν_k: bounded by the peak at ν_k and the peak / (ν_k−σ)²
    assert peak / nu_k ** 2 <= i_bp[1] <= peak / (nu_k - sigma) ** 2
    assert i_bp[0] == pytest.approx(0, abs=1e-12)                # zero modes excluded
    assert i_bp[1] > i_bp[2] > i_bp[3] > i_bp[4]                 # softer atom, higher I_BP
    with pytest.raises(ValueError):
        hm.boson_peak_intensity(g_atoms, grid, band=(0.0, 2.0))


def _lam(nu_thz):
    """Eigenvalue (eV/(Å²·amu)) of a frequency ν (THz)."""
    return (2 * np.pi * 1e12 * np.asarray(nu_thz, float)) ** 2 / hm.EV_A2_AMU_TO_S2


def test_auto_band_finds_a_reduced_vdos_peak_below_half_a_terahertz():
    # atom 0: the translations (with finite-difference noise of ±0.01 THz), atom 1 a
    # quasi-localised mode at 0.4 THz, atoms 2-4 stiffer ones at 1, 2, 3 THz
    lams = [_lam(0.01), _lam(0.4), _lam(1.0), _lam(2.0), _lam(3.0)]
    modes = hm.normal_modes(block_matrix(lams))
    sigma, nu1 = 0.1, 0.4
    grid = np.arange(0.005, 8.0, 0.0005)
    g_atoms = hm.per_atom_vdos(modes, grid, sigma)
    band = hm.resolve_band((0.5, 6.0), "auto", modes.nu, sigma)
    assert band == pytest.approx((nu1 / 2, 6.0))                 # not from the zero modes
    auto = hm.boson_peak_intensity(g_atoms, grid, band)
    fixed = hm.boson_peak_intensity(g_atoms, grid, hm.resolve_band((0.5, 6.0), "fixed"))
    # analytic: N·(3/M)·δ_σ(ν − ν₁)/ν² peaks at ν₊ = (ν₁ + √(ν₁² − 8σ²))/2 = 0.341 THz
    nu_p = (nu1 + np.sqrt(nu1 ** 2 - 8 * sigma ** 2)) / 2
    peak = 5 * 0.25 * np.exp(-(nu_p - nu1) ** 2 / (2 * sigma ** 2)) / (
        sigma * np.sqrt(2 * np.pi)) / nu_p ** 2
    assert auto[1] == pytest.approx(peak, rel=1e-5)
    assert fixed[1] < 0.4 * auto[1]                              # the 0.5 THz edge clips it
    np.testing.assert_allclose(auto[2:], fixed[2:], rtol=1e-9)   # stiffer atoms unchanged
    assert auto[0] == pytest.approx(0, abs=1e-12)                # zero modes never selected
    assert auto[1] == auto.max()


def test_band_resolution_fallbacks_and_errors(caplog):
    assert hm.resolve_band((0.5, 6.0), "auto", None) == (0.5, 6.0)          # no modes
    assert hm.resolve_band((0.5, 6.0), "auto", np.array([-0.2, 0.8])) == (0.4, 6.0)
    with caplog.at_level("WARNING"):
        hm.resolve_band((0.5, 6.0), "auto", np.array([0.2, 1.0]), sigma=0.1)
    assert "no peak" in caplog.text                      # 0.2 THz < 2√2·0.1 THz
    with pytest.raises(ValueError, match="band_start"):
        hm.resolve_band((0.5, 6.0), "none", np.array([1.0]))
    with pytest.raises(ValueError, match="not below"):
        hm.resolve_band((0.5, 1.0), "auto", np.array([3.0]))


def test_fraction_names_and_counts():
    assert hm.fraction_column(0.01) == "p_1pct"
    assert hm.fraction_column(0.0025) == "p_025pct"
    assert hm.n_lowest(0.01, 1497) == 15 and hm.n_lowest(0.0025, 1497) == 4
    assert hm.n_lowest(0.01, 1500) == 15 and hm.n_lowest(0.0025, 10) == 1
    np.testing.assert_allclose(hm.as_grid({"start": 0, "stop": 1, "step": 0.25}),
                               [0, 0.25, 0.5, 0.75, 1])


# ----------------------------------------------------------------------------- LAMMPS

@pytest.mark.lammps
def test_fcc_cu_vdos(tmp_path):
    data = write_fcc_cu(tmp_path / "cu.data")
    pot = {**POTENTIAL, "elements": ["Cu"]}           # one type: pair_coeff * * file Cu
    grid = np.arange(0, 10.001, 0.02)
    v, a, units, diag = stage.hessian_vdos(data, potential=pot, delta=1e-5, sigma=0.1,
                                           nu_grid=grid, band=(0.5, 6.0), band_start="auto",
                                           fractions=(0.01, 0.0025), root=ROOT,
                                           log_file=tmp_path / "lmp.log")
    assert diag["n_negative"] == 0 and diag["n_modes"] == 3 * 108 - 3
    assert np.all(np.abs(diag["nu_zero_THz"]) < 1e-3)
    assert diag["nu_min_THz"] > 1.0
    assert diag["band_THz"] == pytest.approx([diag["nu_min_THz"] / 2, 6.0])
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
    d = dynmat.lammps_dynamical_matrix(tiny_glass, potential=POTENTIAL, delta=1e-5, root=ROOT)
    frame = read_lammps_data(tiny_glass)
    np.testing.assert_array_equal(d, d.T)
    # acoustic sum rule Σ_j Φ_ij = 0  ⇔  D · √m = 0 with masses ordered by atom id
    sqrt_m = np.repeat(np.sqrt([frame.masses[t] for t in frame.types]), 3)
    assert np.abs(d @ sqrt_m).max() < 1e-6 * np.abs(d).max() * 100
    assert np.abs(d @ np.random.default_rng(0).permutation(sqrt_m)).max() > 1e-2
    modes = hm.normal_modes(d)
    assert modes.n_negative == 0 and np.all(np.abs(modes.nu_zero) < 1e-3)
    assert 6.5 < modes.nu.max() < 9.0
    grid = np.arange(0, 10.001, 0.02)
    g = hm.total_vdos(modes, grid, 0.1)
    assert 2.5 < grid[np.argmax(g)] < 5.5                     # broad VDOS maximum
    p = hm.participation_fraction(modes, 0.01)
    assert p.sum() == pytest.approx(1.0) and p.max() > 5 / frame.n_atoms  # soft modes localise
    # sparse route: the analytic EAM/FS Hessian equals LAMMPS' finite differences
    # (typical entry to 1e-13; a few entries whose pair distance sits within delta of a
    # spline knot carry the finite-difference error, ≲ 1e-4 of the largest entry)
    d_sparse, frame2 = eam_hessian.sparse_dynamical_matrix(tiny_glass, potential=POTENTIAL,
                                                           root=ROOT)
    diff = np.abs(d_sparse.toarray() - d)
    assert np.median(diff) < 1e-10 and diff.max() < 1e-3 * np.abs(d).max()
    np.testing.assert_array_equal(frame2.ids, frame.ids)


@pytest.mark.lammps
def test_eam_energy_matches_lammps(tiny_glass):
    from igd.common.lammps import potential_commands, start_lammps

    lmp = start_lammps(None)
    lmp.command(f"read_data {tiny_glass}")
    for cmd in potential_commands(POTENTIAL, ROOT):
        lmp.command(cmd)
    lmp.command("run 0")
    pe = lmp.get_thermo("pe")
    lmp.close()
    frame = read_lammps_data(tiny_glass)
    eam = EamFS.read(ROOT / POTENTIAL["file"])
    _h, energy = eam_hessian.eam_hessian(frame.positions, frame.cell, frame.types, eam,
                                         ["Cu", "Zr"], origin=frame.origin)
    assert energy == pytest.approx(pe, abs=1e-8)


# ------------------------------------------------------------------ sparse route: KPM

def periodic_chain(n: int, k: float = 0.05) -> np.ndarray:
    """Isotropic periodic chain, D = K ⊗ 1₃ with K the ring Laplacian × k (eV/(Å²·amu)):
    eigenvalues λ_q = 4k sin²(πq/n), each 3-fold; every atom equivalent."""
    lap = 2 * np.eye(n) - np.roll(np.eye(n), 1, 1) - np.roll(np.eye(n), -1, 1)
    return np.kron(k * lap, np.eye(3))


def test_chebyshev_coefficients_reproduce_gaussian():
    bounds = (-2e-5, 0.2)
    grid = np.array([0.5, 2.0, 5.0])
    m = kpm.kpm_n_moments(0.1, hm.eigenvalue_to_thz(bounds[1]), tol=1e-6)
    c = kpm.gaussian_chebyshev_coefficients(grid, 0.1, bounds, m)
    lam = np.linspace(0, 0.2, 57)
    x = (2 * lam - bounds[0] - bounds[1]) / (bounds[1] - bounds[0])
    series = np.polynomial.chebyshev.chebvander(x, m - 1) @ c
    exact = hm.gaussian_kernel(grid, hm.eigenvalue_to_thz(lam), 0.1).T
    np.testing.assert_allclose(series, exact, atol=1e-4 * exact.max())


def test_kpm_chain_matches_exact_eigenvalues():
    import scipy.sparse as sp

    n, k, sigma = 40, 0.05, 0.1
    d = sp.csr_matrix(periodic_chain(n, k))
    grid = np.arange(0.5, 8.0, 0.05)     # ν ≥ 5σ: clear of the cusp of ν(λ) at λ = 0
    q = np.arange(1, n)                              # q = 0: the 3 translations
    nu_q = np.repeat(hm.eigenvalue_to_thz(4 * k * np.sin(np.pi * q / n) ** 2), 3)
    exact = hm.gaussian_kernel(grid, nu_q, sigma).sum(1) / (3 * n - 3) / n
    g = kpm.kpm_local_vdos(d, grid, sigma, colour=np.arange(n), n_total=3 * n - 3,
                           tol=1e-6, deflate=kpm.translation_modes(np.ones(n)))
    np.testing.assert_allclose(g, np.broadcast_to(exact, g.shape), atol=1e-4 * exact.max())
    assert np.trapezoid(g.sum(0), grid) == pytest.approx(0.984, abs=2e-3)  # mode tails < 0.5


def test_kpm_one_colour_exact_without_coupling():
    # non-interacting atoms: cross terms vanish, one probe per direction gives every g_i
    import scipy.sparse as sp

    lams = [0.01, 0.04, 0.09, 0.16, 0.02]
    dense = block_matrix(lams)
    grid = np.arange(0.5, 8.0, 0.05)
    ref = hm.per_atom_vdos(hm.normal_modes(dense, n_zero=0), grid, 0.1)
    g = kpm.kpm_local_vdos(sp.csr_matrix(dense), grid, 0.1, colour=np.zeros(5, int),
                           n_total=15, tol=1e-6)
    np.testing.assert_allclose(g, ref, atol=1e-4 * ref.max())


def test_probe_colours_separate_atoms():
    rng = np.random.default_rng(3)
    cell = np.diag([12.0, 13.0, 14.0])
    pos = rng.uniform(0, 1, (300, 3)) @ cell
    colour = kpm.probe_colours(pos, cell, 4.0)
    for c in np.unique(colour):
        p = pos[colour == c]
        dv = p[:, None] - p[None]
        dv -= np.rint(dv / np.diag(cell)) * np.diag(cell)          # orthorhombic min. image
        dist = np.linalg.norm(dv, axis=-1) + 1e9 * np.eye(len(p))
        assert dist.min() >= 4.0
    assert 10 < colour.max() + 1 < 60                            # ~ density × sphere volume


def test_sparse_route_equals_dense_on_fcc(tmp_path):
    # no LAMMPS: analytic Hessian of fcc Cu; probes 20 Å apart in a 10.8 Å box = one atom
    # per colour, so the KPM diagonal is exact and the sparse route equals the dense one
    data = write_fcc_cu(tmp_path / "cu.data", n=3)
    pot = {**POTENTIAL, "elements": ["Cu"]}
    d, frame = eam_hessian.sparse_dynamical_matrix(data, potential=pot, root=ROOT)
    dense = hm.normal_modes(d.toarray())
    assert dense.n_negative == 0 and 7.0 < dense.nu.max() < 8.0
    grid = np.arange(0.5, 8.001, 0.02)
    band = (0.5, 6.0)
    shell = 12 / 321          # the complete lowest shell: 12 degenerate modes at 2.19 THz
    v, a, units, diag = stage.hessian_vdos_sparse(data, potential=pot, sigma=0.1,
                                                  nu_grid=grid, band=band, fractions=(shell,),
                                                  probe_distance=20.0, tol=1e-6, modes_tol=1e-11,
                                                  root=ROOT, curve_atoms=2)
    assert diag["n_modes"] == 321 and diag["n_modes_exact"] == 12 and diag["n_colours"] == 108
    g_ref = hm.per_atom_vdos(dense, grid, 0.1)
    np.testing.assert_allclose(v["g"], g_ref.sum(0), atol=1e-4 * g_ref.sum(0).max())
    ref = hm.boson_peak_intensity(g_ref, grid, band)
    np.testing.assert_allclose(a["I_BP"], ref, rtol=1e-3)
    # a complete degenerate shell of a monatomic crystal is shared equally: p_i = 1/N
    np.testing.assert_allclose(a[hm.fraction_column(shell)], 1 / 108, rtol=1e-8)
    assert set(diag["curves"].columns) == {"id", "type", "I_BP", "nu", "g", "g_over_nu2"}


@pytest.mark.lammps
def test_sparse_route_ranks_glass_atoms_like_dense(tiny_glass):
    # 500-atom glass: KPM (colour probes 9 Å apart, 2 sign sets) deflated by the exact
    # lowest 1 % of modes; the per-atom I_BP ranking must follow the dense route's
    from scipy.stats import spearmanr

    d, _frame = eam_hessian.sparse_dynamical_matrix(tiny_glass, potential=POTENTIAL, root=ROOT)
    dense = hm.normal_modes(d.toarray())
    grid = np.arange(0.05, 12.0001, 0.05)
    band = (0.5, 6.0)
    ref = hm.boson_peak_intensity(hm.per_atom_vdos(dense, grid, 0.1), grid, band)
    v, a, _units, diag = stage.hessian_vdos_sparse(
        tiny_glass, potential=POTENTIAL, sigma=0.1, nu_grid=grid, band=band,
        fractions=(0.01, 0.0025), probe_distance=9.0, realisations=2, tol=1e-3,
        modes_tol=1e-9, root=ROOT)
    assert diag["n_modes_exact"] == 15 and diag["n_negative_exact"] == 0
    assert spearmanr(a["I_BP"], ref)[0] >= 0.95
    np.testing.assert_allclose(a["p_1pct"], hm.participation_fraction(dense, 0.01),
                               atol=1e-8)
    g_ref = hm.total_vdos(dense, grid, 0.1)
    assert np.abs(v["g"] - g_ref).max() < 0.03 * g_ref.max()     # total VDOS: all atoms
    assert np.trapezoid(v["g"], grid) == pytest.approx(1.0, abs=0.01)
