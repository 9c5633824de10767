"""The exact lowest modes without factorisation (igd.hessian.kpm.lowest_eigenpairs,
Chebyshev-filtered subspace iteration) and the participation fractions of the sparse route
that come from them, on matrices whose lowest modes are known exactly."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from test_vdos import POTENTIAL, ROOT, periodic_chain, write_fcc_cu

from igd.hessian import kpm, stage
from igd.hessian import modes as hm


def dimers(a, b, c) -> np.ndarray:
    """Atoms 2j, 2j+1 coupled by a 2×2 block [[a_j, −c_j], [−c_j, b_j]] ⊗ 1₃ (eV/(Å²·amu)),
    pairs uncoupled."""
    n_pairs = len(a)
    d = np.zeros((6 * n_pairs, 6 * n_pairs))
    for j in range(n_pairs):
        block = np.kron(np.array([[a[j], -c[j]], [-c[j], b[j]]]), np.eye(3))
        d[6 * j:6 * j + 6, 6 * j:6 * j + 6] = block
    return d


def test_dimers_lowest_modes_and_p_equal_dense():
    # 30 random pairs: the lowest 9 of 180 modes and their participation fractions equal
    # the dense eigh's (a triplet is degenerate, so p only depends on the 3-d subspace)
    rng = np.random.default_rng(5)
    a, b = rng.uniform(0.002, 0.05, (2, 30))
    d = dimers(a, b, 0.4 * np.minimum(a, b))
    exact = hm.normal_modes(d, n_zero=0)
    k = hm.n_lowest(0.05, 180)
    lam, vec = kpm.lowest_eigenpairs(sp.csr_matrix(d), k, buffer=6, tol=1e-10)
    np.testing.assert_allclose(hm.eigenvalue_to_thz(lam), np.sort(exact.nu)[:k], rtol=1e-8)
    np.testing.assert_allclose(vec.T @ vec, np.eye(k), atol=1e-10)
    weights = (vec ** 2).reshape(60, 3, k).sum(1)
    p = hm.participation_fraction(hm.Modes(hm.eigenvalue_to_thz(lam), weights,
                                           np.array([]), 0, n_total=180), 0.05)
    np.testing.assert_allclose(p, hm.participation_fraction(exact, 0.05), atol=1e-8)
    assert p.sum() == pytest.approx(1.0)


def test_chain_modes_outside_the_translations():
    # periodic chain with its 3 translations projected out: the lowest shell q = ±1 holds
    # 6 modes at 4·0.05·sin²(π/n), then q = ±2; every atom carries 1/N of the shell
    n = 40
    d = sp.csr_matrix(periodic_chain(n))
    lam, vec = kpm.lowest_eigenpairs(d, 12, deflate=kpm.translation_modes(np.ones(n)),
                                     buffer=10, tol=1e-10)
    shell = 4 * 0.05 * np.sin(np.pi * np.array([1, 2]) / n) ** 2
    np.testing.assert_allclose(lam, np.repeat(shell, 6), rtol=1e-8)
    np.testing.assert_allclose((vec[:, :6] ** 2).reshape(n, 3, 6).sum((1, 2)), 6 / n,
                               atol=1e-8)
    assert np.abs(kpm.translation_modes(np.ones(n)).T @ vec).max() < 1e-10


def test_not_converged_is_an_error_naming_the_target():
    d = sp.csr_matrix(periodic_chain(30))
    with pytest.raises(RuntimeError, match=r"lowest 8 modes did not converge in 1 iterations"
                       r".*target 1e-12"):
        kpm.lowest_eigenpairs(d, 8, buffer=2, degree=2, tol=1e-12, max_iter=1)


def test_sparse_route_p_exact_on_fcc(tmp_path):
    # no LAMMPS: fcc Cu (108 atoms); the complete lowest shell of a monatomic crystal
    # (12 degenerate modes at 2.19 THz) gives p_i = 1/N, from the filtered subspace
    # iteration that the sparse route uses at every size
    data = write_fcc_cu(tmp_path / "cu.data", n=3)
    pot = {**POTENTIAL, "elements": ["Cu"]}
    shell = 12 / 321
    _v, a, _units, diag = stage.hessian_vdos_sparse(
        data, potential=pot, sigma=0.1, nu_grid=np.arange(0.5, 8.001, 0.05), band=(0.5, 6.0),
        fractions=(shell,), probe_distance=20.0, tol=1e-6, modes_tol=1e-8, root=ROOT)
    assert diag["p_method"] == "exact_chebyshev" and diag["n_modes_exact"] == 12
    assert 2.1 < diag["nu_min_THz"] <= diag["nu_max_exact_THz"] < 2.3
    assert max(abs(v) for v in diag["nu_zero_THz"]) < 1e-3          # the translations
    col = a[hm.fraction_column(shell)].to_numpy()
    np.testing.assert_allclose(col, 1 / 108, rtol=1e-6)
