"""Analyses of per-atom fields: spatial autocorrelation, binned relations, group statistics.

PROTOCOL §9 (paper 001 Figs. 8–14). Pure functions of positions, a periodic cell and
per-atom arrays; all periodic distances come from :func:`igd.common.neighbors.neighbor_pairs`
(every image counted).

* :func:`spatial_autocorrelation` — C(r) = (⟨ΔP(r0)ΔP(r0+r)⟩ − ⟨ΔP⟩²)/(⟨ΔP²⟩ − ⟨ΔP⟩²)
  over pairs at distance r, for one or many fields at once (Figs. 9c, 13);
  :func:`fit_correlation_length` — ξ from C(r) ∝ exp(−r/ξ) (scipy ``curve_fit``);
  :func:`correlation_lengths` — both, the driver for a set of named fields;
  :func:`pooled_correlation_lengths` — C(r) of several samples pooled by pair counts,
  ξ from the pooled curve, each field over its own samples (rule ``analysis``: learned
  predictors on the held-out samples only; the descriptor leaderboard).
* :func:`binned_by_rank` — x sorted and cut into bins holding a fixed fraction of the
  atoms (0.25 % for ΔD²min vs IGD, Fig. 11b; 2.5 % for I_BP vs IGD, Fig. 14b);
  :func:`rank_bins` — how many such bins, with at least a given number of atoms each.
* :func:`fraction_in_bins` — e.g. P(predicted active) versus ΔD²min (Fig. 8c).
* :func:`group_by_rank`, :func:`group_statistics` — atoms grouped by IGD (e.g. deciles,
  Fig. 14) and per-group means of any per-atom quantity.
* :func:`partial_rdf` — partial g(r) of a subset of centre atoms (top / bottom 10 % IGD,
  Fig. 10).
"""

from __future__ import annotations

import logging
import math
import time
import warnings
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from igd.glass.rdf import partial_rdf  # noqa: F401  (re-exported: analyses use it)
from igd.common.neighbors import neighbor_pairs

log = logging.getLogger(__name__)


def _chunks(n: int, size: int):
    for start in range(0, n, size):
        yield np.arange(start, min(n, start + size))


def spatial_autocorrelation(positions: np.ndarray, cell: np.ndarray, values: np.ndarray,
                            r_max: float, dr: float, *, origin=(0.0, 0.0, 0.0),
                            chunk_atoms: int = 2000) -> pd.DataFrame:
    """Normalised spatial autocorrelation C(r) of per-atom field(s) ``values``.

    ``values`` (N,) or (N, K): K fields treated in one neighbour pass. With m and v the
    mean and variance of a field over all N atoms (ΔP = P − m),
    C(r) = mean over ordered pairs (i, j ≠ i, any periodic image) with |r_ij| in the bin
    of ΔP_i ΔP_j / v. Bins [k·dr, (k+1)·dr) up to ``r_max`` (Å); ``r`` is the bin centre.
    Pairs are gathered in chunks of ``chunk_atoms`` centres to bound memory.

    Returns a DataFrame ``r, n_pairs`` and ``C`` (K = 1) or ``C_0 … C_{K−1}``; bins with no
    pair have C = NaN.
    """
    vals = np.asarray(values, dtype=float)
    single = vals.ndim == 1
    vals = vals[:, None] if single else vals
    n, k = vals.shape
    if len(positions) != n:
        raise ValueError(f"{len(positions)} positions but {n} values")
    if not np.isfinite(vals).all():
        raise ValueError("values contain NaN/inf: drop or fill those atoms first")
    dev = vals - vals.mean(axis=0)
    var = dev.var(axis=0)
    if (var <= 0).any():
        raise ValueError("a field is constant: C(r) undefined")
    n_bins = int(math.ceil(r_max / dr - 1e-9))
    sums = np.zeros((n_bins, k))
    counts = np.zeros(n_bins, dtype=np.int64)
    t0 = time.perf_counter()
    chunks = list(_chunks(n, chunk_atoms))
    for c, centers in enumerate(chunks, start=1):
        pairs = neighbor_pairs(positions, cell, r_max, origin=origin, centers=centers)
        b = (pairs.dist / dr).astype(np.int64)
        keep = b < n_bins
        b, i, j = b[keep], pairs.i[keep], pairs.j[keep]
        counts += np.bincount(b, minlength=n_bins)
        prod = dev[i] * dev[j]
        for q in range(k):
            sums[:, q] += np.bincount(b, weights=prod[:, q], minlength=n_bins)
        if len(chunks) > 1:
            el = time.perf_counter() - t0
            log.info("C(r): %d/%d chunks, %.1f s, ETA %.0f s", c, len(chunks), el,
                     el / c * (len(chunks) - c))
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = sums / counts[:, None] / var[None, :]
    out = pd.DataFrame({"r": (np.arange(n_bins) + 0.5) * dr, "n_pairs": counts})
    if single:
        out["C"] = corr[:, 0]
    else:
        for q in range(k):
            out[f"C_{q}"] = corr[:, q]
    return out


