"""Participation fractions without eigenvectors (igd.hessian.kpm.kpm_participation): the
local DOS integrated up to the KPM count's cut frequency, on matrices whose lowest modes
are known exactly (a gap of many σ around the cut makes the smoothed step sharp)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from test_vdos import POTENTIAL, ROOT, periodic_chain, write_fcc_cu

from igd.hessian import kpm, stage
from igd.hessian import modes as hm

TOL = 1e-4      # stated accuracy of the KPM p_i when no mode lies within 4σ of the cut


def dimers(a, b, c) -> np.ndarray:
    """Atoms 2j, 2j+1 coupled by a 2×2 block [[a_j, −c_j], [−c_j, b_j]] ⊗ 1₃ (eV/(Å²·amu)),
    pairs uncoupled (so one probe colour per atom of a pair gives the exact diagonal)."""
    n_pairs = len(a)
    d = np.zeros((6 * n_pairs, 6 * n_pairs))
    for j in range(n_pairs):
        block = np.kron(np.array([[a[j], -c[j]], [-c[j], b[j]]]), np.eye(3))
        d[6 * j:6 * j + 6, 6 * j:6 * j + 6] = block
    return d


def moments(d: np.ndarray, colour: np.ndarray, sigma: float, **kw):
    return kpm.kpm_probe_moments(sp.csr_matrix(d), sigma, colour=colour, tol=1e-8, **kw)


def test_dimers_kpm_p_equals_exact_lowest_modes():
    # pair j: a = 0.004·4^j, b = 10 a, c = 1.5 a; soft triplets at 0.86·2^j THz (weights
    # 0.974 / 0.026 on the pair's atoms), pair 0's stiff one at 3.16 THz. The lowest 3 modes
    # (pair 0 soft) and 6 modes (+ pair 1 soft, 1.71 THz) end ≥ 8σ below the next mode
    a = 0.004 * 4.0 ** np.arange(3)
    d = dimers(a, 10 * a, 1.5 * a)
    exact = hm.normal_modes(d, n_zero=0)
    mu, bounds = moments(d, np.arange(6) % 2, 0.1)
    fractions = (3 / 18, 6 / 18)
    p, cuts = kpm.kpm_participation(mu, bounds, 0.1, fractions, 18)
    for f in fractions:
        np.testing.assert_allclose(p[f], hm.participation_fraction(exact, f), atol=TOL)
        assert p[f].sum() == pytest.approx(1.0, abs=TOL)
    assert p[3 / 18][0] - p[3 / 18][1] > 0.9                     # truly unequal weights
    nu = np.sort(exact.nu)
    assert nu[2] < cuts[3 / 18] < nu[3] and nu[5] < cuts[6 / 18] < nu[6]


def test_chain_cut_in_the_gap_and_equal_shares():
    # periodic chain (translations deflated): the lowest shell q = ±1 holds 6 modes at
    # 0.55 THz, the next 1.09 THz; every atom is equivalent, so p_i = 1/N exactly
    n = 40
    d = periodic_chain(n)
    mu, bounds = moments(d, np.arange(n), 0.05, deflate=kpm.translation_modes(np.ones(n)))
    f = 6 / (3 * n - 3)
    p, cuts = kpm.kpm_participation(mu, bounds, 0.05, (f,), 3 * n - 3)
    np.testing.assert_allclose(p[f], 1 / n, atol=TOL / n)
    nu1, nu2 = hm.eigenvalue_to_thz(4 * 0.05 * np.sin(np.pi * np.array([1, 2]) / n) ** 2)
    assert nu1 < cuts[f] < nu2


def test_smoothed_step_within_a_band_of_modes():
    # no gap at the cut: the KPM p_i is the exact smoothed-step value (each mode weighted
    # Φ((ν_c − ν_m)/σ), ν_c from the same count) computed from the eigenvectors
    from scipy.special import ndtr

    rng = np.random.default_rng(5)
    a, b = rng.uniform(0.002, 0.05, (2, 10))
    d = dimers(a, b, 0.4 * np.minimum(a, b))
    exact = hm.normal_modes(d, n_zero=0)
    mu, bounds = moments(d, np.arange(20) % 2, 0.1)
    f, k = 0.2, hm.n_lowest(0.2, 60)
    p, cuts = kpm.kpm_participation(mu, bounds, 0.1, (f,), 60)
    step = ndtr((cuts[f] - exact.nu) / 0.1)
    assert step.sum() == pytest.approx(k, abs=1e-3)
    np.testing.assert_allclose(p[f], exact.weights @ step / k, atol=TOL)


def test_sparse_route_p_without_lu_on_fcc(tmp_path):
    # no LAMMPS: fcc Cu (108 atoms, one atom per colour at 20 Å): with max_lu_atoms = 0 the
    # p_* come from KPM; the complete lowest shell of a monatomic crystal gives p_i = 1/N
    data = write_fcc_cu(tmp_path / "cu.data", n=3)
    pot = {**POTENTIAL, "elements": ["Cu"]}
    shell = 12 / 321
    _v, a, _units, diag = stage.hessian_vdos_sparse(
        data, potential=pot, sigma=0.1, nu_grid=np.arange(0.5, 8.001, 0.05), band=(0.5, 6.0),
        fractions=(shell, 0.01), probe_distance=20.0, tol=1e-6, max_lu_atoms=0,
        p_sigma=0.05, root=ROOT)
    assert diag["p_method"] == "kpm" and "n_modes_exact" not in diag
    assert 2.0 < diag["p_cut_THz"][hm.fraction_column(shell)] < 2.5
    for f in (shell, 0.01):
        col = a[hm.fraction_column(f)].to_numpy()
        assert np.isfinite(col).all()
        np.testing.assert_allclose(col, 1 / 108, rtol=1e-4)
