"""The learning of the integrated glassy defect (IGD): features, SVM training, metrics.

PROTOCOL §6. Per atom, the feature vector x_i holds four families, identified by the
column-name prefix (counts follow the config; the paper's in brackets):

====== ========== ================================================ =====
family prefix     meaning                                           unit
====== ========== ================================================ =====
G      ``G_``     radial Gaussian functions G_i(μ)            (31)  —
S2     ``S2_``    two-body excess entropies S2,i(r_c)         (25)  k_B
vmsd   ``vmsd_``  vibrational MSD at temperature T            (20)  Å²
dQ     ``dQ_``    sorted ARTn activation energies ΔQ_1…ΔQ_n   (24)  eV
====== ========== ================================================ =====

Label convention: +1 rearranged (max ΔD²min above the threshold), −1 not.

Training protocol (:func:`train_igd`), exactly as PROTOCOL §6 and paper 001 §III.A:

* the held-out test sample(s) (config) contribute nothing to training — neither atoms
  nor scaler statistics nor imputation medians;
* training set = every rearranged atom of the training samples + an equal number of
  non-rearranged atoms drawn at random (``numpy.random.default_rng(seed)``) from the
  pooled training samples;
* model = ``Pipeline([SimpleImputer (only for nan_policy="impute_train_median"),
  StandardScaler, SVC(kernel="rbf")])`` (scikit-learn's SVC *is* LIBSVM); scaler inside
  the pipeline, so every CV fold is standardised on its own training part only;
* hyper-parameters (C, γ) from a grid over (log2 C, log2 γ) by ``GridSearchCV`` with
  ``StratifiedKFold(shuffle=True, random_state=seed)``, scored by accuracy, parallel over
  ``n_jobs`` processes; the best point is refitted on the whole training set;
* IGD_i = SVM decision value for every atom of every sample (> 0: defect side).

Missing features (``nan_policy``). ARTn searches can fail, leaving NaN barriers (and any
stage could, in principle, leave NaN). NaN never reaches the SVM silently:

* ``"error"``: :func:`assemble_features` raises, naming the atoms;
* ``"drop"`` (default): incomplete atoms stay in ``features.parquet`` (column
  ``complete`` = False) but are excluded from training and testing; their IGD is NaN;
  the count is logged and reported in ``metrics.json`` (``n_incomplete``);
* ``"impute_train_median"``: each missing value is replaced by the median of that column
  over the *training set* (a ``SimpleImputer`` fitted inside the pipeline, hence also per
  CV fold); incomplete atoms get an IGD and take part in testing.

Power factor χ (paper 001 §IV.D, Fig. 12b), :func:`power_factor`:
χ = P_R(X > X_top f) / P_R(X < X_low f) with f = 5 %: the fraction of rearranged atoms
among the f·N atoms with the largest predictor X over that among the f·N atoms with the
smallest X. The paper's rule for anti-correlated predictors — "χ is replaced by its
reciprocal" — is applied when the predictor ranks rearranged atoms *low* overall
(ROC AUC < 0.5), so χ > 1 means "better than random" for either orientation. Denominator
0: χ = +inf if the numerator is > 0, NaN if both are 0 (the paper does not say; in
``metrics.json`` a non-finite χ is written as null, with ``chi_status`` saying why and
``chi_p_top``/``chi_p_bottom``/``chi_n_*`` giving the raw counts).
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from igd.learning.metrics import classification_metrics, json_safe_metrics

log = logging.getLogger(__name__)

FAMILIES: dict[str, str] = {"G": "G_", "S2": "S2_", "vmsd": "vmsd_", "dQ": "dQ_"}
"""Feature family → column-name prefix, in the order of the paper's feature vector."""

FAMILY_UNITS: dict[str, str] = {"G": "", "S2": "kB", "vmsd": "Angstrom^2", "dQ": "eV"}

DEFAULT_MODELS: dict[str, tuple[str, ...]] = {
    "all": ("G", "S2", "vmsd", "dQ"),
    "vmsd": ("vmsd",),
    "dQ": ("dQ",),
    "G": ("G",),
    "S2": ("S2",),
}
"""The full model and the single-family ablations of paper Fig. 12."""

NAN_POLICIES = ("error", "drop", "impute_train_median")

IGD_UNITS: dict[str, str] = {"sample": "", "id": "", "label": "", "igd": "", "train": "",
                             "test": ""}
