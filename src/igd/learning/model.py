"""The saved IGD model (skops, not pickle) and its use on new glasses.

A saved model is one skops file (``results/learning/igd_model.skops`` for the full IGD,
``model_<name>.skops`` for the single-family ablations) holding a plain dict:

==================== ==================================================================
key                  content
==================== ==================================================================
``format``           ``"igd-model"``; ``format_version`` :data:`FORMAT_VERSION`
``name``             model name (``all`` = the IGD; ``vmsd``, ``dQ``, ``G``, ``S2``)
``families``         feature families of the model (:data:`igd.learning.features.FAMILIES`)
``feature_columns``  feature columns in the order the pipeline was fitted on
``pipeline``         fitted ``[SimpleImputer] → StandardScaler → SVC`` (scikit-learn)
``params``           training settings (grids, folds, seed, nan_policy, samples, best C/γ)
``metrics``          test-set metrics of the training run (JSON-safe, as ``metrics.json``)
``provenance``       the training run's provenance (igd version, rule, LAMMPS, potential)
==================== ==================================================================

Loading never trusts arbitrary types: skops refuses every type outside its default
trusted set (builtins, numpy arrays, scikit-learn estimators) unless it is listed in
:data:`TRUSTED_TYPES`, and :func:`load_model` names any other type found in the file
(:class:`UntrustedModelError`) instead of loading it.

The bytes are canonical (:func:`save_model`): skops names the array members of its zip
by object ids and stamps them with the time; they are renumbered in order and dated
1980-01-01, so the same model gives the same file.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from igd.learning.features import FAMILIES, FeatureMismatchError, family_columns
from igd.learning.metrics import classification_metrics, json_safe_metrics
from igd.learning.svm import usable_atoms

FORMAT = "igd-model"
FORMAT_VERSION = 1

TRUSTED_TYPES: tuple[str, ...] = ("numpy.dtype",)
"""Types a model file may hold beyond skops' default trusted set: the ``numpy.dtype``
that ``SimpleImputer`` keeps (``_fit_dtype``). Anything else is refused."""

PREDICTED_UNITS: dict[str, str] = {"sample": "", "id": "", "type": "", "label": "",
                                   "igd": "", "usable": ""}
"""Units of ``predicted.parquet`` (the IGD is a dimensionless SVM decision value)."""


class ModelFileError(ValueError):
    """A model file that is missing, not an IGD model, or of an unknown format version."""


class UntrustedModelError(ModelFileError):
    """A model file holding types outside skops' defaults and :data:`TRUSTED_TYPES`."""


@dataclass
class IGDModel:
    """A trained IGD model (see the module docstring for the fields)."""

    name: str
    families: list[str]
    feature_columns: list[str]
    pipeline: Any
    params: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)

    @property
    def nan_policy(self) -> str:
        """The training run's ``nan_policy`` (``drop`` if not recorded)."""
        return self.params.get("nan_policy", "drop")


def _canonical_zip(data: bytes) -> bytes:
    """skops' zip with the object ids (``__id__`` and the array members' names)
    renumbered in order of first appearance, and fixed member dates."""
    src = zipfile.ZipFile(io.BytesIO(data))
    schema = src.read("schema.json").decode()
    pattern = re.compile(r'("__id__": )(\d+)|("file": ")(\d+)(\.npy")')
    number: dict[str, int] = {}
    for m in pattern.finditer(schema):
        number.setdefault(m[2] or m[4], len(number))
    schema = pattern.sub(lambda m: f"{m[1]}{number[m[2]]}" if m[2] else
                         f"{m[3]}{number[m[4]]:06d}{m[5]}", schema)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            stem = info.filename.removesuffix(".npy")
            name = f"{number[stem]:06d}.npy" if stem in number else info.filename
            new = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            new.compress_type, new.external_attr = info.compress_type, info.external_attr
            dst.writestr(new, schema.encode() if info.filename == "schema.json"
                         else src.read(info.filename))
    return out.getvalue()


def save_model(model: IGDModel, path: str | os.PathLike) -> Path:
    """Write ``model`` to ``path`` (skops), atomically and with canonical bytes."""
    import skops.io as sio

    from igd.common.io import _jsonable, atomic_path

    doc = {"format": FORMAT, "format_version": FORMAT_VERSION, "name": model.name,
           "families": list(model.families), "feature_columns": list(model.feature_columns),
           "pipeline": model.pipeline,
           **{k: _jsonable(getattr(model, k)) for k in ("params", "metrics", "provenance")}}
    with atomic_path(path) as tmp:
        tmp.write_bytes(_canonical_zip(sio.dumps(doc)))
    return Path(path)


