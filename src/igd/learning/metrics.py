"""Scores of a per-atom predictor against the rearrangement labels: ROC AUC, the power
factor χ of paper 001 (§IV.D, Fig. 12b) and the test-set metrics of the IGD models."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class PowerFactor:
    """χ and what it is made of (see :func:`power_factor`)."""

    chi: float
    p_top: float
    p_bottom: float
    n_top: int
    n_bottom: int
    k_top: int          # rearranged atoms among the top fraction
    k_bottom: int       # rearranged atoms among the bottom fraction
    reciprocal: bool    # True if the predictor is anti-correlated (χ inverted)
    status: str         # "ok", "denominator_zero" (χ = inf) or "undefined" (χ = NaN)


def roc_auc(x: np.ndarray, positive: np.ndarray) -> float:
    """ROC AUC of score ``x`` for the boolean ``positive`` (Mann–Whitney, ties halved)."""
    n1 = int(positive.sum())
    n0 = positive.size - n1
    if n1 == 0 or n0 == 0:
        return math.nan
    ranks = pd.Series(x).rank(method="average").to_numpy()
    return float((ranks[positive].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def power_factor(x: np.ndarray, rearranged: np.ndarray, fraction: float = 0.05, *,
                 orientation: str = "auto") -> PowerFactor:
    """Predictive power factor χ of predictor ``x`` for the boolean ``rearranged``.

    χ = P_R(top) / P_R(bottom): fraction of rearranged atoms among the n = round(f·N)
    (at least 1) atoms with the largest ``x`` over that among the n atoms with the
    smallest ``x`` (ties broken by a stable sort). ``orientation``: ``"increasing"``
    (plain ratio), ``"decreasing"`` (reciprocal, the paper's rule for anti-correlated
    predictors) or ``"auto"`` (reciprocal iff the ROC AUC of ``x`` is < 0.5). A zero
    denominator gives χ = inf (status ``"denominator_zero"``), 0/0 gives NaN
    (``"undefined"``). Non-finite ``x`` are ignored.
    """
    x = np.asarray(x, dtype=float)
    r = np.asarray(rearranged).astype(bool)
    if x.shape != r.shape:
        raise ValueError(f"x {x.shape} and rearranged {r.shape} differ in shape")
    if not 0 < fraction <= 0.5:
        raise ValueError(f"fraction must be in (0, 0.5], got {fraction}")
    ok = np.isfinite(x)
    x, r = x[ok], r[ok]
    n = max(1, int(round(fraction * x.size)))
    order = np.argsort(x, kind="stable")
    k_bot, k_top = int(r[order[:n]].sum()), int(r[order[-n:]].sum())
    if orientation == "auto":
        reciprocal = bool(roc_auc(x, r) < 0.5)
    elif orientation in ("increasing", "decreasing"):
        reciprocal = orientation == "decreasing"
    else:
        raise ValueError(f"orientation must be auto/increasing/decreasing, got {orientation!r}")
    num, den = (k_bot, k_top) if reciprocal else (k_top, k_bot)
    if den > 0:
        chi, status = num / den, "ok"          # equal n: the ratio of counts
    elif num > 0:
        chi, status = math.inf, "denominator_zero"
    else:
        chi, status = math.nan, "undefined"
    return PowerFactor(chi=chi, p_top=k_top / n, p_bottom=k_bot / n, n_top=n, n_bottom=n,
                       k_top=k_top, k_bottom=k_bot, reciprocal=reciprocal, status=status)


def classification_metrics(label: np.ndarray, decision: np.ndarray, *,
                           chi_fraction: float = 0.05) -> dict[str, Any]:
    """Test-set metrics of decision values ``decision`` for labels ±1.

    Predicted rearranged ⇔ decision > 0. Returns accuracy, recall (of rearranged atoms),
    precision, balanced accuracy, ROC AUC, χ and its parts, and the confusion counts.
    """
    y = np.asarray(label) == 1
    d = np.asarray(decision, dtype=float)
    p = d > 0
    tp, fp = int((p & y).sum()), int((p & ~y).sum())
    fn, tn = int((~p & y).sum()), int((~p & ~y).sum())
    nan = math.nan
    recall = tp / (tp + fn) if tp + fn else nan
    specificity = tn / (tn + fp) if tn + fp else nan
    pf = power_factor(d, y, chi_fraction, orientation="auto")
    return {
        "accuracy": (tp + tn) / y.size if y.size else nan,
        "recall": recall,
        "precision": tp / (tp + fp) if tp + fp else nan,
        "balanced_accuracy": (recall + specificity) / 2,
        "roc_auc": roc_auc(d, y),
        "chi": pf.chi, "chi_status": pf.status, "chi_reciprocal": pf.reciprocal,
        "chi_p_top": pf.p_top, "chi_p_bottom": pf.p_bottom,
        "chi_n_top": pf.n_top, "chi_n_bottom": pf.n_bottom, "chi_fraction": chi_fraction,
        "tp": tp, "fp": fp, "fn": fn, "tn": tn,
    }


def json_safe_metrics(metrics: Mapping[str, Any]) -> dict[str, Any]:
    """Non-finite floats → None (strict JSON for ``metrics.json``), recursively."""
    out: dict[str, Any] = {}
    for k, v in metrics.items():
        if isinstance(v, Mapping):
            out[k] = json_safe_metrics(v)
        elif isinstance(v, (float, np.floating)) and not np.isfinite(v):
            out[k] = None
        else:
            out[k] = v
    return out
