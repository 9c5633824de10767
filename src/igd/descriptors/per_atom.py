"""The per-atom table the leaderboard scores: for one sample, its atoms (IS positions),
rearrangement labels, mean ARTn barrier, I_BP, IGD decision values, companion-paper
descriptors and vMSD at every temperature, merged on the atom id."""

from __future__ import annotations

import warnings
from typing import Mapping

import numpy as np
import pandas as pd

from igd.learning.features import vmsd_column

ATOM_COLUMNS = ["id", "type", "x", "y", "z"]
"""Columns read from ``glass/atoms.parquet`` (Å positions of the IS)."""

LABEL_COLUMNS = ["id", "rearranged"]
"""Columns read from ``labels.parquet``."""

HESSIAN_COLUMNS = ["id", "I_BP"]
"""Columns read from ``hessian/atoms.parquet``."""

VMSD_COLUMNS = ["id", "vmsd"]
"""Columns read from each ``vmsd/<T>K.parquet`` (Å²)."""

IGD_BOOKKEEPING = ["sample", "label", "train", "test"]
"""Columns of ``learning/igd.parquet`` that are not decision values."""


def mean_barrier(barriers: pd.DataFrame) -> np.ndarray:
    """Mean ΔQ (eV) of each atom over its ``dQ_*`` columns (one per ARTn event),
    ignoring non-finite entries; NaN for an atom without a finite barrier. (N,)."""
    dq = barriers[[c for c in barriers.columns if c.startswith("dQ_")]].to_numpy(float)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)     # an all-NaN row: "empty slice"
        return np.where(np.isfinite(dq).any(axis=1), np.nanmean(
            np.where(np.isfinite(dq), dq, np.nan), axis=1), np.nan)


def sample_atoms(sample: str, *, atoms: pd.DataFrame, labels: pd.DataFrame,
                 barriers: pd.DataFrame, hessian: pd.DataFrame, igd: pd.DataFrame,
                 descriptors: pd.DataFrame, vmsd: Mapping[str, pd.DataFrame]
                 ) -> pd.DataFrame:
    """One row per atom of ``sample``: ``sample``, :data:`ATOM_COLUMNS`, ``rearranged``,
    ``mean_dQ`` (eV, :func:`mean_barrier` of ``barriers``), ``I_BP``, the IGD decision
    columns of ``igd`` (the table of every sample; NaN for an atom it lacks), the
    ``descriptors`` columns (``descriptors.parquet``; NaN for an atom it lacks) and one
    :func:`igd.learning.svm.vmsd_column` per entry of ``vmsd`` {temperature (K): table
    ``id, vmsd``}, in that order.

    Atoms, labels, barriers, I_BP and vMSD must hold each atom exactly once
    (``pandas.errors.MergeError`` otherwise).
    """
    df = atoms[ATOM_COLUMNS].copy()
    df.insert(0, "sample", sample)
    des = descriptors.drop(columns=["type"])
    des = des.drop(columns=[c for c in ("vmsd",) if c in des.columns])
    g = igd[igd["sample"] == sample].drop(columns=IGD_BOOKKEEPING)
    df = (df.merge(labels[LABEL_COLUMNS], on="id", validate="1:1")
          .merge(pd.DataFrame({"id": barriers["id"], "mean_dQ": mean_barrier(barriers)}),
                 on="id", validate="1:1")
          .merge(hessian[HESSIAN_COLUMNS], on="id", validate="1:1")
          .merge(g, on="id", how="left", validate="1:1")
          .merge(des, on="id", how="left", validate="1:1"))
    for T, v in vmsd.items():
        df = df.merge(v[VMSD_COLUMNS].rename(columns={"vmsd": vmsd_column(T)}), on="id",
                      validate="1:1")
    return df