"""Units of the IGD table (decision values are dimensionless); ``igd_<model>`` too."""

CV_UNITS: dict[str, str] = {"model": "", "log2C": "", "log2gamma": "", "C": "",
                            "gamma": "", "mean_accuracy": "", "std_accuracy": "",
                            "rank": ""}


class FeatureMismatchError(ValueError):
    """Tables of one sample that disagree on the atoms (ids) or their types."""


# --------------------------------------------------------------------------------------
# Feature assembly
# --------------------------------------------------------------------------------------

def vmsd_column(temperature: float) -> str:
    """Column name of the vibrational MSD at ``temperature`` (K): ``vmsd_025K`` etc."""
    return f"vmsd_{float(temperature):03g}K"


def family_columns(columns: Iterable[str], families: Sequence[str] = tuple(FAMILIES)
                   ) -> list[str]:
    """Feature columns of the given families, in family order then table order."""
    columns = list(columns)
    out: list[str] = []
    for fam in families:
        if fam not in FAMILIES:
            raise ValueError(f"unknown feature family {fam!r}; known: {list(FAMILIES)}")
        out += [c for c in columns if c.startswith(FAMILIES[fam])]
    return out


def feature_units(columns: Iterable[str]) -> dict[str, str]:
    """Units of a features table (for :func:`igd.common.io.write_table`)."""
    units = {"id": "", "type": "", "label": "", "complete": "", "dd2min_max": "Angstrom^2"}
    for c in columns:
        for fam, prefix in FAMILIES.items():
            if c.startswith(prefix):
                units[c] = FAMILY_UNITS[fam]
    return {c: units[c] for c in columns if c in units}


def _check_ids(name: str, df: pd.DataFrame, ref_ids: np.ndarray) -> None:
    if "id" not in df.columns:
        raise FeatureMismatchError(f"{name} table has no 'id' column")
    ids = df["id"].to_numpy()
    uniq, counts = np.unique(ids, return_counts=True)
    if (counts > 1).any():
        dup = uniq[counts > 1]
        raise FeatureMismatchError(f"{name} table has duplicate atom ids {dup[:10].tolist()}"
                                   f" ({dup.size} in all)")
    missing = np.setdiff1d(ref_ids, ids)
    extra = np.setdiff1d(ids, ref_ids)
    if missing.size or extra.size:
        raise FeatureMismatchError(
            f"{name} table does not hold the atoms of the labels table: "
            f"{missing.size} id(s) missing {missing[:10].tolist()}, "
            f"{extra.size} unexpected id(s) {extra[:10].tolist()}")


def _check_types(name: str, df: pd.DataFrame, ref: pd.Series) -> None:
    if "type" not in df.columns:
        return
    t = df.set_index("id")["type"].reindex(ref.index)
    bad = t.to_numpy() != ref.to_numpy()
    if bad.any():
        ids = ref.index.to_numpy()[bad]
        raise FeatureMismatchError(
            f"{name} table disagrees with the labels table on the type of {bad.sum()} "
            f"atom(s), ids {ids[:10].tolist()}")