def fit_correlation_length(r: np.ndarray, corr: np.ndarray, *, r_min: float,
                           r_max: float, xi0: float = 3.0) -> dict[str, float]:
    """Fit C(r) = A exp(−r/ξ) on r_min ≤ r ≤ r_max (Å) by least squares (curve_fit).

    ``r_min`` should lie beyond the first neighbour shell (the paper fits the decaying
    tail; below the first shell there are no pairs). Non-finite points are skipped.
    Returns ``xi`` (Å), ``xi_err`` (1σ from the covariance), ``amplitude``, ``n_points``;
    NaNs when fewer than 3 points are available or the fit fails.
    """
    from scipy.optimize import OptimizeWarning, curve_fit

    r = np.asarray(r, dtype=float)
    c = np.asarray(corr, dtype=float)
    sel = (r >= r_min) & (r <= r_max) & np.isfinite(c)
    out = {"xi": math.nan, "xi_err": math.nan, "amplitude": math.nan,
           "n_points": int(sel.sum()), "r_min": float(r_min), "r_max": float(r_max)}
    if sel.sum() < 3:
        return out
    rs, cs = r[sel], c[sel]
    a0 = max(float(cs[0]), 1e-3) * math.exp(rs[0] / xi0)
    try:
        with warnings.catch_warnings():          # flat/noisy C(r): reported via xi_err
            warnings.simplefilter("ignore", RuntimeWarning)
            warnings.simplefilter("ignore", OptimizeWarning)
            popt, pcov = curve_fit(lambda x, a, xi: a * np.exp(-x / xi), rs, cs,
                                   p0=(a0, xi0), bounds=([0.0, 1e-3], [np.inf, 1e3]),
                                   maxfev=10000)
    except (RuntimeError, ValueError) as err:
        log.warning("exponential fit of C(r) failed: %s", err)
        return out
    out.update(amplitude=float(popt[0]), xi=float(popt[1]),
               xi_err=float(np.sqrt(pcov[1, 1])) if np.isfinite(pcov[1, 1]) else math.nan)
    return out


def correlation_lengths(positions: np.ndarray, cell: np.ndarray,
                        fields: Mapping[str, np.ndarray], *, r_max: float, dr: float,
                        fit_r_min: float, fit_r_max: float, origin=(0.0, 0.0, 0.0)
                        ) -> tuple[pd.DataFrame, dict[str, dict[str, float]]]:
    """Driver for Figs. 9c/13: C(r) of named per-atom fields and their ξ.

    ``fields`` {name: (N,) array}, e.g. ``{"dd2min": ..., "igd": ..., "igd_vmsd": ...}``.
    Returns a table ``r, n_pairs, C_<name>…`` (r in Å, C dimensionless) and
    {name: fit result of :func:`fit_correlation_length`}.
    """
    names = list(fields)
    stacked = np.column_stack([np.asarray(fields[m], dtype=float) for m in names])
    table = spatial_autocorrelation(positions, cell, stacked, r_max, dr, origin=origin)
    table = table.rename(columns={f"C_{q}": f"C_{m}" for q, m in enumerate(names)})
    fits = {m: fit_correlation_length(table["r"], table[f"C_{m}"], r_min=fit_r_min,
                                      r_max=fit_r_max) for m in names}
    return table, fits