def load_model(path: str | os.PathLike,
               trusted: Sequence[str] = TRUSTED_TYPES) -> IGDModel:
    """Load a model written by :func:`save_model`.

    Only skops' default trusted types and ``trusted`` may occur in the file; any other
    raises :class:`UntrustedModelError` naming them (nothing of the file is executed). A
    missing file, a skops file that is no IGD model or a newer format version raises
    :class:`ModelFileError` naming the file.
    """
    import skops.io as sio

    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{path}: no such model file")
    try:
        found = sio.get_untrusted_types(file=path)
    except (zipfile.BadZipFile, KeyError, json.JSONDecodeError) as err:
        raise ModelFileError(f"{path}: not a skops model file ({err})") from None
    untrusted = sorted(set(found) - set(trusted))
    if untrusted:
        raise UntrustedModelError(f"{path}: refusing to load types outside the trusted set: "
                                  f"{untrusted} (trusted beyond skops' defaults: "
                                  f"{list(trusted)})")
    doc = sio.load(path, trusted=[t for t in found if t in trusted])
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ModelFileError(f"{path}: a skops file, but not an IGD model (format "
                             f"{doc.get('format') if isinstance(doc, dict) else type(doc)})")
    missing = [k for k in ("name", "families", "feature_columns", "pipeline") if k not in doc]
    if missing:
        raise ModelFileError(f"{path}: an IGD model file without {missing}")
    if doc.get("format_version", 0) > FORMAT_VERSION:
        raise ModelFileError(f"{path}: model format version {doc['format_version']} is "
                             f"newer than this igd's {FORMAT_VERSION}")
    return IGDModel(name=doc["name"], families=list(doc["families"]),
                    feature_columns=list(doc["feature_columns"]), pipeline=doc["pipeline"],
                    params=doc.get("params", {}), metrics=doc.get("metrics", {}),
                    provenance=doc.get("provenance", {}))


def file_sha256(path: str | os.PathLike) -> str:
    """Hex sha256 of a file (the model file's identity in a prediction's provenance)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def check_features(model: IGDModel, columns: Sequence[str]) -> list[str]:
    """The model's feature columns, after checking ``columns`` (a feature table's) hold
    exactly the model's features of its families: raises :class:`FeatureMismatchError`
    naming the missing and the extra columns."""
    have = family_columns(columns, [f for f in model.families if f in FAMILIES])
    missing = [c for c in model.feature_columns if c not in columns]
    extra = [c for c in have if c not in model.feature_columns]
    if missing or extra:
        raise FeatureMismatchError(
            f"the features do not match model {model.name!r} (families {model.families}): "
            f"missing columns {missing}, extra columns {extra}")
    return list(model.feature_columns)


def predict(model: IGDModel, features: pd.DataFrame) -> pd.DataFrame:
    """IGD of every atom of one feature table (:mod:`igd.learning.features`).

    Columns are taken in the model's order (:func:`check_features` first). Atoms with a
    non-finite feature follow the model's ``nan_policy``: ``drop`` → IGD NaN (``usable``
    False), ``error`` → ValueError, ``impute_train_median`` → imputed by the pipeline.
    Returns ``id, [type], [label], igd, usable`` (one row per atom, the table's order;
    ``label`` ±1 only if the table has labels).
    """
    cols = check_features(model, features.columns)
    usable = usable_atoms(features, cols, model.nan_policy)
    igd = np.full(len(features), np.nan)
    if usable.any():
        igd[usable] = model.pipeline.decision_function(
            features[cols].to_numpy(dtype=float)[usable])
    out = features[[c for c in ("id", "type", "label") if c in features.columns]].copy()
    out["igd"] = igd
    out["usable"] = usable
    return out.reset_index(drop=True)


def prediction_metrics(predicted: pd.DataFrame, chi_fraction: float = 0.05
                       ) -> dict[str, Any] | None:
    """Accuracy, recall, ROC AUC, χ, … (:func:`igd.learning.metrics.classification_metrics`,
    JSON-safe) of a :func:`predict` table on its usable atoms; None without labels."""
    if "label" not in predicted.columns:
        return None
    ok = predicted["usable"].to_numpy(dtype=bool)
    m = classification_metrics(predicted["label"].to_numpy()[ok],
                               predicted["igd"].to_numpy()[ok], chi_fraction=chi_fraction)
    m.update({"n_atoms": int(ok.sum()), "n_rearranged":
              int((predicted["label"].to_numpy()[ok] == 1).sum()),
              "n_excluded": int((~ok).sum())})
    return json_safe_metrics(m)


def model_from_training(trained: Any, *, families: Sequence[str], params: Mapping[str, Any],
                        metrics: Mapping[str, Any], provenance: Mapping[str, Any]) -> IGDModel:
    """An :class:`IGDModel` from a :class:`igd.learning.svm.TrainedModel` and the run's
    settings (``params``), JSON-safe metrics and provenance."""
    return IGDModel(name=trained.name, families=list(families),
                    feature_columns=list(trained.feature_columns), pipeline=trained.pipeline,
                    params={**params, **trained.best_params}, metrics=dict(metrics),
                    provenance=dict(provenance))
