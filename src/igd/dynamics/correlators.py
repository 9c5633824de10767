"""Averages of displacements: MSD, non-Gaussian α2, self-intermediate scattering F_s and
the α-relaxation time τ_α, per atom group, averaged over atoms and time origins.

The per-atom quantities are the origin-averaged moments of the displacement over a lag
τ_k (:class:`Moments`): ⟨|Δr_i|²⟩, ⟨|Δr_i|⁴⟩ and ⟨sin(q|Δr_i|)/(q|Δr_i|)⟩, each of shape
(n_atoms, n_lags), with Δr_i = r_i(t0 + τ_k) − r_i(t0) averaged over the origins t0
(:class:`OriginAverager` streams them from a run; :meth:`Moments.from_displacements`
builds them from one origin's displacements (N, K, 3)). Every group average is linear in
them, so the group MSD, α2 = 3⟨Δr⁴⟩/(5⟨Δr²⟩²) − 1 and F_s of any atom selection (boolean
mask or index array; e.g. an IGD bin) follow exactly; :func:`group_dynamics` does it for
named groups. Units: Å², Å⁴, q in Å⁻¹, t in ps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

INV_E = math.exp(-1.0)


def _sinc_q(r2: np.ndarray, q: float) -> np.ndarray:
    """sin(q r)/(q r) of r = √r2 (1 at r = 0)."""
    return np.sinc(q * np.sqrt(r2) / np.pi)  # np.sinc(x) = sin(πx)/(πx)


@dataclass(frozen=True)
class Moments:
    """Per-atom moments of the displacement over each lag, averaged over the origins.

    ``r2`` ⟨|Δr|²⟩ (Å²), ``r4`` ⟨|Δr|⁴⟩ (Å⁴), ``fs`` ⟨sin(q|Δr|)/(q|Δr|)⟩ at ``q`` (Å⁻¹),
    each (n_atoms, n_lags).
    """

    r2: np.ndarray
    r4: np.ndarray
    fs: np.ndarray
    q: float

    def __post_init__(self) -> None:
        shapes = {np.shape(self.r2), np.shape(self.r4), np.shape(self.fs)}
        if len(shapes) != 1 or len(next(iter(shapes))) != 2:
            raise ValueError(f"r2, r4, fs must share one (n_atoms, n_lags) shape, got {shapes}")

    @property
    def n_atoms(self) -> int:
        return int(self.r2.shape[0])

    @classmethod
    def from_displacements(cls, disp: np.ndarray, q: float) -> "Moments":
        """The moments of one origin's displacements ``disp`` (N, K, 3), Å."""
        disp = np.asarray(disp, dtype=float)
        if disp.ndim != 3 or disp.shape[2] != 3:
            raise ValueError(f"displacements must have shape (n_atoms, n_times, 3), "
                             f"got {disp.shape}")
        r2 = np.einsum("itd,itd->it", disp, disp)
        return cls(r2, r2 * r2, _sinc_q(r2, q), float(q))

    @classmethod
    def concat(cls, parts: Sequence["Moments"]) -> "Moments":
        """The atoms of several samples on one lag grid and q, stacked."""
        if len({p.q for p in parts}) != 1:
            raise ValueError("moments with different q cannot be pooled")
        return cls(*(np.concatenate([getattr(p, f) for p in parts]) for f in ("r2", "r4", "fs")),
                   parts[0].q)

    def select(self, atoms=None) -> "Moments":
        """The moments of an atom selection (boolean mask or index array; None: all)."""
        if atoms is None:
            return self
        sel = np.asarray(atoms)
        out = Moments(self.r2[sel], self.r4[sel], self.fs[sel], self.q)
        if out.n_atoms == 0:
            raise ValueError("empty atom selection")
        return out


class OriginAverager:
    """Accumulates :class:`Moments` over time origins from frames streamed in step order.

    Origins at ``origin_steps`` (MD steps), lags ``lag_steps`` (≥ 1 step); every origin
    contributes every lag, so each lag is averaged over all origins. :attr:`steps` lists
    the steps at which :meth:`add` must be called (origins and origin + lag). The frames
    are displacements (N, 3) Å from any one fixed reference (the differences between two
    frames are what counts). Memory: the stored origin frames (≤ n_origins × N × 3) and
    three (N, n_lags) sums.
    """

    def __init__(self, origin_steps: Sequence[int], lag_steps: Sequence[int], n_atoms: int,
                 q: float) -> None:
        self.origins = np.asarray(origin_steps, dtype=np.int64)
        self.lags = np.asarray(lag_steps, dtype=np.int64)
        if self.origins.size == 0 or self.lags.size == 0 or self.lags.min() < 1:
            raise ValueError("need at least one origin and lags of at least one step")
        if np.unique(self.origins).size != self.origins.size:
            raise ValueError("origin steps must be distinct")
        self.q = float(q)
        self._targets: dict[int, list[tuple[int, int]]] = {}
        for j, s0 in enumerate(self.origins):
            for k, lag in enumerate(self.lags):
                self._targets.setdefault(int(s0 + lag), []).append((j, k))
        self.steps = np.array(sorted(set(self._targets) | set(self.origins.tolist())))
        self._ref: dict[int, np.ndarray] = {}
        self._sums = np.zeros((3, n_atoms, self.lags.size))
        self._count = np.zeros(self.lags.size, dtype=np.int64)

    def add(self, step: int, frame: np.ndarray) -> None:
        """Feed the frame (N, 3) Å at ``step`` (call at each of :attr:`steps`, in order)."""
        frame = np.asarray(frame, dtype=float)
        for j in np.flatnonzero(self.origins == step):
            self._ref[int(j)] = frame.copy()
        for j, k in self._targets.get(int(step), ()):
            if j not in self._ref:
                raise ValueError(f"step {step}: origin {self.origins[j]} was never added")
            d = frame - self._ref[j]
            r2 = np.einsum("nd,nd->n", d, d)
            self._sums[0, :, k] += r2
            self._sums[1, :, k] += r2 * r2
            self._sums[2, :, k] += _sinc_q(r2, self.q)
            self._count[k] += 1
        for j in list(self._ref):
            if step >= self.origins[j] + self.lags.max():
                del self._ref[j]

    def result(self) -> Moments:
        """The origin-averaged moments; every (origin, lag) pair must have been fed."""
        if np.any(self._count != self.origins.size):
            raise ValueError(f"incomplete origin averaging: counts {self._count.tolist()} "
                             f"for {self.origins.size} origins")
        r2, r4, fs = self._sums / self.origins.size
        return Moments(r2, r4, fs, self.q)