def combine_correlations(tables: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Pool C(r) tables of several samples (same bins): pair-count-weighted mean per bin.

    Each sample keeps its own mean and variance normalisation (as in the paper's
    per-configuration ensemble averages). A column that is NaN in a sample's bin (the
    field left out of that sample, or no pair) has no weight there. ``n_pairs`` is the
    pairs of all tables.
    """
    if not tables:
        raise ValueError("no tables to combine")
    r = tables[0]["r"].to_numpy()
    for t in tables[1:]:
        if not np.allclose(t["r"].to_numpy(), r):
            raise ValueError("C(r) tables have different bins")
    n = np.sum([t["n_pairs"].to_numpy() for t in tables], axis=0)
    out = pd.DataFrame({"r": r, "n_pairs": n})
    for col in [c for c in tables[0].columns if c.startswith("C")]:
        c = np.array([t[col].to_numpy(dtype=float) for t in tables])
        w = np.array([t["n_pairs"].to_numpy() for t in tables]) * np.isfinite(c)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[col] = (np.nan_to_num(c) * w).sum(axis=0) / w.sum(axis=0)
    return out


def _rank_groups(x: np.ndarray, n_groups: int) -> np.ndarray:
    order = np.argsort(x, kind="stable")
    groups = np.empty(x.size, dtype=np.int64)
    for g, part in enumerate(np.array_split(order, n_groups)):
        groups[part] = g
    return groups


def group_by_rank(x: np.ndarray, n_groups: int) -> np.ndarray:
    """Group index 0 … n_groups−1 of each atom by rank of ``x`` (0 = lowest x).

    Groups hold equal numbers of atoms (±1; ``numpy.array_split`` of the stable sort).
    Non-finite ``x`` get group −1.
    """
    x = np.asarray(x, dtype=float)
    if n_groups < 1:
        raise ValueError("n_groups must be ≥ 1")
    ok = np.isfinite(x)
    if ok.sum() < n_groups:
        raise ValueError(f"{ok.sum()} finite values for {n_groups} groups")
    groups = np.full(x.size, -1, dtype=np.int64)
    groups[ok] = _rank_groups(x[ok], n_groups)
    return groups


def binned_by_rank(x: np.ndarray, y: np.ndarray, fraction: float) -> pd.DataFrame:
    """Mean of ``y`` in bins of ``x`` that each hold ``fraction`` of the atoms.

    The atoms (finite x and y) are sorted by x and split into round(1/fraction) bins of
    equal size (±1). Fig. 11b uses fraction = 0.0025 (ΔD²min vs IGD), Fig. 14b 0.025
    (I_BP vs IGD). Returns ``bin, n, x_mean, x_min, x_max, y_mean, y_std, y_sem``.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.shape != y.shape:
        raise ValueError(f"x {x.shape} and y {y.shape} differ in shape")
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction must be in (0, 1], got {fraction}")
    ok = np.isfinite(x) & np.isfinite(y)
    n_bins = max(1, int(round(1.0 / fraction)))
    n_bins = min(n_bins, int(ok.sum()))
    if n_bins < 1:
        raise ValueError("no finite (x, y) pairs")
    return group_statistics(x[ok], {"y": y[ok]}, n_bins).rename(columns={"group": "bin"})


