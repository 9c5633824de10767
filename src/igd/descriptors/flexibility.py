"""Flexibility volume v_flex,i of papers 002 and 004 (Å³) from the vibrational MSD.

With a_i = Ω_i^{1/3} the two published forms are algebraically the same number
(Ω/a² = a); paper 002 (after Ding et al. 2016) calls a_i the *interatomic distance*, which
we take as the mean distance to the atom's Voronoi neighbours
(:func:`igd.descriptors.voronoi.mean_neighbor_distance`), so the two columns differ.
"""

from __future__ import annotations

import numpy as np


def flexibility_volume(vmsd: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Paper 002, Eq. 1: v_flex,i = ⟨Δr²⟩_i · a_i (Å² × Å = Å³)."""
    return np.asarray(vmsd, dtype=float) * np.asarray(a, dtype=float)


def flexibility_volume_voronoi(vmsd: np.ndarray, volume: np.ndarray) -> np.ndarray:
    """Paper 004, Eq. 2: v_flex,i = ⟨Δr²⟩_i / a_i² · Ω_i with a_i = Ω_i^{1/3} (Å³)."""
    omega = np.asarray(volume, dtype=float)
    return np.asarray(vmsd, dtype=float) / np.cbrt(omega) ** 2 * omega
