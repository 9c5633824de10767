"""ARTn (activation–relaxation technique nouveau): saddle searches from a minimum.

The algorithm of Barkema & Mousseau (1996), Cancès et al. (2009) and pARTn (Jay et al.
2020), written against a small *force provider* interface so that it runs on analytic
surfaces in tests and on LAMMPS in production (:mod:`igd.artn.driver`):

    provider(positions) -> (energy, forces)

``positions`` and ``forces`` are ``(N, d)`` arrays (Å, eV/Å; ``d`` = 3 for atoms, 2 for a
2-D test surface), ``energy`` a float (eV). Positions are never wrapped here: the provider
maps them into its periodic box if it has one.

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
   moved away from the minimum; optionally (``relax_final``) both sides of the saddle are
   relaxed to minima and a saddle whose two sides lead back to the initial minimum
   (``leads-back``), or neither (``not-connected``), is rejected.

Every failure is a status string, never an exception: ``converged``, ``no-activation``,
``max-iterations``, ``lost-curvature``, ``collapsed``, ``not-saddle``, ``leads-back``,
``not-connected``, ``higher-order``, ``max-force-calls``, ``error``. Force calls are counted (including the
Lanczos ones).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np

log = logging.getLogger(__name__)

ForceProvider = Callable[[np.ndarray], tuple[float, np.ndarray]]

#: Default parameters (the IGD paper's values where it states them, else *our choice*).
DEFAULT_PARAMS: dict[str, Any] = {
    # --- driver (used by igd.artn.driver.run_artn) ---
    "n_events": 24,              # searches per atom (paper: 24)
    "max_attempts": 10,          # tries per event (a failed try is retried, new direction;
    #   ~65 % of tries converge, independently of earlier failures: 10 leave ~3e-5 of the
    #   events without a barrier, i.e. nearly every atom gets all of its n_events)
    "perturb_norm": 0.1,         # Å, norm of the initial perturbation (paper: 0.1 Å)
    "perturb_radius": 2.0,       # Å, neighbours within this radius join the perturbation ...
    "perturb_neighbors": False,  # ... only if True (paper: central atom only)
    # --- basin ---
    "push_step": 0.15,           # Å, push increment (paper: 0.15 Å)
    "push_mode": "initial",      # "initial": along d0; "displacement": along x − x0
    "n_perp_basin": 6,           # perpendicular FIRE steps after each push (at most)
    "fire_reset_push": True,     # restart FIRE (zero velocity) after every push
    "fix_translation": True,     # relaxations keep the centre of the system fixed
    "max_basin_steps": 40,       # pushes before giving up ("no-activation")
    "lanczos_start": 2,          # first push after which the eigenvalue is computed
    "lanczos_every_basin": 1,    # pushes between eigenvalue computations in the basin
    "eigen_threshold": -0.30,    # eV/Å², activation threshold (paper: −0.30)
    # --- Lanczos ---
    "lanczos_h": 0.005,          # Å, finite-difference step of Hessian–vector products
    "lanczos_max_iter": 16,      # Krylov vectors at most
    "lanczos_tol": 0.01,         # eV/Å², stop when the lowest Ritz value moves less
    # --- saddle ---
    "saddle_step_max": 0.1,      # Å, largest step along the eigenvector
    "lanczos_every_saddle": 2,   # iterations between eigenpair refreshes
    "n_perp_saddle": 3,          # perpendicular FIRE steps per iteration (1: with the step)
    "n_perp_growth": 6,          # ... reached gradually: +1 every n_perp_growth iterations
    "max_saddle_steps": 400,     # iterations before "max-iterations"
    "max_lost_curvature": 4,     # re-pushes (eigenvalue ≥ 0 after activation) before failing
    "force_tol": 0.05,           # eV/Å, converged when max per-atom |F| is below (paper)
    "second_mode_tol": -0.05,    # eV/Å², 2nd eigenvalue below: "higher-order" (None: skip)
    "max_refine": 2,             # ... then kick along the 2nd mode and re-converge, this often
    "refine_kick": 0.3,          # Å, size of that kick
    # --- FIRE (unit mass; dt in Å·eV^-1/2, displacement per step ~ dt² F) ---
    "fire_dt": 0.2,
    "fire_dt_max": 0.3,
    "max_move": 0.1,             # Å, largest per-atom displacement of one relaxation step
    # --- checks and bookkeeping ---
    "max_force_calls": 2000,     # hard budget per search ("max-force-calls")
    "min_barrier": 1e-3,         # eV, smaller barriers count as "collapsed"
    "collapse_tol": 0.05,        # Å, saddle whose max displacement from x0 is below: collapsed
    "moved_threshold": 0.1,      # Å, an atom "moved" if displaced more at the saddle
    "relax_final": False,        # relax both sides of the saddle to reject leading back
    "final_push": 0.1,           # Å, displacement off the saddle along ±v before relaxing
    "final_force_tol": 0.01,     # eV/Å, minimisation tolerance on each side
    "max_relax_steps": 1000,     # FIRE steps per side
    "same_minimum_tol": 0.1,     # Å, max per-atom distance for "same minimum as x0"
    # --- local mode (igd.artn.driver.search_atoms_local) ---
    "local": False,              # search on a carved sphere instead of the whole box
    "local_radius": 20.0,        # Å, atoms closer to the central atom move (20 Å, no
    #   frozen shell, force offset and tether, 18 000-atom replica: median
    #   |ΔQ_local − ΔQ_full| 0.009 eV at the same force tolerance: bench_artn_local.py)
    "frozen_shell": 0.0,         # Å, fixed shell around them; None: exact for EAM,
    #   max(pair range, 2 × density range) + local_margin (12.5 Å for Mendelev CuZr);
    #   thinner than exact only with local_force_offset; 0: none (the tether holds
    #   the surface)
    "local_refine_radius": None, # Å, re-converge every saddle with the atoms this close
    #   moving (a second, larger cluster; None: no refinement): the frozen boundary's
    #   bias falls with the radius while the search's calls stay on the small cluster
    "local_refine_force_tol": None,  # eV/Å, force tolerance of that refinement (None:
    #   force_tol). A saddle at 0.05 eV/Å sits a median ~0.1 eV above the same saddle at
    #   0.005 eV/Å (bench_artn_local --tight), more than a 20 Å frozen boundary costs
    "local_force_offset": True,  # flexible boundary: subtract each active atom's force at
    #   the carved IS (igd.artn.driver.ForceOffset), so a thin frozen_shell will do and
    #   atoms far beyond the exact shell can relax
    "local_tether": 1.5,         # eV/Å², springs tying the outermost active atoms to their
    #   IS positions (0: none): the stiffness of the neighbours a thin shell leaves out
    "local_tether_width": 3.0,   # Å, the tethered layer: active atoms this close to
    #   local_radius
    "local_margin": 0.5,         # Å, added to the exact shell and to the exclusion core
    "local_exclude": True,       # drop interactions among frozen atoms out of reach of
    #   every active atom's density (exact, faster)
    "local_padding": 12.0,       # Å, vacuum around the carved cluster in its box
}


def make_params(params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Defaults updated with ``params``; unknown keys are an error (catch config typos)."""
    out = dict(DEFAULT_PARAMS)
    unknown = sorted(set(params or {}) - set(out) - _DRIVER_ONLY)
    if unknown:
        raise ValueError(f"unknown ARTn parameter(s) {unknown}; known: {sorted(out)}")
    out.update(params or {})
    if out["push_mode"] not in ("initial", "displacement"):
        raise ValueError(f"push_mode must be 'initial' or 'displacement', got {out['push_mode']!r}")
    return out