def rank_bins(n: int, fraction: float, min_atoms: int) -> int:
    """Number of rank bins for :func:`binned_by_rank` of ``n`` atoms: round(1/``fraction``)
    bins, fewer if a bin would hold less than ``min_atoms`` atoms (may be 0)."""
    return min(int(round(1.0 / fraction)), n // min_atoms)


def group_statistics(x: np.ndarray, values: Mapping[str, np.ndarray] | pd.DataFrame,
                     n_groups: int) -> pd.DataFrame:
    """Per-group statistics of per-atom ``values`` with atoms grouped by rank of ``x``.

    Groups from :func:`group_by_rank` (0 = lowest x; deciles for ``n_groups=10``).
    Returns ``group, n, x_mean, x_min, x_max`` and for each value ``<name>_mean,
    <name>_std, <name>_sem`` (NaN values are skipped per column).
    """
    x = np.asarray(x, dtype=float)
    groups = group_by_rank(x, n_groups)
    df = pd.DataFrame({"group": groups, "x": x})
    names = list(values.columns if isinstance(values, pd.DataFrame) else values)
    for m in names:
        v = np.asarray(values[m], dtype=float)
        if v.shape != x.shape:
            raise ValueError(f"value {m!r} has shape {v.shape}, x has {x.shape}")
        df[m] = v
    df = df[df["group"] >= 0]
    agg = df.groupby("group")
    out = pd.DataFrame({"n": agg.size(), "x_mean": agg["x"].mean(),
                        "x_min": agg["x"].min(), "x_max": agg["x"].max()})
    for m in names:
        out[f"{m}_mean"] = agg[m].mean()
        out[f"{m}_std"] = agg[m].std(ddof=1)
        out[f"{m}_sem"] = out[f"{m}_std"] / np.sqrt(agg[m].count())
    return out.reset_index()


def fraction_in_bins(x: np.ndarray, flag: np.ndarray, edges: Sequence[float]
                     ) -> pd.DataFrame:
    """Fraction of atoms with ``flag`` True among atoms with x in each bin [e_k, e_k+1).

    E.g. P(predicted active) = fraction with IGD > 0, versus ΔD²min (Fig. 8c; log-spaced
    ``edges`` in Å² suit it). Returns ``x_lo, x_hi, x_mid (geometric if edges > 0),
    n, fraction, stderr`` (binomial); empty bins have fraction NaN.
    """
    x = np.asarray(x, dtype=float)
    f = np.asarray(flag).astype(bool)
    e = np.asarray(edges, dtype=float)
    if e.ndim != 1 or e.size < 2 or (np.diff(e) <= 0).any():
        raise ValueError("edges must be a strictly increasing 1-D sequence")
    b = np.searchsorted(e, x, side="right") - 1
    ok = (b >= 0) & (b < e.size - 1) & np.isfinite(x)
    n = np.bincount(b[ok], minlength=e.size - 1)
    k = np.bincount(b[ok], weights=f[ok].astype(float), minlength=e.size - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = k / n
        err = np.sqrt(frac * (1 - frac) / n)
    mid = np.sqrt(e[:-1] * e[1:]) if (e > 0).all() else 0.5 * (e[:-1] + e[1:])
    return pd.DataFrame({"x_lo": e[:-1], "x_hi": e[1:], "x_mid": mid, "n": n,
                         "fraction": frac, "stderr": err})


def pooled_correlation_lengths(fields: Mapping[str, Sequence[np.ndarray]],
                               frames: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]], *,
                               r_max: float, dr: float, fit_r_min: float, fit_r_max: float,
                               field_samples: Mapping[str, Sequence[int]] | None = None
                               ) -> tuple[pd.DataFrame, dict[str, dict]]:
    """ξ of several per-atom fields over several samples (one C(r) pass per sample).

    ``fields`` {name: [values of sample 0, sample 1, …]}, ``frames`` [(positions, cell,
    origin) per sample]. ``field_samples`` {name: indices into ``frames``} restricts a
    field's pooled C(r) to those samples (e.g. a learned predictor to the held-out
    samples: its C(r) on training atoms is partly fitted); fields not named, and every
    field when it is None, pool all samples. NaN values are set to the field's sample mean
    (they add nothing to the covariance; our choice); a field constant on a sample is left
    out of that sample. Returns the pooled table ``r`` (Å), ``n_pairs`` (pairs of every
    sample), ``C_<name>`` (each pooled over its own samples) and {name: fit} with the fit
    of :func:`fit_correlation_length` plus ``sample_index`` (the samples pooled).
    """
    names = list(fields)
    chosen = {m: sorted(set(range(len(frames))) if field_samples is None
                        or m not in field_samples else set(field_samples[m]))
              for m in names}
    tables, used = [], {m: [] for m in names}
    for s, (pos, cell, origin) in enumerate(frames):
        vals, keep = [], []
        for m in names:
            if s not in chosen[m]:
                continue
            v = np.asarray(fields[m][s], dtype=float).copy()
            fin = np.isfinite(v)
            if fin.sum() < 2 or np.ptp(v[fin]) == 0:
                continue
            v[~fin] = v[fin].mean()
            vals.append(v)
            keep.append(m)
            used[m].append(s)
        if not keep:
            continue
        t = spatial_autocorrelation(pos, cell, np.column_stack(vals), r_max, dr,
                                    origin=origin)
        t = t.rename(columns={f"C_{q}": f"C_{m}" for q, m in enumerate(keep)})
        for m in names:
            if m not in keep:
                t[f"C_{m}"] = np.nan
        tables.append(t[["r", "n_pairs"] + [f"C_{m}" for m in names]])
    if not tables:
        return pd.DataFrame(), {m: {"xi": math.nan, "xi_err": math.nan, "sample_index": []}
                                for m in names}
    corr = combine_correlations(tables)
    fits = {m: {**fit_correlation_length(corr["r"], corr[f"C_{m}"], r_min=fit_r_min,
                                         r_max=fit_r_max), "sample_index": used[m]}
            for m in names}
    return corr, fits
