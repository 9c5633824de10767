"""The per-atom displacement table of the dynamics stage (``dynamics/atoms.parquet``):
``id, type, dx_<k>, dy_<k>, dz_<k>`` (Å) per time index k, and back to an (N, K, 3) array."""

from __future__ import annotations

import numpy as np
import pandas as pd


def displacement_columns(n_times: int) -> list[str]:
    """Column names dx_000, dy_000, dz_000, dx_001, … of the displacement table."""
    width = max(3, len(str(n_times - 1)))
    return [f"d{c}_{k:0{width}d}" for k in range(n_times) for c in "xyz"]


def displacement_table(ids: np.ndarray, types: np.ndarray, disp: np.ndarray) -> pd.DataFrame:
    """Per-atom table ``id, type, dx_<k>, dy_<k>, dz_<k>`` from disp (N, K, 3) in Å."""
    n, k, _ = disp.shape
    cols = displacement_columns(k)
    df = pd.DataFrame(disp.reshape(n, 3 * k), columns=cols)
    df.insert(0, "type", np.asarray(types))
    df.insert(0, "id", np.asarray(ids))
    return df


def displacements_from_table(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(ids, disp (N, K, 3)) back from a :func:`displacement_table` table."""
    cols = [c for c in df.columns if c[:3] in ("dx_", "dy_", "dz_")]
    k = len(cols) // 3
    expected = displacement_columns(k)
    if cols != expected:
        raise ValueError("displacement columns are not dx_k, dy_k, dz_k for k = 0 … K−1")
    return df["id"].to_numpy(), df[expected].to_numpy().reshape(len(df), k, 3)