# keys the driver accepts in the same dict (not algorithm parameters)
_DRIVER_ONLY: set[str] = set()


class _BudgetExceeded(Exception):
    pass


class CountingProvider:
    """Wrap a provider: count calls, enforce a budget, reject non-finite results."""

    def __init__(self, provider: ForceProvider, budget: int):
        self.provider = provider
        self.budget = int(budget)
        self.calls = 0

    def __call__(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        if self.calls >= self.budget:
            raise _BudgetExceeded
        self.calls += 1
        e, f = self.provider(x)
        f = np.asarray(f, dtype=float)
        if not np.isfinite(e) or not np.all(np.isfinite(f)):
            raise FloatingPointError(f"non-finite energy/forces at force call {self.calls}")
        return float(e), f


def max_atom_force(forces: np.ndarray) -> float:
    """Largest per-atom force norm (eV/Å) of an ``(N, d)`` array."""
    return float(np.sqrt((forces * forces).sum(axis=1)).max())


def _project_out(vec: np.ndarray, basis: np.ndarray | None) -> np.ndarray:
    """``vec`` without its components on the orthonormal rows of ``basis`` (k, vec.size)."""
    if basis is None:
        return vec
    flat = vec.ravel()
    return (flat - basis.T @ (basis @ flat)).reshape(vec.shape)


def constraint_basis(direction: np.ndarray, fix_translation: bool) -> np.ndarray:
    """Orthonormal rows spanning ``direction`` and, if ``fix_translation``, the rigid
    translations (one per Cartesian axis): the directions a perpendicular relaxation
    must not move along. Without the translations, relaxing "perpendicular" to a push
    of one atom lets the whole system drift after it and the push never activates."""
    n, d = direction.shape
    rows = [direction.ravel()]
    if fix_translation and n > 1:
        for k in range(d):
            t = np.zeros((n, d))
            t[:, k] = 1.0
            rows.append(t.ravel())
    q, _ = np.linalg.qr(np.array(rows).T)
    return q.T


def _perp_max_force(forces: np.ndarray, basis: np.ndarray | None) -> float:
    """Largest per-atom norm of the force with the ``basis`` components removed."""
    return max_atom_force(_project_out(forces, basis))


def lanczos_lowest(provider: ForceProvider, x: np.ndarray, f_x: np.ndarray,
                   v0: np.ndarray, *, h: float, max_iter: int, tol: float,
                   deflate: np.ndarray | None = None) -> tuple[float, np.ndarray, int]:
    """Lowest Hessian eigenpair at ``x`` by Lanczos on finite-difference products.

    ``H q ≈ −(F(x + h q) − F(x)) / h`` with unit ``q`` (one force call per product;
    ``f_x`` = F(x) is given). Full re-orthogonalisation. Stops when the lowest Ritz value
    changes by less than ``tol`` (eV/Å²) or after ``max_iter`` products. ``deflate``
    (orthonormal rows, ``(k, x.size)``) restricts the search to their orthogonal
    complement: with the lowest eigenvector there, it gives the second eigenpair.

    Returns ``(eigenvalue eV/Å², unit eigenvector shaped like x, force calls)``.
    """
    shape = x.shape
    q = np.asarray(v0, dtype=float).ravel().copy()
    if deflate is not None:
        q -= deflate.T @ (deflate @ q)
    nq = np.linalg.norm(q)
    if nq == 0:
        raise ValueError("Lanczos start vector is zero")
    q /= nq
    basis = [q]
    alphas: list[float] = []
    betas: list[float] = []
    theta_old = np.inf
    theta, y = np.inf, np.array([1.0])
    calls = 0
    f_x = f_x.ravel()
    for k in range(max_iter):
        _, f_h = provider(x + h * basis[k].reshape(shape))
        calls += 1
        w = -(f_h.ravel() - f_x) / h
        alphas.append(float(basis[k] @ w))
        t = np.diag(alphas)
        if betas:
            t += np.diag(betas, 1) + np.diag(betas, -1)
        evals, evecs = np.linalg.eigh(t)
        theta, y = float(evals[0]), evecs[:, 0]
        if k > 0 and abs(theta - theta_old) < tol:
            break
        theta_old = theta
        q_mat = np.array(basis) if deflate is None else np.vstack([deflate, basis])
        w -= q_mat.T @ (q_mat @ w)          # full re-orthogonalisation (twice is enough)
        w -= q_mat.T @ (q_mat @ w)
        beta = float(np.linalg.norm(w))
        if beta < 1e-10 or k == max_iter - 1:
            break
        betas.append(beta)
        basis.append(w / beta)
    v = np.array(basis[:len(y)]).T @ y
    v /= np.linalg.norm(v)
    return theta, v.reshape(shape), calls


@dataclass
class _Fire:
    """FIRE (Bitzek et al. 2006) with unit mass, optionally perpendicular to a direction."""

    dt: float
    dt_max: float
    max_move: float
    alpha0: float = 0.1
    n_min: int = 5
    f_inc: float = 1.1
    f_dec: float = 0.5
    f_alpha: float = 0.99
    vel: np.ndarray | None = None
    alpha: float = field(default=0.1)
    n_pos: int = 0

    def reset(self) -> None:
        self.vel = None
        self.alpha = self.alpha0
        self.n_pos = 0

    def step(self, force: np.ndarray, basis: np.ndarray | None = None) -> np.ndarray:
        """Displacement (Å) for this step; the orthonormal rows of ``basis`` are
        projected out of force and velocity."""
        force = _project_out(force, basis)
        if self.vel is None:
            self.vel = np.zeros_like(force)
        vel = self.vel
        vel = _project_out(vel, basis)
        power = float(vel.ravel() @ force.ravel())
        if power > 0:
            fn = np.linalg.norm(force)
            if fn > 0:
                vel = (1 - self.alpha) * vel + self.alpha * np.linalg.norm(vel) * force / fn
            self.n_pos += 1
            if self.n_pos > self.n_min:
                self.dt = min(self.dt * self.f_inc, self.dt_max)
                self.alpha *= self.f_alpha
        else:
            vel = np.zeros_like(vel)
            self.dt *= self.f_dec
            self.alpha = self.alpha0
            self.n_pos = 0
        vel = vel + self.dt * force
        dx = self.dt * vel
        norms = np.sqrt((dx * dx).sum(axis=1))
        big = norms.max()
        if big > self.max_move:
            dx *= self.max_move / big
            vel *= self.max_move / big
        self.vel = vel
        return dx


def _fire(p: Mapping[str, Any]) -> _Fire:
    return _Fire(dt=p["fire_dt"], dt_max=p["fire_dt_max"], max_move=p["max_move"])


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
    e_final: float = np.nan          # energy of the minimum beyond the saddle (relax_final)
    positions: np.ndarray | None = None
    eigenvector: np.ndarray | None = None   # lowest mode at the saddle (unit, like x)
    message: str = ""


def relax(provider: ForceProvider, x: np.ndarray, p: Mapping[str, Any]
          ) -> tuple[np.ndarray, float, np.ndarray, bool]:
    """FIRE minimisation to max per-atom |F| < ``final_force_tol``. Returns (x, E, F, ok)."""
    fire = _fire(p)
    e, f = provider(x)
    for _ in range(int(p["max_relax_steps"])):
        if max_atom_force(f) < p["final_force_tol"]:
            return x, e, f, True
        x = x + fire.step(f)
        e, f = provider(x)
    return x, e, f, max_atom_force(f) < p["final_force_tol"]


def _push_and_relax(prov, x: np.ndarray, direction: np.ndarray, fire: "_Fire",
                    p: Mapping[str, Any], *, reset: bool):
    """One push of ``push_step`` along ``direction``, then at most ``n_perp_basin`` FIRE
    steps perpendicular to it. Returns (x, energy, forces)."""
    x = x + p["push_step"] * direction
    e, f = prov(x)
    basis = constraint_basis(direction, p["fix_translation"])
    if reset:
        fire.reset()
    for _ in range(int(p["n_perp_basin"])):
        if _perp_max_force(f, basis) < p["force_tol"]:
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
        _saddle(prov, np.asarray(x0, float), float(e0), x, e, f, vec, lam, p, res, _fire(p),
                perp_from=growth)

    return _guarded(provider, p, run)


def _guarded(provider: ForceProvider, p: Mapping[str, Any], run) -> SearchResult:
    """``run(counted provider, result)`` with the force budget and every failure turned
    into a status."""
    counted = CountingProvider(provider, p["max_force_calls"])
    res = SearchResult(status="error")
    try:
        run(counted, res)
    except _BudgetExceeded:
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
    fire = _fire(p)
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
            res: SearchResult, fire: "_Fire", perp_from: int = 0) -> None:
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
                if _perp_max_force(f, basis) < p["force_tol"]:
                    break
                x = x + fire.step(f, basis)
                e, f = prov(x)
            if np.sqrt(((x - x0) ** 2).sum(axis=1)).max() < p["collapse_tol"]:
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
            same = []
            energies = []
            for sign in (1.0, -1.0):
                xm, em, _, _ = relax(prov, x + sign * p["final_push"] * eigvec, p)
                same.append(np.sqrt(((xm - x0) ** 2).sum(axis=1)).max() < p["same_minimum_tol"])
                energies.append(em)
            if all(same):
                res.status = "leads-back"
                return
            if not any(same):
                res.status = "not-connected"
                return
            res.e_final = energies[1] if same[0] else energies[0]
        res.status = "converged"
        res.barrier = barrier
        return