def assemble_features(labels_df: pd.DataFrame, structure_df: pd.DataFrame,
                      vmsd_tables: Mapping[float, pd.DataFrame],
                      barriers_df: pd.DataFrame, types: pd.DataFrame | None = None, *,
                      nan_policy: str = "drop",
                      expected_counts: Mapping[str, int] | None = None
                      ) -> tuple[pd.DataFrame, dict[str, Any]]:
    """One sample's feature table: ``id, type, label, dd2min_max, complete`` + features.

    Inputs (one row per atom each; the output contract tables of PROTOCOL §11):
    ``labels_df`` (``id, type, dd2min_max, rearranged``), ``structure_df`` (``id, G_*,
    S2_*``), ``vmsd_tables`` {T (K): table with ``id, vmsd`` (Å²)}, ``barriers_df``
    (``id, dQ_*`` in eV) and optionally ``types`` (``id, type``, e.g. the glass atoms
    table). Every table must hold exactly the atoms of ``labels_df`` (no duplicates), and
    any ``type`` column must agree; otherwise :class:`FeatureMismatchError` names the
    table and the ids. ``expected_counts`` {family: n} checks the number of columns per
    family against the config.

    Rows are ordered by id; columns in the paper's order G, S2, vmsd (ascending T), dQ.
    ``label`` is +1 (rearranged) / −1; ``complete`` is False for atoms with any NaN
    feature. Returns ``(table, report)``; the report counts incomplete atoms per family.
    See the module docstring for ``nan_policy``.
    """
    if nan_policy not in NAN_POLICIES:
        raise ValueError(f"nan_policy must be one of {NAN_POLICIES}, got {nan_policy!r}")
    for col in ("id", "type", "rearranged"):
        if col not in labels_df.columns:
            raise FeatureMismatchError(f"labels table has no {col!r} column")
    lab = labels_df.sort_values("id").reset_index(drop=True)
    ref_ids = lab["id"].to_numpy()
    if np.unique(ref_ids).size != ref_ids.size:
        raise FeatureMismatchError("labels table has duplicate atom ids")
    ref_types = lab.set_index("id")["type"]

    tables = [("structure", structure_df), ("barriers", barriers_df)]
    tables += [(f"vmsd {float(T):g} K", df) for T, df in vmsd_tables.items()]
    if types is not None:
        tables.append(("types", types))
    for name, df in tables:
        _check_ids(name, df, ref_ids)
        _check_types(name, df, ref_types)

    def aligned(df: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
        return df.set_index("id")[cols].reindex(ref_ids).reset_index(drop=True)

    parts = [pd.DataFrame({
        "id": ref_ids,
        "type": lab["type"].to_numpy(),
        "label": np.where(lab["rearranged"].to_numpy(dtype=bool), 1, -1).astype(np.int8),
    })]
    if "dd2min_max" in lab.columns:
        parts.append(lab[["dd2min_max"]].reset_index(drop=True))
    parts.append(aligned(structure_df, family_columns(structure_df.columns, ["G"])))
    parts.append(aligned(structure_df, family_columns(structure_df.columns, ["S2"])))
    for T in sorted(vmsd_tables, key=float):
        df = vmsd_tables[T]
        if "vmsd" not in df.columns:
            raise FeatureMismatchError(f"vmsd {float(T):g} K table has no 'vmsd' column")
        parts.append(aligned(df, ["vmsd"]).rename(columns={"vmsd": vmsd_column(T)}))
    parts.append(aligned(barriers_df, family_columns(barriers_df.columns, ["dQ"])))
    table = pd.concat(parts, axis=1)

    feats = family_columns(table.columns)
    counts = {fam: len(family_columns(feats, [fam])) for fam in FAMILIES}
    if expected_counts is not None:
        wrong = {f: (counts.get(f), n) for f, n in expected_counts.items()
                 if counts.get(f) != n}
        if wrong:
            raise FeatureMismatchError(
                f"feature counts differ from the config (found, expected): {wrong}")
    values = table[feats].to_numpy(dtype=float)
    bad = ~np.isfinite(values)
    incomplete = bad.any(axis=1)
    table["complete"] = ~incomplete
    report: dict[str, Any] = {
        "n_atoms": int(len(table)),
        "n_features": len(feats),
        "feature_counts": counts,
        "n_incomplete": int(incomplete.sum()),
        "n_incomplete_by_family": {
            fam: int(bad[:, [feats.index(c) for c in family_columns(feats, [fam])]]
                     .any(axis=1).sum()) if counts[fam] else 0
            for fam in FAMILIES},
        "incomplete_ids": table.loc[incomplete, "id"].to_numpy()[:100].tolist(),
        "nan_policy": nan_policy,
    }
    if incomplete.any():
        msg = (f"{report['n_incomplete']} of {len(table)} atoms have missing (non-finite) "
               f"features, by family {report['n_incomplete_by_family']}; first ids "
               f"{report['incomplete_ids'][:10]}")
        if nan_policy == "error":
            raise ValueError(msg + " (nan_policy='error')")
        log.warning("%s; nan_policy=%r", msg, nan_policy)
    return table, report


def assemble_features_from_files(labels, structure, vmsd: Mapping[float, Any], barriers,
                                 atoms=None, *, sample: str | None = None,
                                 nan_policy: str = "drop",
                                 expected_counts: Mapping[str, int] | None = None
                                 ) -> tuple[pd.DataFrame, dict[str, Any]]:
    """:func:`assemble_features` on the stage output files (Parquet paths) of one sample.

    ``vmsd`` maps temperature (K) → path; ``atoms`` (optional) is the glass atoms table,
    of which only ``id, type`` are read. Every file whose metadata names a sample
    (``params.sample``) must name ``sample``; a table from another sample, with missing,
    extra or duplicate atoms, or disagreeing atom types raises
    :class:`FeatureMismatchError` naming the file and the atom ids.
    """
    from igd.common.io import read_metadata, read_table  # noqa: PLC0415

    files = [("labels", labels), ("structure", structure), ("barriers", barriers)]
    files += [(f"vmsd {float(T):g} K", p) for T, p in vmsd.items()]
    if atoms is not None:
        files.append(("types", atoms))
    if sample is not None:
        for _name, path in files:
            theirs = read_metadata(path).get("params", {}).get("sample")
            if theirs is not None and theirs != sample:
                raise FeatureMismatchError(
                    f"{path}: a table of sample {theirs}, not of {sample} "
                    f"(params.sample in its metadata)")
    tables = {name: read_table(path, columns=["id", "type"] if name == "types" else None)
              for name, path in files}
    lab = tables["labels"]
    if "id" in lab.columns and "type" in lab.columns:
        lab = lab.sort_values("id")
        ref_ids, ref_types = lab["id"].to_numpy(), lab.set_index("id")["type"]
        for name, path in files[1:]:
            try:
                _check_ids(name, tables[name], ref_ids)
                _check_types(name, tables[name], ref_types)
            except FeatureMismatchError as err:
                raise FeatureMismatchError(f"{path}: {err} ({labels})") from None
    try:
        return assemble_features(
            tables["labels"], tables["structure"],
            {T: tables[f"vmsd {float(T):g} K"] for T in vmsd}, tables["barriers"],
            tables.get("types"), nan_policy=nan_policy, expected_counts=expected_counts)
    except FeatureMismatchError as err:
        raise FeatureMismatchError(f"{sample or ''} {err} (inputs: {labels}, …)".strip()) \
            from None


# --------------------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------------------

def grid_from_range(start: float, stop: float, step: float) -> list[float]:
    """Inclusive arithmetic grid, e.g. ``grid_from_range(-5, 15, 2)`` (LIBSVM grid.py)."""
    n = int(math.floor((stop - start) / step + 1e-9)) + 1
    if n < 1:
        raise ValueError(f"empty grid {start}..{stop} step {step}")
    return [float(start + k * step) for k in range(n)]


def make_pipeline(*, impute: bool = False, cache_size_mb: float = 500.0):
    """``[SimpleImputer(median)] → StandardScaler → SVC(rbf)`` (scikit-learn = LIBSVM)."""
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    steps = []
    if impute:
        steps.append(("impute", SimpleImputer(strategy="median")))
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


def _usable(df: pd.DataFrame, cols: list[str], nan_policy: str) -> np.ndarray:
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
        usable = {s: _usable(df, cols, nan_policy) for s, df in features.items()}
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
        raise ValueError(f"{n_min} atoms in the smaller class: too few for {cv_folds}-fold "
                         "stratified CV")

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
    grid table (units :data:`CV_UNITS`), ``result.models[m].pipeline`` → joblib
    (:func:`save_pipeline`).
    """
    models = dict(DEFAULT_MODELS if models is None else models)
    if nan_policy not in NAN_POLICIES:
        raise ValueError(f"nan_policy must be one of {NAN_POLICIES}, got {nan_policy!r}")
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
    usable = {s: _usable(df, all_cols, nan_policy) for s, df in features.items()}
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
    base_name = "all" if "all" in trained else next(iter(trained))
    igd = trained[base_name].igd.copy()
    for m, t in trained.items():
        igd[f"igd_{m}"] = t.igd["igd"].to_numpy()
    metrics = {m: json_safe_metrics({**t.metrics, "model": m, "families": list(models[m])})
               for m, t in trained.items()}
    cv_grid = pd.concat([t.cv_grid for t in trained.values()], ignore_index=True)
    return LearningResult(igd=igd, metrics=metrics, cv_grid=cv_grid, models=trained)


def save_pipeline(pipeline: Any, path) -> None:
    """Persist a fitted pipeline with joblib, atomically."""
    import joblib

    from igd.common.io import atomic_path

    with atomic_path(path) as tmp:
        joblib.dump(pipeline, tmp)
