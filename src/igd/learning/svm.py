"""The IGD support-vector machine (PROTOCOL §6): training set, pipeline, grid search.

Features and labels come from :mod:`igd.learning.features` (one table per sample; +1
rearranged, −1 not); the scores from :mod:`igd.learning.metrics`.

Training protocol (:func:`train_igd`), exactly as PROTOCOL §6 and paper 001 §III.A:

* the held-out test sample(s) (config) contribute nothing to training — neither atoms
  nor scaler statistics nor imputation medians;
* training set = every rearranged atom of the training samples + an equal number of
  non-rearranged atoms drawn at random (``numpy.random.default_rng(seed)``) from the
  pooled training samples (:func:`select_training_atoms`);
* model = ``Pipeline([SimpleImputer (only for nan_policy="impute_train_median"),
  StandardScaler, SVC(kernel="rbf")])`` (scikit-learn's SVC *is* LIBSVM); scaler inside
  the pipeline, so every CV fold is standardised on its own training part only;
* hyper-parameters (C, γ) from a grid over (log2 C, log2 γ) by ``GridSearchCV`` with
  ``StratifiedKFold(shuffle=True, random_state=seed)``, scored by accuracy, parallel over
  ``n_jobs`` processes; the best point is refitted on the whole training set;
* IGD_i = SVM decision value for every atom of every sample (> 0: defect side).

Atoms with missing features follow ``nan_policy`` (:mod:`igd.learning.features`).
Power factor χ (paper 001 §IV.D, Fig. 12b): :func:`igd.learning.metrics.power_factor`;
in ``metrics.json`` a non-finite χ is written as null, with ``chi_status`` saying why and
``chi_p_top``/``chi_p_bottom``/``chi_n_*`` giving the raw counts.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from igd.learning.features import NAN_POLICIES, FeatureMismatchError, family_columns
from igd.learning.metrics import classification_metrics, json_safe_metrics

log = logging.getLogger(__name__)

DEFAULT_MODELS: dict[str, tuple[str, ...]] = {
    "all": ("G", "S2", "vmsd", "dQ"),
    "vmsd": ("vmsd",),
    "dQ": ("dQ",),
    "G": ("G",),
    "S2": ("S2",),
}
"""The full model and the single-family ablations of paper Fig. 12."""

IGD_UNITS: dict[str, str] = {"sample": "", "id": "", "label": "", "igd": "", "train": "",
                             "test": ""}
"""Units of the IGD table (decision values are dimensionless); ``igd_<model>`` too."""

CV_UNITS: dict[str, str] = {"model": "", "log2C": "", "log2gamma": "", "C": "",
                            "gamma": "", "mean_accuracy": "", "std_accuracy": "",
                            "rank": ""}


def grid_from_range(start: float, stop: float, step: float) -> list[float]:
    """Inclusive arithmetic grid, e.g. ``grid_from_range(-5, 15, 2)`` (LIBSVM grid.py)."""
    n = int(math.floor((stop - start) / step + 1e-9)) + 1
    if n < 1:
        raise ValueError(f"empty grid {start}..{stop} step {step}")
    return [float(start + k * step) for k in range(n)]


def make_pipeline(*, impute: bool = False, cache_size_mb: float = 500.0):
    """``[SimpleImputer(median)] → StandardScaler → SVC(rbf)`` (scikit-learn = LIBSVM).

    The imputer keeps a column that is all NaN in the rows it is fitted on (as 0, a
    constant that carries no information): by default scikit-learn drops it, which left the
    19 652-atom rehearsal's ΔQ-only model, whose ARTn searched 10 atoms per sample, with no
    feature at all in a CV fold; the columns also stay those of ``feature_columns``."""
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    steps = []
    if impute:
        steps.append(("impute", SimpleImputer(strategy="median", keep_empty_features=True)))
    steps += [("scale", StandardScaler()),
              ("svm", SVC(kernel="rbf", cache_size=cache_size_mb))]
    return Pipeline(steps)


def select_training_atoms(labels: Mapping[str, np.ndarray], usable: Mapping[str, np.ndarray],
                          train_samples: Sequence[str], seed: int) -> dict[str, np.ndarray]:
    """Boolean training masks per sample: all usable rearranged atoms of ``train_samples``
    plus as many usable non-rearranged ones drawn at random from their pool.

    Samples outside ``train_samples`` get an all-False mask. Deterministic given ``seed``
    and the order of ``train_samples``.
    """
    masks = {s: np.zeros(len(lab), dtype=bool) for s, lab in labels.items()}
    pool_s, pool_i = [], []
    n_pos = 0
    for s in train_samples:
        pos = (np.asarray(labels[s]) == 1) & usable[s]
        masks[s] |= pos
        n_pos += int(pos.sum())
        neg = np.flatnonzero((np.asarray(labels[s]) == -1) & usable[s])
        pool_s += [s] * neg.size
        pool_i.append(neg)
    pool_idx = np.concatenate(pool_i) if pool_i else np.zeros(0, dtype=np.int64)
    n_neg = min(n_pos, pool_idx.size)
    if n_neg < n_pos:
        log.warning("only %d non-rearranged atoms for %d rearranged ones: taking all",
                    pool_idx.size, n_pos)
    rng = np.random.default_rng(seed)
    pick = np.sort(rng.choice(pool_idx.size, size=n_neg, replace=False))
    pool_s_arr = np.asarray(pool_s, dtype=object)
    for s in train_samples:
        sel = pick[pool_s_arr[pick] == s]
        masks[s][pool_idx[sel]] = True
    return masks


@dataclass
class TrainedModel:
    """One fitted model: pipeline, CV grid, best parameters, decision values, metrics."""

    name: str
    feature_columns: list[str]
    pipeline: Any
    cv_grid: pd.DataFrame
    best_params: dict[str, float]
    igd: pd.DataFrame                      # sample, id, label, igd, train, test
    metrics: dict[str, Any] = field(default_factory=dict)


def usable_atoms(df: pd.DataFrame, cols: list[str], nan_policy: str) -> np.ndarray:
    """Atoms (bool, one per row of ``df``) that get an IGD under ``nan_policy``: all for
    ``impute_train_median``, those with finite ``cols`` otherwise (``error``: raises if
    any is not finite)."""
    finite = np.isfinite(df[cols].to_numpy(dtype=float)).all(axis=1)
    if nan_policy == "impute_train_median":
        return np.ones(len(df), dtype=bool)
    if nan_policy == "error" and not finite.all():
        raise ValueError(f"{(~finite).sum()} atoms with missing features and "
                         "nan_policy='error'")
    return finite


def train_igd(features: Mapping[str, pd.DataFrame], *, test_samples: Sequence[str],
              feature_columns: Sequence[str], log2C_grid: Sequence[float],
              log2gamma_grid: Sequence[float], cv_folds: int = 5, seed: int = 0,
              n_jobs: int = 1, nan_policy: str = "drop", chi_fraction: float = 0.05,
              cache_size_mb: float = 500.0, name: str = "all",
              train_masks: Mapping[str, np.ndarray] | None = None,
              usable: Mapping[str, np.ndarray] | None = None,
              cv_max_rows: int | None = None) -> TrainedModel:
    """Fit the IGD SVM (PROTOCOL §6) and evaluate it on the held-out sample(s).

    ``features`` {sample: table from :func:`assemble_features`} (needs ``id, label`` and
    ``feature_columns``). Samples not in ``test_samples`` are training samples (in dict
    order). ``train_masks`` (per sample, bool) overrides the random training selection —
    used by :func:`run_learning` so all models share one training set; ``usable`` (per
    sample, bool) likewise fixes which atoms may be trained on / tested / scored (default:
    from ``nan_policy`` on ``feature_columns``). ``cv_max_rows`` *(our choice, default
    None = the paper's protocol)*: run the grid search on a stratified random subsample of
    at most that many training rows, then refit the best (C, γ) on the whole training
    set — the paper-size grid on all ~20 000 rows costs hours (benchmarks/bench_svm.py).
    Returns a
    :class:`TrainedModel` whose ``igd`` covers every atom of every sample (NaN for atoms
    excluded by ``nan_policy="drop"``) and whose ``metrics`` are computed on all usable
    atoms of the test samples.
    """
    from sklearn.base import clone
    from sklearn.model_selection import GridSearchCV, StratifiedKFold

    if nan_policy not in NAN_POLICIES:
        raise ValueError(f"nan_policy must be one of {NAN_POLICIES}, got {nan_policy!r}")
    test_samples = list(test_samples)
    unknown = [s for s in test_samples if s not in features]
    if unknown or not test_samples:
        raise ValueError(f"test samples {test_samples} not all among {list(features)}")
    train_samples = [s for s in features if s not in test_samples]
    if not train_samples:
        raise ValueError("no training sample left after holding out the test sample(s)")
    cols = list(feature_columns)
    if usable is None:
        usable = {s: usable_atoms(df, cols, nan_policy) for s, df in features.items()}
    labels = {s: df["label"].to_numpy() for s, df in features.items()}
    if train_masks is None:
        train_masks = select_training_atoms(labels, usable, train_samples, seed)
    for s in test_samples:
        if np.asarray(train_masks[s]).any():
            raise ValueError(f"training mask selects atoms of test sample {s}")
    X_train = np.concatenate([features[s][cols].to_numpy(dtype=float)[train_masks[s]]
                              for s in train_samples])
    y_train = np.concatenate([labels[s][train_masks[s]] for s in train_samples])
    n_min = min((y_train == 1).sum(), (y_train == -1).sum())
    if n_min < cv_folds:
        excluded = sum(int((~np.asarray(usable[s])).sum()) for s in train_samples)
        why = (f"; {excluded} atoms of the training samples have missing features and are "
               f"excluded (learning.nan_policy {nan_policy!r}: e.g. the atoms artn.atom_stride "
               "skips), so set learning.nan_policy: impute_train_median or search more atoms"
               if excluded else "")
        raise ValueError(f"{n_min} atoms in the smaller class ({(y_train == 1).sum()} "
                         f"rearranged, {(y_train == -1).sum()} not, of {y_train.size} training "
                         f"atoms): too few for {cv_folds}-fold stratified CV{why}")

    pipe = make_pipeline(impute=nan_policy == "impute_train_median",
                         cache_size_mb=cache_size_mb)
    grid = {"svm__C": [2.0 ** c for c in log2C_grid],
            "svm__gamma": [2.0 ** g for g in log2gamma_grid]}
    cv = StratifiedKFold(n_splits=cv_folds, shuffle=True, random_state=seed)
    search = GridSearchCV(pipe, grid, scoring="accuracy", cv=cv, n_jobs=n_jobs,
                          refit=False)
    X_cv, y_cv = X_train, y_train
    if cv_max_rows is not None and cv_max_rows < y_train.size:
        from sklearn.model_selection import train_test_split
        X_cv, _, y_cv, _ = train_test_split(X_train, y_train, train_size=int(cv_max_rows),
                                            stratify=y_train, random_state=seed)
    n_fits = len(grid["svm__C"]) * len(grid["svm__gamma"]) * cv_folds
    log.info("model %s: %d features, %d training atoms (%d rearranged), %d CV fits on %d "
             "rows, %d job(s)", name, len(cols), y_train.size, (y_train == 1).sum(), n_fits,
             y_cv.size, n_jobs)
    t0 = time.perf_counter()
    search.fit(X_cv, y_cv)
    pipeline = clone(pipe).set_params(**search.best_params_).fit(X_train, y_train)
    elapsed = time.perf_counter() - t0
    log.info("model %s: grid search done in %.1f s (%.2f s per fit), best %s, CV accuracy "
             "%.4f", name, elapsed, elapsed / max(n_fits, 1), search.best_params_,
             search.best_score_)
    res = search.cv_results_
    C = np.asarray(res["param_svm__C"], dtype=float)
    g = np.asarray(res["param_svm__gamma"], dtype=float)
    cv_grid = pd.DataFrame({
        "model": name, "log2C": np.log2(C), "log2gamma": np.log2(g), "C": C, "gamma": g,
        "mean_accuracy": res["mean_test_score"], "std_accuracy": res["std_test_score"],
        "rank": res["rank_test_score"].astype(np.int64),
    }).sort_values(["log2C", "log2gamma"]).reset_index(drop=True)
    best = search.best_params_
    best_params = {"C": float(best["svm__C"]), "gamma": float(best["svm__gamma"]),
                   "log2C": float(np.log2(best["svm__C"])),
                   "log2gamma": float(np.log2(best["svm__gamma"])),
                   "cv_accuracy": float(search.best_score_)}

    rows = []
    for s, df in features.items():
        dec = np.full(len(df), np.nan)
        u = usable[s]
        if u.any():
            dec[u] = pipeline.decision_function(df[cols].to_numpy(dtype=float)[u])
        rows.append(pd.DataFrame({"sample": s, "id": df["id"].to_numpy(),
                                  "label": labels[s].astype(np.int8), "igd": dec,
                                  "train": np.asarray(train_masks[s], dtype=bool),
                                  "test": (s in test_samples) & u}))
    igd = pd.concat(rows, ignore_index=True)
    test = igd[igd["test"]]
    metrics = classification_metrics(test["label"].to_numpy(), test["igd"].to_numpy(),
                                     chi_fraction=chi_fraction)
    tr = igd[igd["train"]]
    metrics.update({
        **best_params,
        "train_accuracy": float(((tr["igd"] > 0) == (tr["label"] == 1)).mean()),
        "n_features": len(cols),
        "n_train": int(len(tr)), "n_train_rearranged": int((tr["label"] == 1).sum()),
        "n_test": int(len(test)), "n_test_rearranged": int((test["label"] == 1).sum()),
        "n_excluded": int(sum((~usable[s]).sum() for s in features)),
        "test_samples": test_samples, "train_samples": train_samples,
        "nan_policy": nan_policy,
        "cv_rows": int(y_cv.size), "cv_folds": cv_folds,
    })
    return TrainedModel(name=name, feature_columns=cols, pipeline=pipeline,
                        cv_grid=cv_grid, best_params=best_params, igd=igd, metrics=metrics)


@dataclass
class LearningResult:
    """All models of :func:`run_learning`."""

    igd: pd.DataFrame                  # sample, id, label, igd, train, test, igd_<model>
    metrics: dict[str, dict[str, Any]]  # model → metrics (JSON-safe)
    cv_grid: pd.DataFrame               # model, log2C, log2gamma, ... for every model
    models: dict[str, TrainedModel]

    @property
    def igd_name(self) -> str:
        """The model whose decision values are the column ``igd``: ``all`` (the IGD) if
        trained, else the first."""
        return "all" if "all" in self.models else next(iter(self.models))

    @property
    def units(self) -> dict[str, str]:
        return {c: "" for c in self.igd.columns}


def run_learning(features: Mapping[str, pd.DataFrame], *, test_samples: Sequence[str],
                 log2C_grid: Sequence[float], log2gamma_grid: Sequence[float],
                 cv_folds: int = 5, seed: int = 0, n_jobs: int = 1,
                 nan_policy: str = "drop", chi_fraction: float = 0.05,
                 models: Mapping[str, Sequence[str]] | None = None,
                 cache_size_mb: float = 500.0, cv_max_rows: int | None = None
                 ) -> LearningResult:
    """Driver of the learning stage: the full IGD model and the single-family ablations.

    ``models`` {name: families} defaults to :data:`DEFAULT_MODELS` (``all, vmsd, dQ, G,
    S2``); ``cv_max_rows`` as in :func:`train_igd`; the model named ``"all"`` gives the
    column ``igd``, every model also gives ``igd_<name>``. All models share one training
    set (chosen once, on atoms usable for every model's features), one test set, and the
    same grid, folds and seed. Outputs map onto the
    contract: ``result.igd`` → ``results/learning/igd.parquet`` (units
    ``result.units``), ``result.metrics`` → ``metrics.json``, ``result.cv_grid`` → a CV
    grid table (units :data:`CV_UNITS`), ``result.models[m]`` → a skops model file
    (:func:`igd.learning.model.save_model`).
    """
    models = dict(DEFAULT_MODELS if models is None else models)
    if nan_policy not in NAN_POLICIES:
        raise ValueError(f"nan_policy must be one of {NAN_POLICIES}, got {nan_policy!r}")
    unlabelled = [s for s, df in features.items() if "label" not in df.columns]
    if unlabelled:
        raise ValueError(f"samples {unlabelled} have no labels (features without a 'label' "
                         "column): they can be predicted, not trained or tested on")
    first = next(iter(features.values()))
    cols_by_model = {m: family_columns(first.columns, fams) for m, fams in models.items()}
    for m, cols in cols_by_model.items():
        if not cols:
            raise ValueError(f"model {m!r}: no feature columns for families {models[m]}")
    for s, df in features.items():
        miss = [c for cs in cols_by_model.values() for c in cs if c not in df.columns]
        if miss:
            raise FeatureMismatchError(f"sample {s} lacks feature columns {miss[:10]}")
    all_cols = sorted({c for cs in cols_by_model.values() for c in cs})
    usable = {s: usable_atoms(df, all_cols, nan_policy) for s, df in features.items()}
    labels = {s: df["label"].to_numpy() for s, df in features.items()}
    train_samples = [s for s in features if s not in set(test_samples)]
    masks = select_training_atoms(labels, usable, train_samples, seed)

    trained: dict[str, TrainedModel] = {}
    for k, (m, cols) in enumerate(cols_by_model.items(), start=1):
        log.info("training model %d/%d: %s", k, len(cols_by_model), m)
        trained[m] = train_igd(features, test_samples=test_samples, feature_columns=cols,
                               log2C_grid=log2C_grid, log2gamma_grid=log2gamma_grid,
                               cv_folds=cv_folds, seed=seed, n_jobs=n_jobs,
                               nan_policy=nan_policy, chi_fraction=chi_fraction,
                               cache_size_mb=cache_size_mb, name=m, train_masks=masks,
                               usable=usable, cv_max_rows=cv_max_rows)
    metrics = {m: json_safe_metrics({**t.metrics, "model": m, "families": list(models[m])})
               for m, t in trained.items()}
    cv_grid = pd.concat([t.cv_grid for t in trained.values()], ignore_index=True)
    result = LearningResult(igd=pd.DataFrame(), metrics=metrics, cv_grid=cv_grid,
                            models=trained)
    result.igd = trained[result.igd_name].igd.copy()
    for m, t in trained.items():
        result.igd[f"igd_{m}"] = t.igd["igd"].to_numpy()
    return result

