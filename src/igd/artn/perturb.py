"""The random start of every ARTn attempt: its random stream and initial perturbation.

The stream of an attempt is ``SeedSequence([seed, sample_index, atom_id, event,
attempt])`` (:func:`attempt_rng`), so a rerun of any chunk reproduces its searches exactly
whatever the chunking; the perturbation is a random direction on the central atom
(optionally with its neighbours within ``perturb_radius``) of norm ``perturb_norm``.
"""

from __future__ import annotations

import numpy as np

from igd.common.neighbors import neighbor_pairs


def attempt_rng(seed: int, sample_index: int, atom_id: int, event: int,
                attempt: int) -> np.random.Generator:
    """The random generator of one search attempt (reproducible per chunk)."""
    return np.random.default_rng(
        np.random.SeedSequence([int(seed), int(sample_index), int(atom_id), int(event),
                                int(attempt)]))


def perturbation(rng: np.random.Generator, n_atoms: int, atoms: np.ndarray,
                 norm: float) -> np.ndarray:
    """Random displacement ``(n_atoms, 3)`` (Å) of total norm ``norm`` on ``atoms``.

    Gaussian components on the chosen atoms (an isotropic random direction), zero
    elsewhere. ``atoms[0]`` is the central atom.
    """
    d = np.zeros((n_atoms, 3))
    d[atoms] = rng.normal(size=(len(atoms), 3))
    return d * (norm / np.linalg.norm(d))


def perturbed_atoms(index: int, positions: np.ndarray, cell: np.ndarray, origin: np.ndarray,
                    radius: float, with_neighbors: bool) -> np.ndarray:
    """Indices perturbed for central atom ``index``: itself, plus neighbours within
    ``radius`` (Å) if ``with_neighbors``."""
    if not with_neighbors:
        return np.array([index])
    pairs = neighbor_pairs(positions, cell, radius, origin=origin, centers=np.array([index]))
    others = np.unique(pairs.j[pairs.j != index])
    return np.concatenate([[index], others])
