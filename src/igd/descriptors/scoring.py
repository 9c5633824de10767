"""The numbers of the descriptor leaderboard (:mod:`igd.descriptors.leaderboard`) for one
oriented descriptor: binned Pearson r and Spearman ρ with a target, ROC AUC and power
factor χ for the rearrangement labels."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from igd.analysis.correlation import binned_by_rank
from igd.learning.metrics import power_factor, roc_auc


def binned_pearson(x: np.ndarray, y: np.ndarray, *, bin_atoms: int = 200,
                   min_bins: int = 5) -> tuple[float, int]:
    """Pearson r between bin means of y and x, atoms binned by rank of x.

    n_bins = max(min_bins, round(n / bin_atoms)) capped at n (finite pairs only).
    Returns ``(r, n_bins)``; r is NaN with fewer than 3 bins or a constant bin mean.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    n = int(ok.sum())
    if n < 3:
        return math.nan, 0
    n_bins = min(n, max(int(min_bins), int(round(n / bin_atoms))))
    b = binned_by_rank(x[ok], y[ok], 1.0 / n_bins)
    xm, ym = b["x_mean"].to_numpy(), b["y_mean"].to_numpy()
    if len(b) < 3 or np.ptp(xm) == 0 or np.ptp(ym) == 0:
        return math.nan, len(b)
    return float(np.corrcoef(xm, ym)[0, 1]), len(b)


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman rank correlation over the finite pairs (NaN if < 3)."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 3:
        return math.nan
    rx = pd.Series(x[ok]).rank().to_numpy()
    ry = pd.Series(y[ok]).rank().to_numpy()
    if np.ptp(rx) == 0 or np.ptp(ry) == 0:
        return math.nan
    return float(np.corrcoef(rx, ry)[0, 1])


def classification_scores(x: np.ndarray, rearranged: np.ndarray,
                          chi_fraction: float = 0.05) -> tuple[float, float, int, str]:
    """(ROC AUC, χ, n, reason) of oriented descriptor ``x`` for boolean ``rearranged``."""
    x = np.asarray(x, dtype=float)
    r = np.asarray(rearranged).astype(bool)
    ok = np.isfinite(x)
    n = int(ok.sum())
    if n == 0:
        return math.nan, math.nan, 0, "no finite value on the test sample(s)"
    if r[ok].all() or not r[ok].any():
        return math.nan, math.nan, n, "one class only on the test sample(s)"
    auc = roc_auc(x[ok], r[ok])
    pf = power_factor(x[ok], r[ok], chi_fraction, orientation="increasing")
    reason = "" if pf.status == "ok" else f"chi {pf.status}"
    return auc, pf.chi, n, reason
