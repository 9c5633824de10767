"""The tables of the dynamics stage and back.

* ``dynamics/atoms.parquet`` (:func:`moment_table`): ``id, type, r2_<k>, r4_<k>, fs_<k>``
  per lag index k — the per-atom, origin-averaged ⟨|Δr|²⟩ (Å²), ⟨|Δr|⁴⟩ (Å⁴) and
  ⟨sin(q|Δr|)/(q|Δr|)⟩ (:class:`igd.dynamics.correlators.Moments`); metadata ``times_ps``
  (the lags), ``q``. 19 652 atoms × 35 lags × 3 float64 = 17 MB.
* ``dynamics/frames.parquet`` (:func:`frames_table`): ``id, type, x_<k>, y_<k>, z_<k>``
  (Å) per frame k, positions in the reference cell; metadata ``times_ps``, ``cell``,
  ``origin``, ``pbc`` (:func:`frame_positions` reads frame k back).
"""

from __future__ import annotations

import os
from typing import Sequence

import numpy as np
import pandas as pd

from igd.common.io import read_metadata, read_table
from igd.dynamics.correlators import Moments

MOMENT_UNITS = {"r2": "Angstrom^2", "r4": "Angstrom^4", "fs": ""}


def moment_columns(kind: str, n_lags: int) -> list[str]:
    """Column names ``<kind>_000, <kind>_001, …`` of one moment (r2, r4 or fs)."""
    width = max(3, len(str(n_lags - 1)))
    return [f"{kind}_{k:0{width}d}" for k in range(n_lags)]


def moment_table(ids: np.ndarray, types: np.ndarray, m: Moments
                 ) -> tuple[pd.DataFrame, dict[str, str]]:
    """Per-atom table ``id, type, r2_<k>…, r4_<k>…, fs_<k>…`` and its units."""
    n_lags = m.r2.shape[1]
    cols: dict[str, np.ndarray] = {"id": np.asarray(ids), "type": np.asarray(types)}
    units = {"id": "", "type": ""}
    for kind in MOMENT_UNITS:
        names = moment_columns(kind, n_lags)
        cols.update(zip(names, getattr(m, kind).T))
        units.update(dict.fromkeys(names, MOMENT_UNITS[kind]))
    return pd.DataFrame(cols), units


def moments_from_table(df: pd.DataFrame, q: float) -> tuple[np.ndarray, Moments]:
    """(ids, :class:`Moments` at ``q`` (Å⁻¹, from the table's metadata)) of a
    :func:`moment_table` table."""
    n_lags = sum(c.startswith("r2_") for c in df.columns)
    arrays = {}
    for kind in MOMENT_UNITS:
        names = moment_columns(kind, n_lags)
        if not set(names) <= set(df.columns):
            raise ValueError(f"moment table lacks columns {kind}_k for k = 0 … {n_lags - 1}")
        arrays[kind] = df[names].to_numpy(float)
    return df["id"].to_numpy(), Moments(q=float(q), **arrays)


def read_moments(paths: Sequence[str | os.PathLike]
                 ) -> tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray, Moments]]]:
    """(lags (K,) ps, per file ``(ids, types, Moments)``) of ``dynamics/atoms.parquet``
    files, which must share one lag grid and q."""
    times, q, out = None, None, []
    for f in paths:
        meta = read_metadata(f)
        t = np.asarray(meta["times_ps"], dtype=float)
        if times is not None and (t.shape != times.shape or not np.allclose(t, times)
                                  or meta["q"] != q):
            raise ValueError(f"{f}: lag grid or q differs from {paths[0]}'s")
        times, q = t, meta["q"]
        table = read_table(f)
        ids, m = moments_from_table(table, q)
        out.append((ids, table["type"].to_numpy(), m))
    return times, out


def frames_table(ids: np.ndarray, types: np.ndarray, frames: Sequence[np.ndarray]
                 ) -> tuple[pd.DataFrame, dict[str, str]]:
    """Table ``id, type, x_<k>, y_<k>, z_<k>`` of K frames (each (N, 3) Å, rows by id)."""
    cols: dict[str, np.ndarray] = {"id": np.asarray(ids), "type": np.asarray(types)}
    for k, pos in enumerate(frames):
        cols.update({f"{c}_{k}": np.asarray(pos, float)[:, d] for d, c in enumerate("xyz")})
    units = {c: ("" if c in ("id", "type") else "Angstrom") for c in cols}
    return pd.DataFrame(cols), units


def frames_metadata(times_ps: Sequence[float], cell: np.ndarray, origin: np.ndarray) -> dict:
    """Metadata of a frames table: ``times_ps`` (K,) ps, ``cell`` (3 × 3, rows a, b, c, Å),
    ``origin`` (3,) Å, ``pbc`` (all periodic)."""
    return {"times_ps": [float(t) for t in times_ps],
            "cell": np.asarray(cell, float).tolist(),
            "origin": np.asarray(origin, float).tolist(), "pbc": [True, True, True]}


def frame_positions(df: pd.DataFrame, k: int) -> np.ndarray:
    """Positions (N, 3) Å of frame ``k`` of a :func:`frames_table` table."""
    return df[[f"x_{k}", f"y_{k}", f"z_{k}"]].to_numpy(float)
