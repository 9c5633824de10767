"""ARTn parameters: the defaults (the IGD paper's values where it states them) and their
validation. Lengths Å, energies eV, curvatures eV/Å², forces eV/Å; the config section
``artn.search`` holds the same keys (``config/schema.yaml``)."""

from __future__ import annotations

from typing import Any, Mapping

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
    "relax_final": True,         # check that the saddle connects to x0: relax its back side
    #   (the side towards x0) until decided (igd.artn.connect); else "not-connected"
    "final_push": 0.1,           # Å, displacement off the saddle along −v before relaxing
    "final_force_tol": 0.01,     # eV/Å, a back side relaxed this far is at its minimum
    "max_relax_steps": 1000,     # FIRE steps of the back side at most (then: not connected)
    "same_minimum_tol": 0.3,     # Å, max per-atom distance from x0 of "the same minimum"
    #   (0.3 Å agrees with an L-BFGS relaxation into the IS on 92.7 % of 110 back sides)
    "connect_energy_tol": 0.02,  # eV, |E − E_IS| of "the same minimum" (FIRE stops back
    #   sides 7–10 meV above E_IS along soft modes: bench_artn_backside.py)
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
    #   the carved IS (igd.artn.boundary.ForceOffset), so a thin frozen_shell will do and
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
