"""Relaxation steps of the ARTn search: FIRE (unit mass), optionally perpendicular to a
direction and to the rigid translations, and a plain FIRE minimisation."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np

from igd.artn.provider import ForceProvider, max_atom_force


def project_out(vec: np.ndarray, basis: np.ndarray | None) -> np.ndarray:
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


def perp_max_force(forces: np.ndarray, basis: np.ndarray | None) -> float:
    """Largest per-atom norm of the force with the ``basis`` components removed."""
    return max_atom_force(project_out(forces, basis))


@dataclass
class Fire:
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
        force = project_out(force, basis)
        if self.vel is None:
            self.vel = np.zeros_like(force)
        vel = self.vel
        vel = project_out(vel, basis)
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


def make_fire(p: Mapping[str, Any]) -> Fire:
    """A fresh :class:`Fire` of the ARTn parameters ``p``: ``fire_dt``, ``fire_dt_max``
    (Å·eV^-1/2), ``max_move`` (Å)."""
    return Fire(dt=p["fire_dt"], dt_max=p["fire_dt_max"], max_move=p["max_move"])


def relax(provider: ForceProvider, x: np.ndarray, p: Mapping[str, Any],
          watch: Callable[[np.ndarray, float, np.ndarray], bool] | None = None
          ) -> tuple[np.ndarray, float, np.ndarray, bool]:
    """FIRE minimisation to max per-atom |F| < ``final_force_tol`` (eV/Å), at most
    ``max_relax_steps`` steps. ``watch(x, E, F)`` (optional) sees every point, the start
    included, and stops the relaxation early by returning True (e.g. once the outcome is
    decided). Returns (x, E, F, ok): ok if the force tolerance was reached."""
    fire = make_fire(p)
    e, f = provider(x)
    for step in range(int(p["max_relax_steps"]) + 1):
        if watch is not None and watch(x, e, f):
            break
        if max_atom_force(f) < p["final_force_tol"] or step == p["max_relax_steps"]:
            break
        x = x + fire.step(f)
        e, f = provider(x)
    return x, e, f, max_atom_force(f) < p["final_force_tol"]
