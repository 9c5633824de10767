"""Boundary models of a carved ARTn cluster: wrappers of a force provider.

:class:`ForceOffset` makes the carved IS stationary (the flexible boundary,
``local_force_offset``); :class:`Tether` adds springs on the atoms near the sphere's
surface (``local_tether``). The local mode as a whole: :mod:`igd.artn.region`.
"""

from __future__ import annotations

import numpy as np


class ForceOffset:
    """``provider`` minus its forces at ``x0``: forces ``F(x) − F(x0)``, energy
    ``E(x) + F(x0)·(x − x0)`` (consistent: minus its gradient is those forces), so ``x0``
    is stationary whatever ``provider`` does there.

    For a carved cluster (flexible boundary, ``local_force_offset``): the atoms near its
    surface miss neighbours, so at the bulk IS they feel spurious forces; subtracting them
    makes the carved IS a stationary point again and leaves the *changes* of force under
    a displacement right to first order (the missing neighbours alter the Hessian only
    near the surface). Atoms well beyond the exact EAM shell can then move, which lets the
    elastic field of a saddle relax much farther out for the same cluster.
    """

    def __init__(self, provider, x0: np.ndarray, f0: np.ndarray | None = None):
        self.provider, self.x0 = provider, np.array(x0, dtype=float)
        if f0 is None:                      # else: ``provider``'s forces at x0, known
            f0 = provider(self.x0)[1]
        self.f0 = np.array(f0, dtype=float)

    def reset(self, positions: np.ndarray) -> None:
        self.provider.reset(positions)

    def __call__(self, positions: np.ndarray) -> tuple[float, np.ndarray]:
        e, f = self.provider(positions)
        return (float(e) + float(np.sum(self.f0 * (np.asarray(positions) - self.x0))),
                f - self.f0)


class Tether:
    """``provider`` plus springs ``k`` (eV/Å²) tying ``rows`` to their positions in ``x0``:
    energy ``E + k/2 Σ |x_i − x0_i|²``, forces ``F − k (x − x0)`` on those rows. Zero at
    ``x0``, so a stationary ``x0`` stays one."""

    def __init__(self, provider, x0: np.ndarray, rows: np.ndarray, k: float):
        self.provider, self.k = provider, float(k)
        self.rows = np.asarray(rows)
        self.x0 = np.array(x0, dtype=float)[self.rows]

    def reset(self, positions: np.ndarray) -> None:
        self.provider.reset(positions)

    def __call__(self, positions: np.ndarray) -> tuple[float, np.ndarray]:
        e, f = self.provider(positions)
        u = np.asarray(positions)[self.rows] - self.x0
        f = np.array(f, dtype=float)
        f[self.rows] -= self.k * u
        return float(e) + 0.5 * self.k * float(np.sum(u * u)), f
