"""ARTn: analytic saddles (Müller–Brown), Lanczos against exact Hessians, the LAMMPS fast
force path, a converged saddle on the tiny CuZr glass, bookkeeping and reproducibility."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import minimize

from igd.artn import artn_search, lanczos_lowest, make_params, max_atom_force

POTENTIAL = {"file": "potentials/CuZr_mm.eam.fs",
             "sha256": "a512753c2b80a63a7e15d7422f471268888eda650fc12df81fb2275680737781",
             "elements": ["Cu", "Zr"], "pair_style": "eam/fs"}
ROOT = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------- analytic surfaces
_A = np.array([-200.0, -100.0, -170.0, 15.0])
_a = np.array([-1.0, -1.0, -6.5, 0.7])
_b = np.array([0.0, 0.0, 11.0, 0.6])
_c = np.array([-10.0, -10.0, -6.5, 0.7])
_X0 = np.array([1.0, 0.0, -0.5, -1.0])
_Y0 = np.array([0.0, 0.5, 1.5, 1.0])
MB_SCALE = 0.01  # energies /100 so curvatures are "eV/Å²"-like (tens)
MB_SADDLES = np.array([[-0.822002, 0.624313], [0.212487, 0.292988]])
MB_SADDLE_E = np.array([-40.66484, -72.24894])
MB_MINIMA = np.array([[-0.558224, 1.441726], [0.623499, 0.028038], [-0.050011, 0.466694]])


def muller_brown(pos: np.ndarray) -> tuple[float, np.ndarray]:
    """Müller–Brown surface (scaled by MB_SCALE) as a force provider on a (1, 2) array."""
    x, y = pos[0]
    dx, dy = x - _X0, y - _Y0
    t = _A * np.exp(_a * dx * dx + _b * dx * dy + _c * dy * dy)
    gx = (t * (2 * _a * dx + _b * dy)).sum()
    gy = (t * (_b * dx + 2 * _c * dy)).sum()
    return MB_SCALE * t.sum(), -MB_SCALE * np.array([[gx, gy]])


MB_PARAMS = dict(push_step=0.05, force_tol=1e-3, saddle_step_max=0.05, max_move=0.05,
                 lanczos_h=1e-4, fire_dt=0.05, fire_dt_max=0.1,
                 fix_translation=False)


def _mb_minimum(guess):
    r = minimize(lambda q: muller_brown(q.reshape(1, 2))[0], np.asarray(guess, float),
                 jac=lambda q: -muller_brown(q.reshape(1, 2))[1].ravel(), tol=1e-12)
    return r.x.reshape(1, 2)


# (minimum index, push angle) pairs whose push leads over a known saddle
MB_STARTS = [(0, 0.0), (0, 4.71), (0, 5.5), (1, 2.36), (2, 1.57), (2, 2.36), (2, 4.71),
             (2, 5.5)]


@pytest.mark.parametrize("imin,angle", MB_STARTS)
def test_muller_brown_converges_to_known_saddle(imin, angle):
    x0 = _mb_minimum(MB_MINIMA[imin])
    e0, _ = muller_brown(x0)
    d0 = 0.05 * np.array([[np.cos(angle), np.sin(angle)]])
    res = artn_search(muller_brown, x0, e0, d0, MB_PARAMS)
    assert res.status == "converged"
    dist = np.linalg.norm(MB_SADDLES - res.positions[0], axis=1)
    k = int(np.argmin(dist))
    assert dist[k] < 1e-3
    assert res.e_saddle / MB_SCALE == pytest.approx(MB_SADDLE_E[k], abs=2e-3)
    assert res.barrier == pytest.approx(res.e_saddle - e0)
    assert res.barrier > 0 and res.eigenvalue < 0
    assert res.force_calls > 0


def test_failing_search_is_recorded_not_raised():
    x0 = _mb_minimum(MB_MINIMA[1])
    e0, _ = muller_brown(x0)
    d0 = np.array([[0.05, 0.0]])  # straight up the wall: no activation in 3 pushes
    res = artn_search(muller_brown, x0, e0, d0, {**MB_PARAMS, "max_basin_steps": 3})
    assert res.status == "no-activation"
    assert np.isnan(res.barrier)

    def broken(pos):
        raise RuntimeError("engine died")
    res = artn_search(broken, x0, e0, d0, MB_PARAMS)
    assert res.status == "error" and "engine died" in res.message and np.isnan(res.barrier)

    res = artn_search(muller_brown, x0, e0, d0, {**MB_PARAMS, "max_force_calls": 5})
    assert res.status == "max-force-calls" and res.force_calls == 5


def test_unknown_parameter_is_an_error():
    with pytest.raises(ValueError, match="push_stepp"):
        make_params({"push_stepp": 0.1})


def _lj(pos, eps=1.0, sigma=1.0):
    """Lennard-Jones cluster (no cutoff): energy and forces."""
    d = pos[:, None, :] - pos[None, :, :]
    r2 = (d ** 2).sum(-1) + np.eye(len(pos))
    s6 = (sigma ** 2 / r2) ** 3
    e = 4 * eps * (s6 ** 2 - s6)
    np.fill_diagonal(e, 0)
    coef = 24 * eps * (2 * s6 ** 2 - s6) / r2
    np.fill_diagonal(coef, 0)
    return 0.5 * e.sum(), (coef[..., None] * d).sum(axis=1)


def _numerical_hessian(provider, x, h=1e-4, central=True):
    n = x.size
    hess = np.empty((n, n))
    f0 = None if central else provider(x)[1].ravel()
    for k in range(n):
        dx = np.zeros(n)
        dx[k] = h
        fp = provider(x + dx.reshape(x.shape))[1].ravel()
        if central:
            fm = provider(x - dx.reshape(x.shape))[1].ravel()
            hess[:, k] = -(fp - fm) / (2 * h)
        else:
            hess[:, k] = -(fp - f0) / h
    return 0.5 * (hess + hess.T)


def test_lanczos_matches_exact_lowest_eigenvalue():
    # a 7-atom LJ cluster displaced off its minimum so the lowest mode is negative
    rng = np.random.default_rng(3)
    x = rng.normal(scale=0.05, size=(7, 3)) + np.array(
        [[0, 0, 0], [1.1, 0, 0], [0, 1.1, 0], [0, 0, 1.1], [1.1, 1.1, 0], [1.1, 0, 1.1],
         [0, 1.1, 1.1]])
    hess = _numerical_hessian(_lj, x)
    evals, evecs = np.linalg.eigh(hess)
    # LJ is translation/rotation invariant: compare with the exact lowest eigenvalue
    f = _lj(x)[1]
    lam, v, calls = lanczos_lowest(_lj, x, f, rng.normal(size=x.shape), h=1e-6,
                                   max_iter=21, tol=1e-8)
    assert lam == pytest.approx(evals[0], rel=1e-3, abs=1e-3)
    assert abs(v.ravel() @ evecs[:, 0]) == pytest.approx(1.0, abs=1e-3)
    assert calls <= 21
    # a quadratic form: forward differences are exact, Lanczos converges to the bottom
    a = rng.normal(size=(12, 12))
    a = a @ a.T - 3 * np.eye(12)

    def quad(pos):
        return 0.5 * pos.ravel() @ a @ pos.ravel(), -(a @ pos.ravel()).reshape(pos.shape)
    x = rng.normal(size=(4, 3))
    lam, v, _ = lanczos_lowest(quad, x, quad(x)[1], rng.normal(size=x.shape), h=1e-3,
                               max_iter=12, tol=1e-10)
    assert lam == pytest.approx(np.linalg.eigvalsh(a)[0], rel=1e-6)


# ---------------------------------------------------------------- LAMMPS
@pytest.fixture(scope="module")
def glass_forces(tiny_glass):
    from igd.artn_lammps import LammpsForces
    from igd.data import read_lammps_data
    provider = LammpsForces(tiny_glass, POTENTIAL, root=ROOT)
    frame = read_lammps_data(tiny_glass)
    yield provider, frame
    provider.close()


def _fresh_run0(data_file, positions):
    """Energy and forces (id order) of ``positions`` from a fresh LAMMPS ``run 0``."""
    from igd.lmp import box, gather, potential_commands, start_lammps
    from igd.neighbors import wrap
    lmp = start_lammps(None)
    lmp.command(f"read_data {data_file}")
    for cmd in potential_commands(POTENTIAL, ROOT):
        lmp.command(cmd)
    origin, cell = box(lmp)
    wrapped = wrap(positions, cell, origin)     # scatter_atoms does not wrap
    lmp.scatter_atoms("x", 1, 3, np.ctypeslib.as_ctypes(wrapped.ravel().copy()))
    lmp.command("run 0")
    e, f = lmp.get_thermo("pe"), gather(lmp, "f", 3)
    lmp.close()
    return e, f


@pytest.mark.lammps
def test_fast_force_path_equals_fresh_run0(glass_forces, tiny_glass):
    provider, frame = glass_forces
    x0 = frame.positions
    rng = np.random.default_rng(0)
    e0, f0 = provider(x0)
    assert max_atom_force(f0) < 0.05          # the IS is a minimum
    # small moves (no re-neighbouring), then atoms leaving the box and moves beyond the
    # skin (re-neighbouring), then back to the IS: the provider must stay exact
    cases = [x0 + rng.normal(scale=0.02, size=x0.shape),
             x0 + np.array([25.0, -0.3, 0.2]) + rng.normal(scale=0.02, size=x0.shape),
             x0 + rng.normal(scale=0.4, size=x0.shape) * (rng.random((len(x0), 1)) < 0.1)]
    for x in cases:
        e, f = provider(x)
        e_ref, f_ref = _fresh_run0(tiny_glass, np.asarray(x))
        assert e == pytest.approx(e_ref, abs=1e-8)
        np.testing.assert_allclose(f, f_ref, atol=1e-8)
    e_back, f_back = provider(x0)
    assert e_back == pytest.approx(e0, abs=1e-9)
    np.testing.assert_allclose(f_back, f0, atol=1e-9)
    # forces are ordered by id: moving atom id 7 changes its own force the most
    x = x0.copy()
    x[6, 0] += 0.05
    _, f = provider(x)
    assert np.argmax(np.linalg.norm(f - f0, axis=1)) == 6


@pytest.mark.lammps
def test_glass_saddle_has_one_negative_mode(glass_forces):
    from igd.artn_lammps import attempt_rng, perturbation
    provider, frame = glass_forces
    x0 = frame.positions
    e0, _ = provider(x0)
    p = make_params({})
    res = None
    for attempt in range(8):
        d0 = perturbation(attempt_rng(7, 0, 50, 0, attempt), len(x0), np.array([49]),
                          p["perturb_norm"])
        res = artn_search(provider, x0, e0, d0, p)
        if res.status == "converged":
            break
    assert res.status == "converged"
    assert res.max_force < p["force_tol"]
    assert res.barrier > 0 and res.eigenvalue < 0
    # full forward-difference Hessian (1500 dof; truncation error ~ h x third
    # derivative ~ 1e-2 eV/A^2), translations projected out
    hess = _numerical_hessian(provider, res.positions, h=1e-4, central=False)
    n = len(x0)
    trans = np.zeros((3, 3 * n))
    for k in range(3):
        trans[k, k::3] = 1 / np.sqrt(n)
    proj = np.eye(3 * n) - trans.T @ trans
    evals = np.linalg.eigvalsh(proj @ hess @ proj)
    # curvatures within ±0.05 eV/Å² are not resolved (flat glassy modes; at max force
    # 0.05 eV/Å the search stops wherever along them): "negative" means below -0.05
    assert (evals < p["second_mode_tol"]).sum() == 1, evals[:5]
    print("lowest projected Hessian eigenvalues (eV/A^2):", evals[:6].round(4),
          "Lanczos:", res.eigenvalue, res.eigenvalue_2)
    assert evals[1] > p["second_mode_tol"]
    assert evals[0] == pytest.approx(res.eigenvalue, rel=0.05, abs=0.02)


@pytest.mark.lammps
def test_run_artn_bookkeeping_and_reproducible(tiny_glass):
    from igd.artn_lammps import EVENTS_UNITS, barriers_units, run_artn
    params = {"n_events": 2, "max_attempts": 2, "max_basin_steps": 1}  # forces failures
    ev, bar = run_artn(tiny_glass, [3, 10], potential=POTENTIAL, params=params, seed=11,
                       root=ROOT)
    assert list(ev.columns) == list(EVENTS_UNITS)
    assert list(bar.columns) == list(barriers_units(2))
    assert (ev.status == "no-activation").all()
    assert len(ev) == 2 * 2 * 2                # every attempt recorded
    assert ev.barrier.isna().all() and bar[["dQ_01", "dQ_02"]].isna().all().all()
    assert (bar.n_converged == 0).all()
    # a real run; rerunning one atom alone reproduces its rows exactly
    params = {"n_events": 2, "max_attempts": 2}
    ev, bar = run_artn(tiny_glass, [3, 10], potential=POTENTIAL, params=params, seed=11,
                       root=ROOT)
    ev1, bar1 = run_artn(tiny_glass, [10], potential=POTENTIAL, params=params, seed=11,
                         root=ROOT)
    cols = [c for c in ev.columns if c != "wall_s"]
    a = ev[ev.id == 10][cols].reset_index(drop=True)
    b = ev1[cols].reset_index(drop=True)
    assert a.equals(b)
    assert bar[bar.id == 10].reset_index(drop=True).equals(bar1)
    ok = ev[ev.status == "converged"]
    assert len(ok) >= 1 and (ok.barrier > 0).all() and (ok.eigenvalue < 0).all()
    row = bar.iloc[0]
    vals = row[["dQ_01", "dQ_02"]].to_numpy(float)
    finite = vals[np.isfinite(vals)]
    assert np.all(np.diff(finite) >= 0)


# ---------------------------------------------------------------- local mode
def test_carve_sphere_counts_images_and_centres():
    from igd.artn_lammps import carve_sphere
    # simple cubic lattice, spacing 1, 4x4x4 periodic cell: sphere of radius 1.5 holds
    # the centre, 6 first and 12 second neighbours (sqrt 2), no third (sqrt 3 > 1.5)
    g = np.arange(4.0)
    pos = np.array(np.meshgrid(g, g, g, indexing="ij")).reshape(3, -1).T
    cell = 4.0 * np.eye(3)
    idx, carved = carve_sphere(pos, cell, np.zeros(3), 0, 1.5)
    assert len(idx) == 19 and idx[0] == 0
    d = np.linalg.norm(carved - carved[0], axis=1)
    assert d[0] == 0
    assert np.all(np.diff(d) >= -1e-12)                    # sorted by distance
    assert (np.isclose(d, 1.0)).sum() == 6 and (np.isclose(d, np.sqrt(2))).sum() == 12
    # images are unwrapped around the centre: atom 0 at the origin sees x = -1, not 3
    assert carved[:, 0].min() == pytest.approx(-1.0)


def test_active_subset_freezes_the_rest():
    from igd.artn_lammps import ActiveSubset
    x = np.array([[0, 0, 0], [1.1, 0, 0], [0, 1.1, 0], [0, 0, 1.1]], float)
    sub = ActiveSubset(_lj, x, 2)
    e, f = sub(x[:2] + 0.01)
    x_ref = x.copy()
    x_ref[:2] += 0.01
    e_ref, f_ref = _lj(x_ref)
    assert e == pytest.approx(e_ref) and f.shape == (2, 3)
    np.testing.assert_allclose(f, f_ref[:2])


@pytest.mark.lammps
def test_local_cluster_energy_differences_are_exact(tiny_glass, tmp_path):
    """A sphere of radius ≥ 2 × cutoff around the moved atom gives the same energy change
    and force on it as the full periodic box (EAM: embedding of neighbours' neighbours)."""
    from igd.artn_lammps import (ActiveSubset, LammpsForces, carve_sphere,
                                 write_cluster_data)
    from igd.data import read_lammps_data
    big = _replicate(tiny_glass, tmp_path / "replica.data")
    frame = read_lammps_data(big)
    index = 4
    idx, pos = carve_sphere(frame.positions, frame.cell, frame.origin, index, 16.0)
    cluster = write_cluster_data(tmp_path / "cluster.data", pos, frame.types[idx],
                                 frame.masses, padding=12.0)
    assert read_lammps_data(cluster).n_atoms == len(idx)
    move = np.array([0.08, -0.05, 0.11])
    with LammpsForces(cluster, POTENTIAL, root=ROOT) as local:
        sub = ActiveSubset(local, pos, 1)
        e_loc0, f_loc0 = sub(pos[:1])
        e_loc1, f_loc1 = sub(pos[:1] + move)
    with LammpsForces(big, POTENTIAL, root=ROOT) as full:
        e0, f0 = full(frame.positions)
        x = frame.positions.copy()
        x[index] += move
        e1, f1 = full(x)
    assert e_loc1 - e_loc0 == pytest.approx(e1 - e0, abs=1e-8)
    np.testing.assert_allclose(f_loc1[0], f1[index], atol=1e-8)
    np.testing.assert_allclose(f_loc0[0], f0[index], atol=1e-8)


def _replicate(data, out, counts="2 2 2"):
    """The glass replicated (LAMMPS ``replicate``) into a larger data file."""
    from igd.lmp import start_lammps
    lmp = start_lammps(None)
    lmp.command(f"read_data {data}")
    lmp.command(f"replicate {counts}")
    lmp.command(f"write_data {out}")
    lmp.close()
    return out


@pytest.mark.lammps
def test_run_artn_local_mode(tiny_glass, tmp_path):
    from igd.artn_lammps import EVENTS_UNITS, run_artn
    with pytest.raises(ValueError, match="half the box"):   # 500 atoms: too small
        run_artn(tiny_glass, [1], potential=POTENTIAL, seed=1, root=ROOT,
                 params={"local": True, "n_events": 1})
    big = _replicate(tiny_glass, tmp_path / "replica.data")
    params = {"local": True, "local_radius": 7.0, "frozen_shell": 8.0, "n_events": 2,
              "max_attempts": 2}
    ev, bar = run_artn(big, [9], potential=POTENTIAL, params=params, seed=5, root=ROOT)
    assert list(ev.columns) == list(EVENTS_UNITS) and len(bar) == 1
    ok = ev[ev.status == "converged"]
    assert len(ok) >= 1 and (ok.barrier > 0).all() and (ok.max_force < 0.05).all()
    assert bar.n_converged.iloc[0] == len(ok)
