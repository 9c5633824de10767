"""The force-provider interface of the ARTn search.

A force provider is any callable ::

    provider(positions) -> (energy, forces)

with ``positions`` and ``forces`` ``(N, d)`` arrays (Å, eV/Å; ``d`` = 3 for atoms, 2 for a
2-D test surface) and ``energy`` a float (eV): an analytic surface in tests, LAMMPS in
production (:class:`igd.artn.lammps_forces.LammpsForces`), or a wrapper of another
provider (:mod:`igd.artn.region`, :mod:`igd.artn.boundary`). A provider may also have
``reset(positions)`` (called before every search). Positions are never wrapped by the
search: the provider maps them into its periodic box if it has one.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

ForceProvider = Callable[[np.ndarray], tuple[float, np.ndarray]]


class BudgetExceeded(Exception):
    """A :class:`CountingProvider` was called beyond its budget."""


class CountingProvider:
    """Wrap a provider: count calls, enforce a budget, reject non-finite results."""

    def __init__(self, provider: ForceProvider, budget: int):
        self.provider = provider
        self.budget = int(budget)
        self.calls = 0

    def __call__(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        if self.calls >= self.budget:
            raise BudgetExceeded
        self.calls += 1
        e, f = self.provider(x)
        f = np.asarray(f, dtype=float)
        if not np.isfinite(e) or not np.all(np.isfinite(f)):
            raise FloatingPointError(f"non-finite energy/forces at force call {self.calls}")
        return float(e), f


def max_atom_force(forces: np.ndarray) -> float:
    """Largest per-atom force norm (eV/Å) of an ``(N, d)`` array."""
    return float(np.sqrt((forces * forces).sum(axis=1)).max())
