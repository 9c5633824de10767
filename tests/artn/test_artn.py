"""ARTn: analytic saddles (Müller–Brown), Lanczos against exact Hessians, the LAMMPS fast
force path, a converged saddle on the tiny CuZr glass, bookkeeping and reproducibility."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import minimize

from igd.artn.lanczos import lanczos_lowest
from igd.artn.params import make_params
from igd.artn.provider import max_atom_force
from igd.artn.search import artn_search

POTENTIAL = {"file": "potentials/CuZr_mm.eam.fs",
             "sha256": "a512753c2b80a63a7e15d7422f471268888eda650fc12df81fb2275680737781",
             "elements": ["Cu", "Zr"], "pair_style": "eam/fs"}
ROOT = Path(__file__).resolve().parents[2]
#: the local mode with the exact EAM shell and a frozen boundary (not the default
#: flexible one)
EXACT = {"frozen_shell": None, "local_force_offset": False, "local_tether": 0.0}


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
                 fix_translation=False, relax_final=False)  # the check: test_connect.py


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


def test_refine_saddle_converges_from_a_nearby_point():
    """refine_saddle (local mode's second stage) from a point 0.03 off the Müller–Brown
    saddle, with a rough lowest mode, lands on the saddle; the barrier refers to x0."""
    from igd.artn.search import refine_saddle
    x0 = _mb_minimum(MB_MINIMA[1])
    e0, _ = muller_brown(x0)
    start = MB_SADDLES[1][None, :] + np.array([[0.02, -0.0224]])
    res = refine_saddle(muller_brown, x0, e0, start, np.array([[1.0, 0.3]]), MB_PARAMS)
    assert res.status == "converged", res.status
    assert np.linalg.norm(res.positions[0] - MB_SADDLES[1]) < 1e-3
    assert res.e_saddle / MB_SCALE == pytest.approx(MB_SADDLE_E[1], abs=2e-3)
    assert res.barrier == pytest.approx(res.e_saddle - e0) and res.basin_steps == 0
    assert res.eigenvector is not None and res.eigenvalue < 0


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
    from igd.artn.lammps_forces import LammpsForces
    from igd.common.datafile import read_lammps_data
    provider = LammpsForces(tiny_glass, POTENTIAL, root=ROOT)
    frame = read_lammps_data(tiny_glass)
    yield provider, frame
    provider.close()


def _fresh_run0(data_file, positions):
    """Energy and forces (id order) of ``positions`` from a fresh LAMMPS ``run 0``."""
    from igd.common.lammps import box, gather, potential_commands, start_lammps
    from igd.common.neighbors import wrap
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
def test_force_path_follows_lammps_reordering(glass_forces, tiny_glass):
    """With LAMMPS sorting its atoms spatially at every step (local order ≠ id order), the
    provider's id map still puts positions and forces on the right atoms (the fast path
    skips the permutation only when the order is the identity)."""
    from igd.artn.lammps_forces import LammpsForces
    provider, frame = glass_forces
    x = frame.positions + np.random.default_rng(3).normal(scale=0.02, size=frame.positions.shape)
    with LammpsForces(tiny_glass, POTENTIAL, root=ROOT,
                      setup=["atom_modify sort 1 3.0"]) as sorting:
        sorting(x)
        ids = sorting.lmp.numpy.extract_atom("id")[:sorting.n_atoms]
        assert not np.array_equal(ids, np.arange(1, sorting.n_atoms + 1))
        e, f = sorting(x)
    e_ref, f_ref = provider(x)
    assert e == pytest.approx(e_ref, abs=1e-8)
    np.testing.assert_allclose(f, f_ref, atol=1e-8)


@pytest.mark.lammps
def test_glass_saddle_has_one_negative_mode(glass_forces):
    from igd.artn.perturb import attempt_rng, perturbation
    provider, frame = glass_forces
    x0 = frame.positions
    e0, _ = provider(x0)
    # the search's saddle as such (its order), without the connectivity check that picks
    # among the converged ones (tested in test_connect.py): the same saddle as before #20
    p = make_params({"relax_final": False})
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
    from igd.artn.driver import run_artn
    from igd.artn.tables import EVENTS_UNITS, barriers_units
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
    from igd.artn.carve import carve_sphere
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
    from igd.artn.region import ActiveSubset
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
    from igd.artn.carve import carve_sphere, write_cluster_data
    from igd.artn.lammps_forces import LammpsForces
    from igd.artn.region import ActiveSubset
    from igd.common.datafile import read_lammps_data
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
    from igd.common.lammps import start_lammps
    lmp = start_lammps(None)
    lmp.command(f"read_data {data}")
    lmp.command(f"replicate {counts}")
    lmp.command(f"write_data {out}")
    lmp.close()
    return out


@pytest.mark.lammps
def test_run_artn_local_mode(tiny_glass, tmp_path):
    from igd.artn.driver import run_artn
    from igd.artn.tables import EVENTS_UNITS
    with pytest.raises(ValueError, match="half the box"):   # 500 atoms: too small
        run_artn(tiny_glass, [1], potential=POTENTIAL, seed=1, root=ROOT,
                 params={"local": True, "local_radius": 12.0, "n_events": 1})
    big = _replicate(tiny_glass, tmp_path / "replica.data")
    params = {"local": True, "local_radius": 7.0, "n_events": 2, **EXACT,  # + exclusion
              "max_attempts": 2}
    ev, bar = run_artn(big, [9], potential=POTENTIAL, params=params, seed=5, root=ROOT)
    assert list(ev.columns) == list(EVENTS_UNITS) and len(bar) == 1
    ok = ev[ev.status == "converged"]
    assert len(ok) >= 1 and (ok.barrier > 0).all() and (ok.max_force < 0.05).all()
    assert bar.n_converged.iloc[0] == len(ok)


@pytest.mark.lammps
def test_local_refinement(tiny_glass, tmp_path):
    """Two-stage local mode: a refinement region equal to the search region changes
    nothing (the embedded saddle is already converged: same barrier, few calls); a
    larger one re-converges every saddle with more atoms free and to its own, tighter
    force tolerance, which lets the frozen boundary and the far field relax: barriers go
    down (median), forces end below that tolerance."""
    from igd.artn.driver import search_atoms_local
    big = _replicate(tiny_glass, tmp_path / "replica.data")
    base = {"local": True, "local_radius": 5.0, "n_events": 2, "max_attempts": 2, **EXACT}
    with pytest.raises(ValueError, match="local_refine_radius 4.0 < local_radius"):
        search_atoms_local(big, [9], potential=POTENTIAL, seed=5, root=ROOT,
                           params={**base, "local_refine_radius": 4.0})
    with pytest.raises(ValueError, match="local_tether_width 5.0 ≥ local_radius"):
        search_atoms_local(big, [9], potential=POTENTIAL, seed=5, root=ROOT,
                           params={**base, "local_tether": 1.0, "local_tether_width": 5.0})
    same, _, _ = search_atoms_local(big, [9], potential=POTENTIAL, seed=5, root=ROOT,
                                    params={**base, "local_refine_radius": 5.0})
    ok = same[same.status == "converged"]
    assert len(ok) >= 1
    assert np.allclose(ok.barrier, ok.barrier_search, atol=2e-3)
    assert (ok.refine_calls > 0).all() and (ok.refine_calls < 60).all()
    ev, bar, timing = search_atoms_local(big, [9, 1234], potential=POTENTIAL, seed=5,
                                         root=ROOT, params={**base, "local_refine_radius": 8.0,
                                                            "local_refine_force_tol": 0.01})
    ok = ev[ev.status == "converged"]
    assert len(ok) >= 2 and (ok.max_force < 0.01).all() and (ok.barrier > 0).all()
    assert (ok.refine_calls > 0).all() and timing["refine_calls"] >= ok.refine_calls.sum()
    assert (ok.barrier - ok.barrier_search).median() < 0
    assert list(bar.n_converged) == ok.groupby("id").size().reindex(bar.id, fill_value=0).tolist()


# ---------------------------------------------------------------- local mode: exact shell
def _write_setfl(path, pair_style, rho_cut, phi_cut, n_el=2):
    """A small setfl file whose density functions vanish beyond ``rho_cut`` and pair
    functions beyond ``phi_cut`` (Å); tabulated on r = k · 0.01 Å, 1 000 points."""
    n_r, dr, n_rho = 1000, 0.01, 50
    r = np.arange(n_r) * dr
    rho = np.where(r <= rho_cut, (rho_cut - r) ** 2, 0.0)
    rphi = np.where(r <= phi_cut, np.cos(r) * (phi_cut - r) ** 3, 0.0)
    lines = ["x", "x", "x", f"{n_el} " + " ".join(["A", "B", "C"][:n_el]),
             f"{n_rho} 0.1 {n_r} {dr} 9.99"]
    n_dens = n_el if pair_style == "eam/fs" else 1
    for _ in range(n_el):
        lines.append("1 1.0 3.0 fcc")
        lines += [" ".join(map(str, -np.sqrt(np.arange(n_rho) * 0.1)))]
        lines += [" ".join(map(str, rho))] * n_dens
    lines += [" ".join(map(str, rphi))] * (n_el * (n_el + 1) // 2)
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("pair_style", ["eam/fs", "eam/alloy"])
def test_eam_ranges_of_synthetic_setfl(tmp_path, pair_style):
    from igd.common.eam import eam_ranges
    f = _write_setfl(tmp_path / "x.eam", pair_style, rho_cut=4.2, phi_cut=6.5)
    pair, dens = eam_ranges(f, pair_style)
    # last non-zero grid point strictly inside the cut: 4.19 and 6.49 Å
    assert dens == pytest.approx(4.19) and pair == pytest.approx(6.49)
    with pytest.raises(ValueError, match="expected"):        # wrong style: wrong count
        eam_ranges(f, "eam/alloy" if pair_style == "eam/fs" else "eam/fs")


def test_exact_shell_of_mendelev_cuzr():
    from igd.artn.carve import exact_shell
    from igd.common.eam import eam_ranges
    pair, dens = eam_ranges(ROOT / POTENTIAL["file"], "eam/fs")
    assert pair == pytest.approx(7.6, abs=0.01) and dens == pytest.approx(5.99, abs=0.01)
    assert exact_shell(pair, dens) == pytest.approx(2 * dens)    # 12 Å, not one cutoff
    assert exact_shell(7.6, 3.0) == 7.6                         # pair range dominates


def test_local_shell_resolves_auto_and_warns(caplog):
    from igd.artn.carve import local_shell
    shell, core = local_shell(make_params({"local_margin": 0.5, **EXACT}), POTENTIAL, ROOT)
    assert shell == pytest.approx(2 * 5.99032 + 0.5) and core == pytest.approx(5.99032 + 0.5)
    assert not caplog.records
    local_shell(make_params({**EXACT, "local_tether": 1.5}), POTENTIAL, ROOT)
    assert "set local_tether: 0" in caplog.text
    shell, core = local_shell(make_params({"frozen_shell": 8.0, "local_exclude": False,
                                           "local_force_offset": False}), POTENTIAL, ROOT)
    assert shell == 8.0 and core is None and "not those of the bulk" in caplog.text


def test_carve_cluster_active_core_and_exclusion():
    from igd.artn.carve import carve_cluster
    g = np.arange(8.0)                                        # simple cubic, spacing 1
    pos = np.array(np.meshgrid(g, g, g, indexing="ij")).reshape(3, -1).T
    types = 1 + (np.arange(len(pos)) % 2)
    cl = carve_cluster(pos, types, 8.0 * np.eye(3), np.zeros(3), 0, local_radius=1.2,
                       frozen_shell=1.0, core_radius=1.5)
    # |r| < 1.2: centre + 6; < 1.5: + 12 (sqrt 2); < 2.2: + 8 (sqrt 3) + 6 (2)
    assert cl.n_active == 7 and cl.n_core == 19 and len(cl.positions) == 33
    assert np.array_equal(cl.types, types[cl.indices])
    assert cl.setup_commands() == ["group outer id 20:33",
                                   "neigh_modify exclude group outer outer"]
    no_excl = carve_cluster(pos, types, 8.0 * np.eye(3), np.zeros(3), 0, local_radius=1.2,
                            frozen_shell=1.0)
    assert no_excl.n_core == 33 and no_excl.setup_commands() == []


def test_active_subset_rows_in_a_larger_system():
    from igd.artn.region import ActiveSubset
    x = np.array([[0, 0, 0], [1.1, 0, 0], [0, 1.1, 0], [0, 0, 1.1]], float)
    sub = ActiveSubset(_lj, x, rows=np.array([3, 1]))
    e, f = sub(x[[3, 1]] + 0.02)
    x_ref = x.copy()
    x_ref[[3, 1]] += 0.02
    e_ref, f_ref = _lj(x_ref)
    assert sub.n_active == 2 and e == pytest.approx(e_ref)
    np.testing.assert_allclose(f, f_ref[[3, 1]])


def _cluster_and_full(data, index, radius, tmp_path, **params):
    """Carved cluster (exact shell, exclusion) and full-box providers of ``data``.

    On the 500-atom glass (20.7 Å box) a 4 Å active sphere is exact in both: the periodic
    images of active atoms, which move with them in the box and are frozen rows of the
    cluster, are ≥ 20.7 − 2·4 = 12.7 Å from every active atom, beyond 2 × 6 Å density
    range and the 7.6 Å pair range."""
    from igd.artn.carve import carve_cluster, local_shell
    from igd.artn.lammps_forces import LammpsForces
    from igd.artn.region import local_provider
    from igd.common.datafile import read_lammps_data
    frame = read_lammps_data(data)
    shell, core = local_shell(make_params({**EXACT, **params}), POTENTIAL, ROOT)
    cl = carve_cluster(frame.positions, frame.types, frame.cell, frame.origin, index,
                       local_radius=radius, frozen_shell=shell,
                       core_radius=None if core is None else radius + core)
    local = local_provider(cl, tmp_path / "cluster.data", potential=POTENTIAL,
                           masses=frame.masses, padding=12.0, root=ROOT)
    full = LammpsForces(data, POTENTIAL, root=ROOT)
    full.quiet()
    return frame, cl, local, full


@pytest.mark.lammps
def test_exact_shell_with_exclusion_gives_bulk_forces(tiny_glass, tmp_path):
    """Exact shell + outer–outer exclusion: forces on every active atom and energy
    differences equal the periodic box's, at the IS and after moving the active atoms;
    a one-cutoff shell (8 Å) does not."""
    from igd.artn.region import ActiveSubset
    frame, cl, local, full = _cluster_and_full(tiny_glass, 17, 4.0, tmp_path)
    assert cl.n_core < len(cl.positions)                 # the exclusion is in use
    act = cl.indices[:cl.n_active]
    sub_l = ActiveSubset(local, cl.positions, cl.n_active)
    sub_f = ActiveSubset(full, frame.positions, rows=act)
    x0_l, x0_f = cl.positions[:cl.n_active], frame.positions[act]
    move = np.random.default_rng(3).normal(scale=0.05, size=x0_l.shape)
    (el0, fl0), (el1, fl1) = sub_l(x0_l), sub_l(x0_l + move)
    (ef0, ff0), (ef1, ff1) = sub_f(x0_f), sub_f(x0_f + move)
    local.close()
    full.close()
    np.testing.assert_allclose(fl0, ff0, atol=1e-9)
    np.testing.assert_allclose(fl1, ff1, atol=1e-9)
    assert el1 - el0 == pytest.approx(ef1 - ef0, abs=1e-8)
    # one cutoff of shell: outer active atoms miss their neighbours' full density
    from igd.artn.carve import carve_cluster
    from igd.artn.region import local_provider
    thin = carve_cluster(frame.positions, frame.types, frame.cell, frame.origin, 17,
                         local_radius=4.0, frozen_shell=7.7)
    with local_provider(thin, tmp_path / "thin.data", potential=POTENTIAL,
                        masses=frame.masses, padding=12.0, root=ROOT) as lt:
        _, f_thin = ActiveSubset(lt, thin.positions, thin.n_active)(x0_l)
    assert np.abs(f_thin - ff0).max() > 1e-5


@pytest.mark.lammps
def test_local_search_reproduces_full_box_with_same_active_atoms(tiny_glass, tmp_path):
    """Same direction, same active atoms (4 Å sphere): the carved cluster and the full
    periodic box (only those atoms moving) give the same barrier to 1e-3 eV."""
    from igd.artn.perturb import attempt_rng, perturbation
    from igd.artn.region import ActiveSubset
    frame, cl, local, full = _cluster_and_full(tiny_glass, 17, 4.0, tmp_path)
    act = cl.indices[:cl.n_active]
    p = make_params({"fix_translation": False, "second_mode_tol": None})
    d0 = perturbation(attempt_rng(7, 0, 18, 0, 0), cl.n_active, np.array([0]), 0.1)
    results = []
    for sub, x0 in ((ActiveSubset(local, cl.positions, cl.n_active), cl.positions[:cl.n_active]),
                    (ActiveSubset(full, frame.positions, rows=act), frame.positions[act])):
        e0, _ = sub(x0)
        results.append(artn_search(sub, x0, e0, d0, p))
    local.close()
    full.close()
    loc, ful = results
    assert loc.status == ful.status == "converged", (loc.status, ful.status)
    assert loc.barrier == pytest.approx(ful.barrier, abs=1e-3)
    assert loc.barrier > 0


# ---------------------------------------------------------- local mode: flexible boundary
def _assert_forces_are_minus_gradient(provider, y, h=1e-6):
    """``provider``'s forces at ``y`` equal minus the central-difference gradient of its
    energy."""
    f = provider(y)[1]
    grad = np.empty(y.size)
    for k in range(y.size):
        dy = np.zeros(y.size)
        dy[k] = h
        grad[k] = (provider(y + dy.reshape(y.shape))[0]
                   - provider(y - dy.reshape(y.shape))[0]) / (2 * h)
    np.testing.assert_allclose(-grad, f.ravel(), rtol=1e-5, atol=1e-6)


def test_force_offset_makes_x0_stationary_and_stays_a_gradient():
    """ForceOffset: zero force and the raw energy at x0; elsewhere forces F(x) − F(x0)
    that are minus the gradient of its energy (central differences)."""
    from igd.artn.boundary import ForceOffset
    from igd.artn.region import ActiveSubset
    x = np.array([[0, 0, 0], [1.05, 0, 0], [0, 1.2, 0], [0, 0, 1.15], [1.1, 1.0, 0.2]])
    sub = ActiveSubset(_lj, x, 3)                  # two atoms frozen: x0 is not stationary
    e_raw, f_raw = sub(x[:3])
    assert np.abs(f_raw).max() > 0.1
    off = ForceOffset(sub, x[:3])
    e0, f0 = off(x[:3])
    assert e0 == pytest.approx(e_raw) and np.abs(f0).max() == 0
    y = x[:3] + np.random.default_rng(0).normal(scale=0.02, size=(3, 3))
    e1, f1 = off(y)
    np.testing.assert_allclose(f1, sub(y)[1] - f_raw)
    _assert_forces_are_minus_gradient(off, y)


def test_tether_springs_only_the_given_rows_and_stays_a_gradient():
    """Tether: nothing changes at x0; elsewhere the tethered rows get −k u on top of the
    provider's forces, the others nothing, and forces are minus its energy's gradient."""
    from igd.artn.boundary import ForceOffset, Tether
    from igd.artn.region import ActiveSubset
    x = np.array([[0, 0, 0], [1.05, 0, 0], [0, 1.2, 0], [0, 0, 1.15], [1.1, 1.0, 0.2]])
    off = ForceOffset(ActiveSubset(_lj, x, 3), x[:3])
    teth = Tether(off, x[:3], np.array([1, 2]), k=2.5)
    assert teth(x[:3])[0] == off(x[:3])[0] and np.abs(teth(x[:3])[1]).max() == 0
    y = x[:3] + np.random.default_rng(1).normal(scale=0.02, size=(3, 3))
    e1, f1 = teth(y)
    u = y - x[:3]
    np.testing.assert_allclose(f1[0], off(y)[1][0])
    np.testing.assert_allclose(f1[1:], off(y)[1][1:] - 2.5 * u[1:])
    assert e1 == pytest.approx(off(y)[0] + 1.25 * np.sum(u[1:] ** 2))
    _assert_forces_are_minus_gradient(teth, y)


@pytest.mark.lammps
def test_run_artn_local_flexible_boundary(tiny_glass, tmp_path, caplog):
    """Flexible boundary (the default: local_force_offset, tether, no frozen shell, thinner
    than the exact 12.5 Å): no shell warning, the carved IS is stationary, searches
    converge to positive barriers below the force tolerance."""
    from igd.artn.carve import local_shell
    from igd.artn.driver import run_artn
    from igd.artn.region import LocalRegion
    from igd.common.datafile import read_lammps_data
    big = _replicate(tiny_glass, tmp_path / "replica.data")
    params = {"local": True, "local_radius": 8.0, "n_events": 1, "max_attempts": 3}
    p = make_params(params)
    with caplog.at_level(logging.WARNING):
        shell, core = local_shell(p, POTENTIAL, ROOT)
    assert shell == 0.0 and not caplog.records
    frame = read_lammps_data(big)
    region = LocalRegion(frame, 8, 8.0, shell, core, p, tmp_path / "c.data",
                         potential=POTENTIAL, log_file=None, threads=1, root=ROOT)
    e0, f0 = region.provider(region.x0)
    region.close()
    assert region.max_force > 0.05 and np.abs(f0).max() < 1e-12 and e0 == region.e0
    assert 0 < len(region.tethered) < len(region.x0)      # the outer 3 Å are tethered
    ev, bar = run_artn(big, [9], potential=POTENTIAL, params=params, seed=5, root=ROOT)
    ok = ev[ev.status == "converged"]
    assert len(ok) >= 1 and (ok.barrier > 0).all() and (ok.max_force < 0.05).all()
    assert bar.n_converged.iloc[0] == len(ok) and not [
        r for r in caplog.records if "shell" in r.getMessage()]
