"""Time-relevant Shannon entropy of the Voronoi index along the 700 K run (paper 003).

S_i = −Σ_j P_i^j ln P_i^j (paper 003, Eq. 2), P_i^j the fraction of the frames of the run
in which atom i has Voronoi index j = ⟨n3, n4, n5, n6⟩. The frames are the uniformly
sampled configurations of the 700 K production run (``dynamics/frames.parquet``, one every
``dynamics.frame_interval`` ps, all mapped onto the reference cell), each counted once —
the paper's densely, uniformly sampled history. Faces and edges below the thresholds of
``descriptors.entropy`` are dropped before the index is read, so that a face born from a
vertex split by the vibration (area → 0) does not count as a new motif.

Frames table (the contract of the dynamics stage): columns ``id, type`` then
``x_<k>, y_<k>, z_<k>`` (Å, k = 0 … K−1, wrapped into the reference cell), rows by id;
metadata ``times_ps`` (K,), ``cell`` (3 × 3, rows a, b, c, Å), ``origin`` (3,), ``pbc``.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy.special import xlogy

from igd.common.logs import Progress
from igd.descriptors.voronoi import encode_index, voronoi_cells, voronoi_index

log = logging.getLogger(__name__)

_FRAME_COLUMN = re.compile(r"^([xyz])_(\d+)$")


@dataclass
class Frames:
    """Uniformly sampled configurations of a run in one reference cell."""

    ids: np.ndarray         # (N,) int
    types: np.ndarray       # (N,) int, 1-based
    positions: np.ndarray   # (N, K, 3) Å
    times: np.ndarray       # (K,) ps
    cell: np.ndarray        # (3, 3) Å, rows a, b, c
    origin: np.ndarray      # (3,) Å

    @property
    def n_frames(self) -> int:
        return int(self.positions.shape[1])


def frames_from_table(table: pd.DataFrame, meta: Mapping[str, Any]) -> Frames:
    """:class:`Frames` of a frames table and its metadata (format in the module docstring).

    Raises ValueError for a missing or inconsistent frame column, a ``times_ps`` list of
    another length than the frames or not equally spaced, or a non-periodic cell.
    """
    ks: dict[str, set[int]] = {"x": set(), "y": set(), "z": set()}
    for c in table.columns:
        m = _FRAME_COLUMN.match(str(c))
        if m:
            ks[m.group(1)].add(int(m.group(2)))
    n_frames = len(ks["x"])
    if not n_frames or any(ks[a] != set(range(n_frames)) for a in ks):
        raise ValueError("the frames table needs x_k, y_k, z_k for k = 0 … K−1")
    times = np.asarray(meta["times_ps"], dtype=float)
    if times.shape != (n_frames,):
        raise ValueError(f"times_ps holds {times.size} times for {n_frames} frames")
    steps = np.diff(times)
    if steps.size and (steps.min() <= 0 or np.ptp(steps) > 1e-6 * steps.max()):
        raise ValueError("the frames must be equally spaced in time (equal weights)")
    if not all(meta.get("pbc", [True] * 3)):
        raise ValueError("the Voronoi entropy needs a fully periodic cell")
    pos = np.stack([table[[f"{a}_{k}" for a in "xyz"]].to_numpy(dtype=float)
                    for k in range(n_frames)], axis=1)
    return Frames(ids=table["id"].to_numpy(dtype=np.int64),
                  types=table["type"].to_numpy(dtype=np.int64), positions=pos, times=times,
                  cell=np.asarray(meta["cell"], dtype=float),
                  origin=np.asarray(meta["origin"], dtype=float))


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


def voronoi_states(positions: np.ndarray, cell: np.ndarray, origin: np.ndarray, *,
                   edge_threshold: float = 0.0, face_threshold: float = 0.0,
                   relative_face_threshold: float = 0.0) -> np.ndarray:
    """Coded Voronoi index (:func:`igd.descriptors.voronoi.encode_index`) of every atom in
    every frame: ``positions`` (N, K, 3) Å in the periodic ``cell`` (3, 3) at ``origin``
    (3,); thresholds as :func:`igd.descriptors.voronoi.voronoi_cells`. Returns (N, K) int.
    """
    n_frames = positions.shape[1]
    codes = np.empty(positions.shape[:2], dtype=np.int64)
    progress = Progress(n_frames, "Voronoi along the run", log, unit="frames")
    for k in range(n_frames):
        vc = voronoi_cells(positions[:, k], cell, origin, edge_threshold=edge_threshold,
                           face_threshold=face_threshold,
                           relative_face_threshold=relative_face_threshold, bonds=False)
        codes[:, k] = encode_index(voronoi_index(vc.index))
        progress.update(k + 1)
    return codes


def voronoi_entropy(positions: np.ndarray, cell: np.ndarray, origin: np.ndarray,
                    **thresholds: float) -> tuple[np.ndarray, np.ndarray]:
    """Running Voronoi-index entropy S_i(t_k) over equally weighted frames.

    Inputs as :func:`voronoi_states`. Returns ``(S, n_states)``: S (N, K) nats, S[:, k]
    over frames 0…k; n_states (N,) the number of distinct indices visited.
    """
    codes = voronoi_states(positions, cell, origin, **thresholds)
    n_states = np.array([np.unique(row).size for row in codes])
    return history_entropy(codes), n_states


def entropy_along_run(frames: Frames, ids: np.ndarray, types: np.ndarray, *,
                      elements: Sequence[str], **thresholds: float
                      ) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """S_voro of atoms ``ids`` (types ``types``, 1-based) over the run's ``frames``.

    Every atom must be in the frames (any order). Returns ``(S_final (N,), n_states (N,),
    entropy_t)`` in the order of ``ids``; ``entropy_t`` the columns ``t`` (ps),
    ``S_mean``, ``S_mean_<el>`` (atom-averaged S(t), nats; an element without atoms NaN).
    """
    order = pd.Series(np.arange(frames.ids.size), index=frames.ids).reindex(ids)
    if order.isna().any():
        raise ValueError("the frames table does not hold every atom of the IS")
    pos = frames.positions[order.to_numpy(dtype=np.int64)]
    S, n_states = voronoi_entropy(pos, frames.cell, frames.origin, **thresholds)
    entropy_t = pd.DataFrame({"t": frames.times, "S_mean": S.mean(axis=0)})
    for k, el in enumerate(elements, start=1):
        m = np.asarray(types) == k
        entropy_t[f"S_mean_{el}"] = S[m].mean(axis=0) if m.any() else np.nan
    return S[:, -1], n_states, entropy_t
