"""The connectivity check of ARTn (``relax_final``, :mod:`igd.artn.connect`) on planted
surfaces: within / outside the tolerances, the three early exits and their force calls."""

from __future__ import annotations

import numpy as np
import pytest
from test_artn import MB_MINIMA, MB_PARAMS, MB_SADDLES, _mb_minimum, muller_brown

from igd.artn.connect import back_side, check_connected, max_distance, near_minimum
from igd.artn.params import make_params
from igd.artn.relax import relax
from igd.artn.search import artn_search

TOLS = {"same_minimum_tol": 0.1, "connect_energy_tol": 0.01}  # planted, not the defaults


def tilted_double_well(pos: np.ndarray) -> tuple[float, np.ndarray]:
    """E = (x² − 1)² + 0.3 x + y² on a (1, 2) array: a lower minimum near x = −1.04
    (E ≈ −0.30), a higher one near x = +0.96 (E ≈ +0.29), the saddle near x = 0.075."""
    x, y = pos[0]
    e = (x * x - 1) ** 2 + 0.3 * x + y * y
    return e, -np.array([[4 * x * (x * x - 1) + 0.3, 2 * y]])


def _counted(provider):
    """``provider`` that counts its calls in ``.calls``."""
    def call(x):
        call.calls += 1
        return provider(x)
    call.calls = 0
    return call


def test_near_minimum_is_both_tolerances():
    p = make_params(TOLS)
    x0 = np.zeros((4, 3))
    x = x0.copy()
    x[2] = [0.06, 0.0, 0.08]              # 0.1 Å exactly: within
    assert max_distance(x, x0) == pytest.approx(0.1)
    assert near_minimum(x, 0.009, x0, 0.0, p) and near_minimum(x, -0.01, x0, 0.0, p)
    assert not near_minimum(x, 0.011, x0, 0.0, p)       # too high
    x[2, 0] = 0.061                        # just outside in distance
    assert not near_minimum(x, 0.0, x0, 0.0, p)


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_back_side_steps_towards_x0_whatever_the_sign_of_the_mode(sign):
    x0 = np.zeros((2, 3))
    xs = np.array([[1.0, 0, 0], [0, 0, 0]])
    v = sign * np.array([[1.0, 0, 0], [0, 0, 0]])
    start = back_side(xs, x0, v, 0.1)
    assert start[0, 0] == pytest.approx(0.9) and max_distance(start, x0) < 1.0


def test_harmonic_well_exits_at_the_first_point_within_tolerance():
    """A saddle-less planted case: the back side starts 0.5 Å from x0 in a harmonic
    well; the check stops at the first FIRE point within 0.1 Å and 0.01 eV — its calls
    are that point's index + 1, fewer than the full relaxation to 0.01 eV/Å."""
    k = 2.0
    x0 = np.array([[0.0, 0.0, 0.0], [3.0, 0.0, 0.0]])

    def well(x):
        return 0.5 * k * float(((x - x0) ** 2).sum()), -k * (x - x0)

    p = make_params(TOLS)
    xs = x0 + np.array([[0.6, 0.0, 0.0], [0.0, 0.0, 0.0]])
    v = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    path = []
    relax(well, back_side(xs, x0, v, p["final_push"]), p,
          lambda x, e, f: path.append((e, max_distance(x, x0))) and False)
    first = next(i for i, (e, d) in enumerate(path) if d <= 0.1 and e <= 0.01)
    prov = _counted(well)
    conn = check_connected(prov, xs, v, x0, 0.0, p)
    assert conn.connected and conn.reason == "within"
    assert conn.calls == prov.calls == first + 1 < len(path)
    assert conn.distance <= 0.1 and abs(conn.energy) <= 0.01


def test_tilted_double_well_connected_below_and_elsewhere():
    """The higher minimum x0 of a tilted double well: its own saddle connects; a "saddle"
    whose back side runs into the lower minimum is decided as soon as the energy falls
    below E_IS − tol; with a tolerance of 0 the side is decided only at its minimum."""
    from scipy.optimize import minimize_scalar
    xm = minimize_scalar(lambda q: tilted_double_well(np.array([[q, 0.0]]))[0],
                         bounds=(0.5, 1.5), method="bounded", options={"xatol": 1e-10}).x
    xs = minimize_scalar(lambda q: -tilted_double_well(np.array([[q, 0.0]]))[0],
                         bounds=(-0.5, 0.5), method="bounded", options={"xatol": 1e-10}).x
    x0 = np.array([[xm, 0.0]])
    e0 = tilted_double_well(x0)[0]
    v = np.array([[1.0, 0.0]])
    p = make_params({**TOLS, "fix_translation": False})
    conn = check_connected(tilted_double_well, np.array([[xs, 0.0]]), v, x0, e0, p)
    assert conn.connected and conn.reason == "within"

    prov = _counted(tilted_double_well)
    fake = np.array([[-0.3, 0.0]])        # downhill to the lower minimum at x ≈ −1.04
    conn = check_connected(prov, fake, v, x0, e0, p)
    assert not conn.connected and conn.reason == "below" and conn.energy < -0.01
    full = _counted(tilted_double_well)
    xe, _, _, ok = relax(full, back_side(fake, x0, v, p["final_push"]), p)
    assert ok and xe[0, 0] < -1.0 and conn.calls == prov.calls < full.calls

    strict = {**p, "same_minimum_tol": 0.0}
    conn = check_connected(tilted_double_well, np.array([[xs, 0.0]]), v, x0, e0, strict)
    assert not conn.connected and conn.reason == "elsewhere"
    assert conn.distance < 1e-2 and abs(conn.energy) < 1e-3   # the IS itself, but d > 0

    capped = {**p, "max_relax_steps": 2}
    conn = check_connected(tilted_double_well, fake + 0.5, v, x0, e0, capped)
    assert conn.reason == "undecided" and conn.calls == 3 and not conn.connected


@pytest.mark.parametrize("imin,angle", [(1, 2.36), (2, 1.57)])
def test_muller_brown_saddles_connect_and_count_their_calls(imin, angle):
    """artn_search with relax_final on Müller–Brown: the saddle of the push connects to
    its minimum (back side within tolerance), the check's calls are in force_calls; with
    the minimum replaced by one the saddle does not join, it is not connected."""
    x0 = _mb_minimum(MB_MINIMA[imin])
    e0, _ = muller_brown(x0)
    d0 = 0.05 * np.array([[np.cos(angle), np.sin(angle)]])
    base = artn_search(muller_brown, x0, e0, d0, MB_PARAMS)
    on = {**MB_PARAMS, "relax_final": True, "same_minimum_tol": 0.01,
          "connect_energy_tol": 0.005, "final_push": 0.02, "final_force_tol": 1e-3}
    res = artn_search(muller_brown, x0, e0, d0, on)
    assert base.status == res.status == "converged"
    assert res.barrier == base.barrier and 0 < res.connect_calls
    assert res.force_calls == base.force_calls + res.connect_calls
    assert res.back_distance <= 0.01 and abs(res.back_energy) <= 0.005
    # saddle 0 joins minima 0 and 2, saddle 1 minima 1 and 2: take the one it does not
    k = int(np.argmin(np.linalg.norm(MB_SADDLES - res.positions[0], axis=1)))
    other = _mb_minimum(MB_MINIMA[1 if k == 0 else 0])
    conn = check_connected(muller_brown, res.positions, res.eigenvector, other,
                           muller_brown(other)[0], make_params(on))
    assert not conn.connected and conn.reason in ("below", "elsewhere"), (k, conn)
