"""ARTn (activation–relaxation technique nouveau): saddle searches from a minimum.

The algorithm of Barkema & Mousseau (1996), Cancès et al. (2009) and pARTn (Jay et al.
2020), written against a small *force provider* interface (:mod:`igd.artn.provider`) so
that it runs on analytic surfaces in tests and on LAMMPS in production
(:mod:`igd.artn.lammps_forces`):

    provider(positions) -> (energy, forces)

``positions`` and ``forces`` are ``(N, d)`` arrays (Å, eV/Å; ``d`` = 3 for atoms, 2 for a
2-D test surface), ``energy`` a float (eV). Positions are never wrapped here: the provider
maps them into its periodic box if it has one. Its pieces: the parameters
(:mod:`igd.artn.params`), the minimum mode (:mod:`igd.artn.lanczos`), the FIRE steps
(:mod:`igd.artn.relax`).

One search (:func:`artn_search`):

1. **Basin**: start at ``x0 + d0`` (``d0`` the initial perturbation, e.g. 0.1 Å on the
   central atom). Repeatedly push by ``push_step`` (Å) along the push direction (the
   initial perturbation, or the growing displacement ``x − x0``: ``push_mode``), then do
   up to ``n_perp_basin`` FIRE steps (restarted after each push) on the force
   perpendicular to it. From push ``lanczos_start`` on, every ``lanczos_every_basin``
   pushes, the lowest Hessian eigenpair is computed by Lanczos (:func:`lanczos_lowest`)
   from finite differences of forces, warm-started from the previous eigenvector.
   Activation when the eigenvalue is below ``eigen_threshold`` (eV/Å²). Few, restarted
   perpendicular steps are deliberate: a fully relaxed push lets the neighbours snap
   past the barrier between two eigenvalue checks and the search never activates.
2. **Saddle**: each iteration moves uphill along the lowest eigenvector ``v`` by
   ``s = −(F·v)/|λ|`` clipped to ``±saddle_step_max`` (Å) — against the parallel force,
   a Newton step on the inverted mode, shrinking by itself near the saddle — together
   with one FIRE step on the force perpendicular to ``v`` (velocity kept across
   iterations), followed by more perpendicular FIRE steps, their number growing from 1 to
   ``n_perp_saddle`` (one more every ``n_perp_growth`` iterations, as pARTn's
   ``nperp_limitation``: relaxing hard right after activation loses the curvature).
   ``v`` and ``λ`` are refreshed every ``lanczos_every_saddle`` iterations. If the
   curvature is lost (λ ≥ 0) the search pushes again away from ``x0`` as in the basin,
   at most ``max_lost_curvature`` times. Converged when the largest per-atom force is
   below ``force_tol`` (eV/Å). With ``fix_translation`` (atoms in a periodic box) every
   relaxation step is also kept free of rigid translation.
3. **Checks**: a last Lanczos gives the eigenvalue at the saddle (must be negative), a
   deflated one the second eigenvalue (must not be below ``second_mode_tol``), the
   barrier ``ΔQ = E_saddle − E_IS`` must exceed ``min_barrier`` and the saddle must have
   moved away from the minimum; optionally (``relax_final``) the side of the saddle
   towards the initial minimum is relaxed until it is decided whether it returns there
   (:mod:`igd.artn.connect`); a saddle whose back side does not is ``not-connected``.

Every failure is a status string, never an exception: ``converged``, ``no-activation``,
``max-iterations``, ``lost-curvature``, ``collapsed``, ``not-saddle``,
``not-connected``, ``higher-order``, ``max-force-calls``, ``error``. Force calls are counted (including the
Lanczos ones).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from igd.artn.connect import check_connected, max_distance
from igd.artn.lanczos import lanczos_lowest
from igd.artn.params import make_params
from igd.artn.provider import BudgetExceeded, CountingProvider, ForceProvider, max_atom_force
from igd.artn.relax import Fire, constraint_basis, make_fire, perp_max_force

log = logging.getLogger(__name__)


@dataclass
class SearchResult:
    """Outcome of one ARTn search (energies eV, eigenvalue eV/Å², lengths Å)."""

    status: str
    barrier: float = np.nan          # E_saddle − E_IS if converged, else NaN
    e_saddle: float = np.nan         # energy at the last point (the saddle if converged)
    eigenvalue: float = np.nan       # lowest eigenvalue at the last point
    eigenvalue_2: float = np.nan     # second eigenvalue at the saddle (second_mode_tol)
    max_force: float = np.nan        # max per-atom |F| at the last point
    force_calls: int = 0
    basin_steps: int = 0
    saddle_steps: int = 0
    max_disp: float = np.nan         # max per-atom |x − x0| at the last point
    n_moved: int = 0                 # atoms with |x − x0| > moved_threshold
    back_energy: float = np.nan      # E − E_IS where the back side's check stopped (relax_final)
    back_distance: float = np.nan    # max per-atom |x − x0| there (relax_final)
    connect_calls: int = 0           # force calls of that check (part of force_calls)
    positions: np.ndarray | None = None
    eigenvector: np.ndarray | None = None   # lowest mode at the saddle (unit, like x)
    message: str = ""


def _push_and_relax(prov, x: np.ndarray, direction: np.ndarray, fire: Fire,
                    p: Mapping[str, Any], *, reset: bool):
    """One push of ``push_step`` along ``direction``, then at most ``n_perp_basin`` FIRE
    steps perpendicular to it. Returns (x, energy, forces)."""
    x = x + p["push_step"] * direction
    e, f = prov(x)
    basis = constraint_basis(direction, p["fix_translation"])
    if reset:
        fire.reset()
    for _ in range(int(p["n_perp_basin"])):
        if perp_max_force(f, basis) < p["force_tol"]:
            break
        x = x + fire.step(f, basis)
        e, f = prov(x)
    return x, e, f


def artn_search(provider: ForceProvider, x0: np.ndarray, e0: float, d0: np.ndarray,
                params: Mapping[str, Any] | None = None) -> SearchResult:
    """One ARTn search from the minimum ``x0`` (energy ``e0``, eV) along perturbation ``d0``.

    ``x0`` and ``d0`` are ``(N, d)`` arrays (Å); ``d0`` is applied as is (its norm is the
    initial displacement). Never raises for a failing search: the status says why.
    """
    p = make_params(params)
    return _guarded(provider, p, lambda prov, res: _search(
        prov, np.asarray(x0, float), float(e0), np.asarray(d0, float), p, res))


def refine_saddle(provider: ForceProvider, x0: np.ndarray, e0: float, x_start: np.ndarray,
                  eigvec: np.ndarray, params: Mapping[str, Any] | None = None) -> SearchResult:
    """Converge a saddle again from a nearby point ``x_start`` (e.g. a saddle found with
    the outer atoms frozen, now embedded where more atoms move); ``eigvec`` starts the
    Lanczos of the lowest mode. Same stages after activation, checks and statuses as
    :func:`artn_search` (``basin_steps`` 0); the perpendicular relaxation runs its full
    ``n_perp_saddle`` steps from the first iteration. Never raises."""
    p = make_params(params)

    def run(prov: CountingProvider, res: SearchResult) -> None:
        x = np.asarray(x_start, float)
        e, f = prov(x)
        lam, vec, _ = lanczos_lowest(prov, x, f, np.asarray(eigvec, float),
                                     h=p["lanczos_h"], max_iter=int(p["lanczos_max_iter"]),
                                     tol=p["lanczos_tol"])
        res.eigenvalue = lam
        growth = max(int(p["n_perp_growth"]), 1) * int(p["n_perp_saddle"])
        _saddle(prov, np.asarray(x0, float), float(e0), x, e, f, vec, lam, p, res,
                make_fire(p), perp_from=growth)

    return _guarded(provider, p, run)


def _guarded(provider: ForceProvider, p: Mapping[str, Any], run) -> SearchResult:
    """``run(counted provider, result)`` with the force budget and every failure turned
    into a status."""
    counted = CountingProvider(provider, p["max_force_calls"])
    res = SearchResult(status="error")
    try:
        run(counted, res)
    except BudgetExceeded:
        res.status = "max-force-calls"
    except Exception as err:  # noqa: BLE001  (a failing search is recorded, not raised)
        res.status = "error"
        res.message = f"{type(err).__name__}: {err}"
        log.warning("ARTn search failed with %s", res.message)
    res.force_calls = counted.calls
    if res.status != "converged":
        res.barrier = np.nan
    return res


def _record(res: SearchResult, x: np.ndarray, x0: np.ndarray, e: float, f: np.ndarray,
            p: Mapping[str, Any]) -> None:
    disp = np.sqrt(((x - x0) ** 2).sum(axis=1))
    res.positions = x
    res.e_saddle = e
    res.max_force = max_atom_force(f)
    res.max_disp = float(disp.max())
    res.n_moved = int((disp > p["moved_threshold"]).sum())


def _search(prov: CountingProvider, x0: np.ndarray, e0: float, d0: np.ndarray,
            p: Mapping[str, Any], res: SearchResult) -> None:
    debug = log.isEnabledFor(logging.DEBUG)
    lanczos_kw = dict(h=p["lanczos_h"], max_iter=int(p["lanczos_max_iter"]), tol=p["lanczos_tol"])
    push0 = d0 / np.linalg.norm(d0)
    x = x0 + d0
    e, f = prov(x)
    fire = make_fire(p)
    eigvec = push0.copy()
    lam = np.inf
    activated = False
    # ---------------------------------------------------------------- basin
    for step in range(int(p["max_basin_steps"]) + 1):
        res.basin_steps = step
        if step >= p["lanczos_start"] and (step - p["lanczos_start"]) % p["lanczos_every_basin"] == 0:
            lam, eigvec, _ = lanczos_lowest(prov, x, f, eigvec, **lanczos_kw)
            if debug:
                log.debug("basin %d: dE %.4f eV, lambda %.4f, |x-x0| %.3f, calls %d", step,
                          e - e0, lam, np.linalg.norm(x - x0), prov.calls)
            if lam < p["eigen_threshold"]:
                activated = True
                break
        if step == p["max_basin_steps"]:
            break
        if p["push_mode"] == "displacement":
            direction = x - x0
            direction /= np.linalg.norm(direction)
        else:
            direction = push0
        x, e, f = _push_and_relax(prov, x, direction, fire, p, reset=p["fire_reset_push"])
    res.eigenvalue = lam
    if not activated:
        _record(res, x, x0, e, f, p)
        res.status = "no-activation"
        return
    _saddle(prov, x0, e0, x, e, f, eigvec, lam, p, res, fire)


def _saddle(prov: CountingProvider, x0: np.ndarray, e0: float, x: np.ndarray, e: float,
            f: np.ndarray, eigvec: np.ndarray, lam: float, p: Mapping[str, Any],
            res: SearchResult, fire: Fire, perp_from: int = 0) -> None:
    """Converge to the saddle from an activated point ``x`` (lowest eigenpair ``lam``,
    ``eigvec``), then check it; fills ``res``. ``perp_from`` (iterations) offsets the
    growth of the perpendicular steps (a refinement starts fully relaxing)."""
    debug = log.isEnabledFor(logging.DEBUG)
    lanczos_kw = dict(h=p["lanczos_h"], max_iter=int(p["lanczos_max_iter"]), tol=p["lanczos_tol"])
    # orient v outward (away from x0) so that successive eigenvectors keep a sign
    if eigvec.ravel() @ (x - x0).ravel() < 0:
        eigvec = -eigvec
    for refine in range(int(p["max_refine"]) + 1):
        fire.reset()
        lost = 0
        converged = False
        for it in range(int(p["max_saddle_steps"])):
            res.saddle_steps = it
            if it > 0 and max_atom_force(f) < p["force_tol"] and lam < 0:
                converged = True
                break
            if it > 0 and (it % p["lanczos_every_saddle"] == 0 or lost > 0):
                new_lam, new_vec, _ = lanczos_lowest(prov, x, f, eigvec, **lanczos_kw)
                if new_vec.ravel() @ eigvec.ravel() < 0:
                    new_vec = -new_vec
                lam, eigvec = new_lam, new_vec
            if lam >= 0:
                # curvature lost: back to pushing away from the minimum, as in the basin
                lost += 1
                if lost > p["max_lost_curvature"]:
                    res.status = "lost-curvature"
                    res.eigenvalue = lam
                    _record(res, x, x0, e, f, p)
                    return
                direction = (x - x0) / np.linalg.norm(x - x0)
                x, e, f = _push_and_relax(prov, x, direction, fire, p, reset=True)
                fire.reset()
                continue
            lost = 0
            f_par = float(f.ravel() @ eigvec.ravel())
            if debug:
                log.debug("saddle %d: dE %.4f eV, lambda %.4f, F_par %.4f, max|F| %.4f, "
                          "|x-x0| %.3f, calls %d", it, e - e0, lam, f_par, max_atom_force(f),
                          np.linalg.norm(x - x0), prov.calls)
            s = float(np.clip(-f_par / abs(lam), -p["saddle_step_max"], p["saddle_step_max"]))
            basis = constraint_basis(eigvec, p["fix_translation"])
            x = x + s * eigvec + fire.step(f, basis)
            e, f = prov(x)
            n_perp = min(int(p["n_perp_saddle"]),
                         1 + (it + perp_from) // max(int(p["n_perp_growth"]), 1))
            for _ in range(n_perp - 1):
                if perp_max_force(f, basis) < p["force_tol"]:
                    break
                x = x + fire.step(f, basis)
                e, f = prov(x)
            if max_distance(x, x0) < p["collapse_tol"]:
                res.status = "collapsed"
                res.eigenvalue = lam
                _record(res, x, x0, e, f, p)
                return
        else:
            res.saddle_steps = int(p["max_saddle_steps"])
            converged = max_atom_force(f) < p["force_tol"] and lam < 0
        _record(res, x, x0, e, f, p)
        if not converged:
            res.status = "max-iterations"
            res.eigenvalue = lam
            return
        # ---------------------------------------------------------------- checks
        lam, eigvec, _ = lanczos_lowest(prov, x, f, eigvec, **lanczos_kw)
        res.eigenvalue, res.eigenvector = lam, eigvec
        barrier = e - e0
        if lam >= 0:
            res.status = "not-saddle"
            return
        if p["second_mode_tol"] is not None:
            # a first-order saddle has one negative eigenvalue: check the second one
            # started from the displacement (localised where the soft modes are)
            lam2, vec2, _ = lanczos_lowest(
                prov, x, f, x - x0, **{**lanczos_kw, "max_iter": 2 * lanczos_kw["max_iter"]},
                deflate=eigvec.reshape(1, -1))
            res.eigenvalue_2 = lam2
            if lam2 < p["second_mode_tol"]:
                res.status = "higher-order"
                if refine == int(p["max_refine"]):
                    return
                # step off along the second mode (downhill in it) and converge again
                x = x + p["refine_kick"] * vec2
                e, f = prov(x)
                continue
        if barrier < p["min_barrier"] or res.max_disp < p["collapse_tol"]:
            res.status = "collapsed"
            return
        if p["relax_final"]:
            conn = check_connected(prov, x, eigvec, x0, e0, p)
            res.connect_calls = conn.calls
            res.back_energy, res.back_distance = conn.energy, conn.distance
            if not conn.connected:
                res.status = "not-connected"
                return
        res.status = "converged"
        res.barrier = barrier
        return
