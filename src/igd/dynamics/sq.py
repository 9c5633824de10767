"""Static structure factor S(q) of a periodic configuration and of an inherent structure.

S(q) is computed by the direct Debye sum over the wave vectors allowed by the periodic
box, S(k) = |Σ_j exp(i k·r_j)|² / N, averaged over |k| bins (no g(r) truncation window
needed; triclinic-safe); for big boxes a seeded random subset of k-vectors per bin keeps the
cost bounded.
"""

from __future__ import annotations

import logging
import math
import os
import time
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from igd.common.datafile import read_lammps_data

log = logging.getLogger(__name__)


def wave_vectors(cell: np.ndarray, q_max: float) -> np.ndarray:
    """Allowed k = n·B (B rows b_i, a_i·b_j = 2πδ_ij) with 0 < |k| ≤ q_max, one of ±k (Å⁻¹)."""
    cell = np.asarray(cell, dtype=float)
    recip = 2 * np.pi * np.linalg.inv(cell).T
    n_max = np.floor(q_max * np.linalg.norm(cell, axis=1) / (2 * np.pi)).astype(int)
    axes = [np.arange(-m, m + 1) for m in n_max]
    n = np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, 3)
    # half space: first non-zero component positive (drops k = 0 and one of each ±k)
    first = np.where(n[:, 0] != 0, n[:, 0], np.where(n[:, 1] != 0, n[:, 1], n[:, 2]))
    n = n[first > 0]
    k = n @ recip
    return k[np.einsum("kd,kd->k", k, k) <= q_max * q_max]


def density_modes(positions: np.ndarray, kvecs: np.ndarray, chunk: int = 256) -> np.ndarray:
    """ρ(k) = Σ_j exp(i k·r_j) for each k (complex, shape (n_k,))."""
    pos = np.asarray(positions, dtype=float)
    out = np.empty(len(kvecs), dtype=complex)
    for s in range(0, len(kvecs), chunk):
        phase = kvecs[s:s + chunk] @ pos.T
        out[s:s + chunk] = np.cos(phase).sum(1) + 1j * np.sin(phase).sum(1)
    return out


def structure_factor_k(positions: np.ndarray, kvecs: np.ndarray) -> np.ndarray:
    """S(k) = |ρ(k)|²/N at the given wave vectors (Å⁻¹); N at a Bragg vector of a crystal."""
    rho = density_modes(positions, np.asarray(kvecs, dtype=float))
    return (rho * rho.conj()).real / len(positions)


def structure_factor(positions: np.ndarray, cell: np.ndarray, *, q_max: float, dq: float,
                     types: np.ndarray | None = None, max_k_per_bin: int | None = None,
                     seed: int = 0, type_names: Mapping[int, str] | None = None
                     ) -> pd.DataFrame:
    """Static structure factor S(q) of a periodic configuration, |k|-binned Debye sum.

    Bins of width ``dq`` (Å⁻¹) up to ``q_max``; ``q`` is the mean |k| of the vectors in a
    bin, ``n_k`` their number (empty bins dropped). With ``types``, also the
    Ashcroft–Langreth partials S_ab = Re ρ_a ρ_b* / √(N_a N_b) as ``S_<a><b>`` (names from
    ``type_names``, e.g. {1: "Cu", 2: "Zr"}). ``max_k_per_bin`` keeps at most that many
    k-vectors per bin (seeded random choice) for large boxes.
    """
    pos = np.asarray(positions, dtype=float)
    kvecs = wave_vectors(cell, q_max)
    knorm = np.linalg.norm(kvecs, axis=1)
    b = np.floor(knorm / dq).astype(int)
    if max_k_per_bin is not None:
        rng = np.random.default_rng(seed)
        keep = np.concatenate([rng.permutation(np.flatnonzero(b == v))[:max_k_per_bin]
                               for v in np.unique(b)])
        keep.sort()
        kvecs, knorm, b = kvecs[keep], knorm[keep], b[keep]
    t0 = time.perf_counter()
    if types is None:
        rho = density_modes(pos, kvecs)
        s_k = {"S": (rho * rho.conj()).real / len(pos)}
    else:
        types = np.asarray(types)
        names = {t: (type_names or {}).get(int(t), str(int(t))) for t in np.unique(types)}
        rhos = {t: density_modes(pos[types == t], kvecs) for t in names}
        counts = {t: int(np.count_nonzero(types == t)) for t in names}
        total = sum(rhos.values())
        s_k = {"S": (total * total.conj()).real / len(pos)}
        tl = list(names)
        for ia, a in enumerate(tl):
            for bb in tl[ia:]:
                s_k[f"S_{names[a]}{names[bb]}"] = ((rhos[a] * rhos[bb].conj()).real
                                                   / math.sqrt(counts[a] * counts[bb]))
    log.info("S(q): %d k-vectors × %d atoms in %.1f s", len(kvecs), len(pos),
             time.perf_counter() - t0)
    used, inverse, n_k = np.unique(b, return_inverse=True, return_counts=True)
    out = {"q": np.bincount(inverse, knorm) / n_k}
    for name, vals in s_k.items():
        out[name] = np.bincount(inverse, vals) / n_k
    out["n_k"] = n_k
    return pd.DataFrame(out)


def is_structure_factor(data_file: str | os.PathLike, *, q_max: float, dq: float,
                        max_k_per_bin: int | None = None, seed: int = 0,
                        elements: Sequence[str] = ("Cu", "Zr"),
                        ) -> tuple[pd.DataFrame, dict[str, str]]:
    """S(q) of an inherent structure (Fig. 6a): ``q, S, S_<a><b>, n_k`` and their units.

    Direct Debye sum over the box's allowed k-vectors (see :func:`structure_factor`);
    ``q_max``, ``dq`` in Å⁻¹, type t is named ``elements[t − 1]``.
    """
    frame = read_lammps_data(data_file)
    names = {t: elements[t - 1] for t in range(1, len(elements) + 1)}
    table = structure_factor(frame.positions, frame.cell, q_max=q_max, dq=dq,
                             types=frame.types, max_k_per_bin=max_k_per_bin, seed=seed,
                             type_names=names)
    units = {c: "" for c in table.columns}
    units["q"] = "1/Angstrom"
    return table, units
