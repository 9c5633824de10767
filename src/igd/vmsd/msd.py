"""Vibrational mean-squared displacement (vMSD): the pure array functions.

PROTOCOL §3, paper 001 Eq. (3)::

    vMSD_i(T) = < |r_i(t) - r_i,IS|^2 >_tau

the time average, over a trace of length ``tau`` at temperature ``T``, of the squared
distance of atom ``i`` from its position in the inherent structure (IS). Coordinates are
unwrapped (image flags) and the centre-of-mass drift of the whole system is removed frame
by frame. Units: Å² (positions Å).

:func:`remove_drift`, :func:`time_averaged_msd` (all frames in memory),
:class:`MSDAccumulator` (the same, streamed frame by frame so that a 100 ps trace of
20 000 atoms never has to be stored), :func:`unwrap` and :func:`displacements`
(unwrapped positions in a possibly deformed box → displacements from the IS). The LAMMPS
driver that feeds them is :mod:`igd.vmsd.md`.

**Drift removal** (``com``, the paper is silent): by default the *plain* mean displacement
of all atoms is subtracted at every frame (``com="plain"``, the usual choice);
``com="mass"`` subtracts the mass-weighted mean (the true centre of mass, which momentum
conservation keeps fixed), ``com="none"`` keeps the raw displacements. The two means
differ by O(1/N).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

COM_CHOICES = ("plain", "mass", "none")


def _com_weights(com: str, n_atoms: int, masses: np.ndarray | None) -> np.ndarray | None:
    """Normalised per-atom weights of the drift to remove (None: no removal)."""
    if com not in COM_CHOICES:
        raise ValueError(f"com must be one of {COM_CHOICES}, got {com!r}")
    if com == "none":
        return None
    if com == "plain":
        return np.full(n_atoms, 1.0 / n_atoms)
    if masses is None:
        raise ValueError("com='mass' needs the per-atom masses")
    masses = np.asarray(masses, dtype=float)
    if masses.shape != (n_atoms,) or np.any(masses <= 0):
        raise ValueError(f"masses must be {n_atoms} positive numbers")
    return masses / masses.sum()


def remove_drift(displacements: np.ndarray, *, com: str = "plain",
                 masses: np.ndarray | None = None) -> np.ndarray:
    """Displacements with the per-frame (weighted) mean displacement of all atoms removed.

    ``displacements``: (N, 3) or (F, N, 3) Å. ``com``: ``"plain"`` (mean over atoms),
    ``"mass"`` (mass-weighted, needs ``masses`` (N,) amu) or ``"none"``. Returns a new array
    of the same shape (Å).
    """
    d = np.asarray(displacements, dtype=float)
    if d.ndim not in (2, 3) or d.shape[-1] != 3:
        raise ValueError(f"displacements must be (N, 3) or (F, N, 3), got {d.shape}")
    w = _com_weights(com, d.shape[-2], masses)
    if w is None:
        return d.copy()
    drift = np.einsum("n,...nk->...k", w, d)
    return d - drift[..., None, :]


def time_averaged_msd(displacements: np.ndarray, *, com: str = "plain",
                      masses: np.ndarray | None = None) -> np.ndarray:
    """Per-atom time average of |d_i(t) − d_com(t)|² over the frames (Å²).

    ``displacements``: (F, N, 3) displacements from the reference (IS) positions, Å,
    unwrapped; every frame has equal weight. Returns (N,) Å².
    """
    d = np.asarray(displacements, dtype=float)
    if d.ndim != 3 or d.shape[-1] != 3 or d.shape[0] == 0:
        raise ValueError(f"displacements must be (F>0, N, 3), got {d.shape}")
    r = remove_drift(d, com=com, masses=masses)
    return np.einsum("fnk,fnk->n", r, r) / d.shape[0]


@dataclass
class MSDAccumulator:
    """Streaming :func:`time_averaged_msd`: add one (N, 3) frame at a time.

    Memory O(N) whatever the number of frames. Also records the size of the drift that was
    removed (``max_drift``, Å) as a diagnostic.
    """

    n_atoms: int
    com: str = "plain"
    masses: np.ndarray | None = None
    n_frames: int = 0
    max_drift: float = 0.0
    _sum: np.ndarray = field(init=False, repr=False)
    _w: np.ndarray | None = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._sum = np.zeros(self.n_atoms)
        self._w = _com_weights(self.com, self.n_atoms, self.masses)

    def add(self, displacement: np.ndarray) -> None:
        d = np.asarray(displacement, dtype=float)
        if d.shape != (self.n_atoms, 3):
            raise ValueError(f"frame must be ({self.n_atoms}, 3), got {d.shape}")
        if self._w is not None:
            drift = self._w @ d
            self.max_drift = max(self.max_drift, float(np.linalg.norm(drift)))
            d = d - drift
        self._sum += np.einsum("nk,nk->n", d, d)
        self.n_frames += 1

    def result(self) -> np.ndarray:
        """(N,) time-averaged squared displacement, Å²."""
        if self.n_frames == 0:
            raise ValueError("no frame added")
        return self._sum / self.n_frames


def unwrap(positions: np.ndarray, image: np.ndarray, cell: np.ndarray) -> np.ndarray:
    """Unwrapped positions ``x + image · cell`` (Å); ``cell`` rows are a, b, c."""
    return np.asarray(positions, float) + np.asarray(image, float) @ np.asarray(cell, float)


def displacements(positions: np.ndarray, origin: np.ndarray, cell: np.ndarray,
                  ref_positions: np.ndarray, ref_origin: np.ndarray,
                  ref_cell: np.ndarray) -> np.ndarray:
    """Displacements (N, 3) Å of unwrapped ``positions`` from ``ref_positions``.

    Both sets are unwrapped Cartesian positions in their own box (``origin`` (3,),
    ``cell`` rows a, b, c, Å). The current positions are first mapped, through their
    reduced coordinates, onto the reference box: ``r' = o_ref + (r − o)·cell⁻¹·cell_ref``.
    This removes any homogeneous deformation of the box (NPT thermal expansion) and is the
    plain difference ``r − r_ref`` when the box is unchanged.
    """
    r = np.asarray(positions, float)
    cell = np.asarray(cell, float)
    ref_cell = np.asarray(ref_cell, float)
    if np.allclose(cell, ref_cell, rtol=0, atol=1e-12) and np.allclose(origin, ref_origin,
                                                                        rtol=0, atol=1e-12):
        return r - np.asarray(ref_positions, float)
    reduced = np.linalg.solve(cell.T, (r - origin).T).T
    return np.asarray(ref_origin, float) + reduced @ ref_cell - ref_positions
