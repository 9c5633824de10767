"""Time-relevant Shannon entropy of the Voronoi index along the 700 K run (paper 003).

S_i(t) = −Σ_j P_i^j(t) ln P_i^j(t) (paper 003, Eq. 2), P_i^j(t) the fraction of the run up
to t that atom i spent with Voronoi index j. Our dynamics stage stores displacements on a
log-spaced time grid, so each frame k carries a weight: the time interval it represents,
t_k − t_{k−1} (``weights="time"``, default; our choice, which makes P a fraction of *time*
as in the paper's uniformly sampled run) or 1 (``"frame"``). The positions of frame k are
rebuilt exactly from the IS and the unwrapped displacement (:func:`trajectory_frames`).
"""

from __future__ import annotations

import logging
import math
import time

import numpy as np
from scipy.special import xlogy

from igd.descriptors.voronoi import encode_index, voronoi_cells, voronoi_index

log = logging.getLogger(__name__)


def frame_weights(t: np.ndarray, scheme: str = "time") -> np.ndarray:
    """Weight of each frame of a run sampled at times ``t`` (ps, ascending, > 0).

    ``"time"``: t_k − t_{k−1} with t_{−1} = 0 (the interval each frame stands for);
    ``"frame"``: 1 each.
    """
    t = np.asarray(t, dtype=float)
    if scheme == "frame":
        return np.ones_like(t)
    if scheme != "time":
        raise ValueError(f"scheme must be 'time' or 'frame', got {scheme!r}")
    if t.size and (t[0] <= 0 or np.any(np.diff(t) <= 0)):
        raise ValueError("times must be positive and strictly ascending")
    return np.diff(np.concatenate([[0.0], t]))


def history_entropy(states: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Running Shannon entropy of per-atom state histories.

    ``states`` (N, K): an integer state (e.g. a coded Voronoi index) of each atom at each
    of K frames; ``weights`` (K,) ≥ 0 (default 1). Returns S (N, K) with
    S[i, k] = −Σ_j P_ij ln P_ij, P_ij the weighted fraction of frames 0…k in state j
    (nats; 0 for a constant history, ln 2 for two equally weighted states). Exact
    incremental update, O(N K).
    """
    states = np.asarray(states)
    if states.ndim != 2:
        raise ValueError("states must have shape (n_atoms, n_frames)")
    n, k = states.shape
    w = np.ones(k) if weights is None else np.asarray(weights, dtype=float)
    if w.shape != (k,) or np.any(w < 0):
        raise ValueError("weights must be (n_frames,) and non-negative")
    # one slot per distinct (atom, state) pair
    atom = np.repeat(np.arange(n), k)
    _, slot = np.unique(np.stack([atom, states.reshape(-1)]), axis=1, return_inverse=True)
    slot = slot.reshape(n, k)
    counts = np.zeros(slot.max() + 1 if slot.size else 0)
    clogc = np.zeros(n)
    out = np.zeros((n, k))
    total = 0.0
    for f in range(k):
        s = slot[:, f]
        old = counts[s]
        new = old + w[f]
        counts[s] = new                 # slots are distinct across atoms within a frame
        clogc += xlogy(new, new) - xlogy(old, old)
        total += w[f]
        out[:, f] = (math.log(total) - clogc / total) if total > 0 else 0.0
    return np.maximum(out, 0.0)         # round-off


def trajectory_frames(x0: np.ndarray, disp: np.ndarray, cell0: np.ndarray,
                      origin0: np.ndarray, volumes: np.ndarray | None = None):
    """Configurations of the 700 K run rebuilt from the IS and the displacements.

    ``x0`` (N, 3) unwrapped IS positions at t = 0 (Å; positions + image flags × cell),
    ``disp`` (N, K, 3) unwrapped displacements (Å), ``volumes`` (K,) box volume of each
    frame (Å³; isotropic NPT: the cell is scaled about its centre by (V_k/V_0)^{1/3}, as
    LAMMPS' ``fix npt iso`` remaps positions; None = fixed box). Yields
    ``(positions_k, cell_k, origin_k)``.
    """
    cell0 = np.asarray(cell0, dtype=float)
    origin0 = np.asarray(origin0, dtype=float)
    centre = origin0 + 0.5 * cell0.sum(axis=0)
    v0 = abs(np.linalg.det(cell0))
    for k in range(disp.shape[1]):
        s = 1.0 if volumes is None else float(np.cbrt(volumes[k] / v0))
        cell = cell0 * s
        origin = centre - 0.5 * cell.sum(axis=0)
        yield x0 + disp[:, k], cell, origin


def voronoi_entropy(x0: np.ndarray, disp: np.ndarray, t: np.ndarray, cell0: np.ndarray,
                    origin0: np.ndarray, volumes: np.ndarray | None = None, *,
                    weights: str = "time", edge_threshold: float = 0.0,
                    face_threshold: float = 0.0, relative_face_threshold: float = 0.0
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Time-relevant Voronoi-index entropy S_i(t_k) of paper 003 along a stored run.

    Inputs as in :func:`trajectory_frames`; ``t`` (K,) ps. Returns ``(S, n_states)``:
    S (N, K) running entropy (nats) and the number of distinct indices visited (N,).
    """
    codes = np.empty(disp.shape[:2], dtype=np.int64)
    t0 = time.perf_counter()
    last = t0
    k_total = disp.shape[1]
    for k, (pos, cell, origin) in enumerate(trajectory_frames(x0, disp, cell0, origin0,
                                                              volumes)):
        vc = voronoi_cells(pos, cell, origin, edge_threshold=edge_threshold,
                           face_threshold=face_threshold,
                           relative_face_threshold=relative_face_threshold, bonds=False)
        codes[:, k] = encode_index(voronoi_index(vc.index))
        now = time.perf_counter()
        if now - last > 10 or k == k_total - 1:
            rate = (k + 1) / (now - t0)
            log.info("Voronoi along the run: %d/%d frames, %.1f frames/s, ETA %.0f s",
                     k + 1, k_total, rate, (k_total - k - 1) / rate)
            last = now
    S = history_entropy(codes, frame_weights(t, weights))
    n_states = np.array([np.unique(row).size for row in codes])
    return S, n_states
