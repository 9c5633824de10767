"""Structural flexibility SF (paper 002): a linear, L2-loss support-vector regression of
ln v_flex on species-resolved radial features, one weight vector ω per species, trained on
the IGD training samples; SF_i = ωᵀx_i.
"""

from __future__ import annotations

import logging
import math
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from igd.common.neighbors import neighbor_pairs

log = logging.getLogger(__name__)


def species_radial_features(positions: np.ndarray, cell: np.ndarray, types: np.ndarray, *,
                            r_grid: Sequence[float], sigma: float, cutoff: float,
                            species: Sequence[int] = (1, 2), origin=(0.0, 0.0, 0.0)
                            ) -> np.ndarray:
    """Paper 002, Eq. 5 (real distances): G_i^β(r) = Σ_{j∈β, r_ij ≤ cutoff}
    exp[−(r − r_ij)² / 2σ²] for each species β and each r of ``r_grid`` (Å).

    Returns (N, len(species) · len(r_grid)), species-major (all r of species 1 first).
    """
    types = np.asarray(types)
    pairs = neighbor_pairs(positions, cell, cutoff, origin=origin)
    sp = np.searchsorted(np.asarray(species), types)
    n, ns, r = len(types), len(species), np.asarray(r_grid, dtype=float)
    key = pairs.i * ns + sp[pairs.j]
    out = np.empty((n, ns, r.size))
    for c, rr in enumerate(r):
        w = np.exp(-((rr - pairs.dist) ** 2) / (2.0 * sigma**2))
        out[:, :, c] = np.bincount(key, weights=w, minlength=n * ns).reshape(n, ns)
    return out.reshape(n, ns * r.size)


def radial_columns(r_grid: Sequence[float], elements: Sequence[str]) -> list[str]:
    """Names ``Gs_<element>_<r>`` of :func:`species_radial_features` columns."""
    return [f"Gs_{e}_{float(r):g}" for e in elements for r in r_grid]


def fit_sf(X: np.ndarray, y: np.ndarray, *, C: float = 1.0, epsilon: float = 0.0,
           tol: float = 1e-4, max_iter: int = 10000, seed: int = 0):
    """L2-regularised L2-loss linear SVR (paper 002, Eq. 7; LIBLINEAR via scikit-learn).

    Minimises ½ωᵀω + C Σ max(0, |y − ωᵀx| − ε)² with the bias as an extra constant
    feature b = 1 (regularised, as in the paper). Returns the fitted ``LinearSVR``;
    SF = ``model.predict(X)`` = ωᵀx.
    """
    from sklearn.svm import LinearSVR

    model = LinearSVR(loss="squared_epsilon_insensitive", C=C, epsilon=epsilon, tol=tol,
                      max_iter=max_iter, fit_intercept=True, intercept_scaling=1.0,
                      dual=True, random_state=seed)
    return model.fit(np.asarray(X, dtype=float), np.asarray(y, dtype=float))


def structural_flexibility(features: Mapping[str, np.ndarray], types: Mapping[str, np.ndarray],
                           ln_vflex: Mapping[str, np.ndarray], train_samples: Sequence[str],
                           *, species: Sequence[int] = (1, 2), C: float = 1.0,
                           epsilon: float = 0.0, tol: float = 1e-4, max_iter: int = 10000,
                           seed: int = 0) -> tuple[dict[str, np.ndarray], dict]:
    """SF_i = ωᵀx_i of every atom of every sample, one ω per species (paper 002).

    ``features`` {sample: (N, F) radial features}, ``types`` {sample: (N,)},
    ``ln_vflex`` {sample: (N,) ln v_flex (target)}; only atoms of ``train_samples`` with
    a finite target train. Returns ({sample: SF (N,)}, report) with, per species, ω, the
    bias and Pearson r of SF with ln v_flex on the training and the other samples.
    """
    sf = {s: np.full(len(t), np.nan) for s, t in types.items()}
    report: dict = {}
    test_samples = [s for s in features if s not in set(train_samples)]
    for sp in species:
        def rows(samples):
            X, y = [], []
            for s in samples:
                m = (np.asarray(types[s]) == sp) & np.isfinite(ln_vflex[s])
                X.append(features[s][m])
                y.append(np.asarray(ln_vflex[s])[m])
            return (np.concatenate(X), np.concatenate(y)) if X else (None, None)
        X, y = rows(train_samples)
        if X is None or len(y) < 2:
            report[str(sp)] = {"status": "no training atoms"}
            continue
        model = fit_sf(X, y, C=C, epsilon=epsilon, tol=tol, max_iter=max_iter, seed=seed)
        for s in features:
            m = np.asarray(types[s]) == sp
            if m.any():
                sf[s][m] = model.predict(features[s][m])
        r_train = float(np.corrcoef(model.predict(X), y)[0, 1])
        Xt, yt = rows(test_samples) if test_samples else (None, None)
        r_test = (float(np.corrcoef(model.predict(Xt), yt)[0, 1])
                  if Xt is not None and len(yt) > 1 else math.nan)
        report[str(sp)] = {"status": "ok", "n_train": int(len(y)),
                           "pearson_train": r_train, "pearson_test": r_test,
                           "omega": model.coef_.tolist(),
                           "bias": float(np.ravel(model.intercept_)[0])}
        log.info("SF species %s: %d training atoms, Pearson r(SF, ln v_flex) train %.3f, "
                 "test %.3f", sp, len(y), r_train, r_test)
    return sf, report


def add_structural_flexibility(local: Mapping[str, pd.DataFrame],
                               radial: Mapping[str, pd.DataFrame], *,
                               test_samples: Sequence[str], C: float = 1.0,
                               epsilon: float = 0.0, tol: float = 1e-4,
                               max_iter: int = 10000, seed: int = 0
                               ) -> tuple[dict[str, pd.DataFrame], dict]:
    """Stage driver: SF for every sample (:func:`structural_flexibility`), trained on the
    samples not in ``test_samples`` (the IGD split), target ``ln_vflex``.

    ``local`` {sample: table of :func:`igd.descriptors.local.local_descriptors`},
    ``radial`` {sample: its radial features}. Returns ({sample: local table + ``SF``},
    report for ``sf_model.json``).
    """
    train = [s for s in local if s not in set(test_samples)]
    if not train:
        raise ValueError("no training sample left for the SF regression")
    feats, types, target = {}, {}, {}
    for s, tab in local.items():
        rad = radial[s].set_index("id").reindex(tab["id"].to_numpy())
        cols = [c for c in rad.columns if c.startswith("Gs_")]
        feats[s] = rad[cols].to_numpy(dtype=float)
        types[s] = tab["type"].to_numpy()
        target[s] = tab["ln_vflex"].to_numpy(dtype=float)
    species = sorted({int(t) for ts in types.values() for t in np.unique(ts)})
    sf, report = structural_flexibility(feats, types, target, train, species=species, C=C,
                                        epsilon=epsilon, tol=tol, max_iter=max_iter,
                                        seed=seed)
    out = {}
    for s, tab in local.items():
        t = tab.copy()
        t["SF"] = sf[s]
        out[s] = t
    report = {"train_samples": train, "test_samples": list(test_samples),
              "feature_columns": cols, "by_species": report,
              "params": {"C": C, "epsilon": epsilon, "tol": tol, "max_iter": max_iter,
                         "seed": seed}}
    return out, report