def msd(m: Moments, atoms=None) -> np.ndarray:
    """Mean-squared displacement ⟨|Δr|²⟩(t) (Å²) of a group, shape (n_lags,)."""
    return m.select(atoms).r2.mean(axis=0)


def alpha2(m: Moments, atoms=None) -> np.ndarray:
    """Non-Gaussian parameter α2(t) = 3⟨Δr⁴⟩/(5⟨Δr²⟩²) − 1 (NaN where ⟨Δr²⟩ = 0)."""
    s = m.select(atoms)
    m2, m4 = s.r2.mean(axis=0), s.r4.mean(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(m2 > 0, 3.0 * m4 / (5.0 * m2 * m2) - 1.0, np.nan)


def fs(m: Moments, atoms=None) -> np.ndarray:
    """Self-intermediate scattering function F_s(q, t) = ⟨sin(qr)/(qr)⟩ of a group at the
    moments' q (Å⁻¹; the paper: 2.7, the main peak of S(q)). Dimensionless, F_s(q, 0) = 1.
    """
    return m.select(atoms).fs.mean(axis=0)


def tau_alpha(t: np.ndarray, f: np.ndarray, level: float = INV_E
              ) -> tuple[np.ndarray | float, np.ndarray | bool]:
    """α-relaxation time: first time F_s falls to ``level`` (default 1/e).

    Linear interpolation of F_s in log t between the bracketing grid points (``t`` > 0,
    ascending, ps). ``f`` is one curve (n_times,) or a stack (..., n_times). Returns
    ``(tau, reached)``; ``tau`` is NaN and ``reached`` False where F_s stays above
    ``level`` over the whole grid. A curve already at or below ``level`` at ``t[0]``
    gives ``t[0]`` (reached).
    """
    t = np.asarray(t, dtype=float)
    f = np.asarray(f, dtype=float)
    if f.shape[-1] != t.size or np.any(t <= 0) or np.any(np.diff(t) <= 0):
        raise ValueError("tau_alpha needs ascending positive times matching f's last axis")
    below = f <= level
    reached = below.any(axis=-1)
    k = np.argmax(below, axis=-1)                     # first index at or below level
    km1 = np.maximum(k - 1, 0)
    f0 = np.take_along_axis(f, km1[..., None], -1)[..., 0]
    f1 = np.take_along_axis(f, k[..., None], -1)[..., 0]
    lt0, lt1 = np.log(t[km1]), np.log(t[k])
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(f0 != f1, (f0 - level) / (f0 - f1), 0.0)
    tau = np.where(k == 0, t[0], np.exp(lt0 + frac * (lt1 - lt0)))
    tau = np.where(reached, tau, np.nan)
    if tau.ndim == 0:
        return float(tau), bool(reached)
    return tau, reached


def dynamics_curves(t: np.ndarray, m: Moments, atoms=None) -> pd.DataFrame:
    """MSD, α2 and F_s of one atom group on the lag grid, as a table (t, msd, alpha2, fs)."""
    return pd.DataFrame({"t": np.asarray(t, float), "msd": msd(m, atoms),
                         "alpha2": alpha2(m, atoms), "fs": fs(m, atoms)})


def group_dynamics(t: np.ndarray, m: Moments, groups: Mapping[str, np.ndarray],
                   level: float = INV_E,
                   ) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str]]:
    """Curves and scalars per atom group (e.g. IGD bins, Fig. 14c–f; or ``{"all": None}``).

    ``m``: per-atom moments on the lags ``t`` (ps); ``groups`` maps a group name to a
    boolean mask / index array over its atoms (None: all). Returns ``(curves, summary,
    units)``: ``curves`` in long form ``group, t, msd, alpha2, fs``; ``summary`` one row per
    group with ``n_atoms, tau_alpha, tau_reached, alpha2_max, t_alpha2_max``.
    """
    t = np.asarray(t, dtype=float)
    curves, rows = [], []
    for name, sel in groups.items():
        c = dynamics_curves(t, m, sel)
        c.insert(0, "group", name)
        curves.append(c)
        tau, ok = tau_alpha(t, c["fs"].to_numpy(), level)
        a2 = c["alpha2"].to_numpy()
        k = int(np.nanargmax(a2)) if np.isfinite(a2).any() else 0
        rows.append({"group": name, "n_atoms": m.select(sel).n_atoms, "tau_alpha": tau,
                     "tau_reached": ok, "alpha2_max": float(a2[k]),
                     "t_alpha2_max": float(t[k])})
    units = {"group": "", "t": "ps", "msd": "Angstrom^2", "alpha2": "", "fs": "",
             "n_atoms": "", "tau_alpha": "ps", "tau_reached": "", "alpha2_max": "",
             "t_alpha2_max": "ps"}
    return pd.concat(curves, ignore_index=True), pd.DataFrame(rows), units
