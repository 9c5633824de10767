"""Does an ARTn saddle connect to the initial minimum? The check of ``relax_final``.

A saddle found from the inherent structure (IS) ``x0`` connects to it if its *back side*
— the side towards ``x0``: the saddle moved by ``final_push`` (Å) along ∓v, with v the
lowest mode pointing away from ``x0`` — relaxes into the IS's neighbourhood:

    |E − E_IS| ≤ connect_energy_tol (eV)  and  max_i |x_i − x0_i| ≤ same_minimum_tol (Å).

A glass's IS has near-degenerate neighbours, and FIRE stops short of minima along soft
modes. On the default glasses (``benchmarks/bench_artn_backside.py``, 110 saddles of s0,
s1, s2) FIRE at ``final_force_tol`` 0.01 eV/Å leaves the back sides that L-BFGS then takes
to the IS itself (56 %) a few meV above E_IS and up to ~0.2 Å away — what the old 0.1 Å
check called "another minimum"; 44 % end elsewhere: below E_IS, in a neighbouring
sub-basin (≤ 39 meV up) or in another basin (median 0.99 eV up, 2.9 Å away). So
"connected" means *the back side relaxes to the IS itself*, decided without converging:
0.02 eV and 0.3 Å agree with L-BFGS on 102 of the 110 (6 of the others end 0.95 meV and
≤ 0.15 Å from the IS, in one sub-basin, and count as connected).

Only the back side is relaxed, by FIRE (``final_force_tol``, ``max_relax_steps``), and it
stops as soon as the answer is known:

* **connected** at the first point within both tolerances;
* **not connected** once the energy falls below E_IS − ``connect_energy_tol`` (FIRE goes
  downhill: the side ends in a lower minimum), or once it has converged to a minimum
  outside the tolerances, or after ``max_relax_steps`` (undecided counts as not
  connected).

The forward side is not relaxed: a barrier needs the saddle and the IS only (measured:
no forward side of those saddles came within 1.8 Å of the IS).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from igd.artn.provider import ForceProvider, max_atom_force
from igd.artn.relax import relax

#: why the check decided as it did (``Connection.reason``)
REASONS = ("within", "below", "elsewhere", "undecided")


@dataclass
class Connection:
    """Outcome of :func:`check_connected`: ``connected``, its ``reason`` (one of
    :data:`REASONS`), energy above E_IS (``energy``, eV) and largest atom distance from the
    IS (``distance``, Å) of the last point, and the force calls spent."""

    connected: bool
    reason: str
    energy: float
    distance: float
    calls: int


def max_distance(x: np.ndarray, x0: np.ndarray) -> float:
    """Largest per-atom distance (Å) between ``(N, d)`` positions ``x`` and ``x0``
    (unwrapped: the search never wraps)."""
    return max_atom_force(x - x0)   # the same largest row norm


def back_side(x_saddle: np.ndarray, x0: np.ndarray, eigvec: np.ndarray, push: float
              ) -> np.ndarray:
    """The start of the back side: ``x_saddle`` moved by ``push`` (Å) along the lowest
    mode ``eigvec`` (unit, either sign), towards ``x0``."""
    sign = -1.0 if eigvec.ravel() @ (x_saddle - x0).ravel() > 0 else 1.0
    return x_saddle + sign * push * eigvec


def near_minimum(x: np.ndarray, e: float, x0: np.ndarray, e0: float,
                 p: Mapping[str, Any]) -> bool:
    """True if ``x`` (energy ``e``, eV) is within the IS's tolerances (``connect_energy_tol``
    eV, ``same_minimum_tol`` Å) of ``x0`` (energy ``e0``)."""
    return abs(e - e0) <= p["connect_energy_tol"] and \
        max_distance(x, x0) <= p["same_minimum_tol"]


def check_connected(provider: ForceProvider, x_saddle: np.ndarray, eigvec: np.ndarray,
                    x0: np.ndarray, e0: float, p: Mapping[str, Any]) -> Connection:
    """Relax the back side of the saddle ``x_saddle`` (lowest mode ``eigvec``) until it is
    decided whether it returns to the IS ``x0`` (energy ``e0``); see the module doc."""
    calls = 0
    state = {"reason": "undecided", "e": np.nan, "x": x_saddle}

    def watch(x: np.ndarray, e: float, f: np.ndarray) -> bool:
        nonlocal calls
        calls += 1
        state["e"], state["x"] = e, x
        if near_minimum(x, e, x0, e0, p):
            state["reason"] = "within"
        elif e < e0 - p["connect_energy_tol"]:
            state["reason"] = "below"
        elif max_atom_force(f) < p["final_force_tol"]:
            state["reason"] = "elsewhere"
        return state["reason"] != "undecided"

    relax(provider, back_side(x_saddle, x0, eigvec, p["final_push"]), p, watch)
    return Connection(state["reason"] == "within", state["reason"], state["e"] - e0,
                      max_distance(state["x"], x0), calls)
