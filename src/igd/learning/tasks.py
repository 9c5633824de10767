"""Tasks of stage 6 (PROTOCOL §6): one function per rule of ``workflow/rules/learning.smk``."""

from __future__ import annotations

import logging

from igd.common.io import read_table, write_json, write_table
from igd.common.job import Job
from igd.common.provenance import inherited_provenance
from igd.learning.features import assemble_features_from_files, feature_units
from igd.learning.model import (PREDICTED_UNITS, file_sha256, load_model, model_from_training,
                                predict as predict_igd, prediction_metrics, save_model)
from igd.learning.svm import CV_UNITS, DEFAULT_MODELS, run_learning

log = logging.getLogger(__name__)


def features(job: Job) -> None:
    """One sample's feature table (G, S2, vMSD, ΔQ) with labels ±1 if the sample has AQS
    labels (:func:`igd.learning.features.assemble_features_from_files`).

    inputs ``labels`` (absent or empty for a sample without labels), ``structure, vmsd``
    (one per temperature of params ``temperatures``), ``barriers, atoms``; params
    ``temperatures, nan_policy, expected_counts``; output ``features``.
    """
    p, inp, sample = job.params, job.input, job.wildcards.sample
    table, report = assemble_features_from_files(
        inp.get("labels") or None, inp.structure,
        {float(T): f for T, f in zip(p.temperatures, inp.vmsd)},
        inp.barriers, inp.atoms, sample=sample, nan_policy=p.nan_policy,
        expected_counts=p.expected_counts)
    write_table(table, job.output.features, units=feature_units(table.columns),
                params={"nan_policy": p.nan_policy, "temperatures": p.temperatures,
                        "sample": sample},
                provenance=inherited_provenance(job.input_paths(), rule=job.rule),
                extra={"features_report": report})
    log.info("%s: %d atoms, %d features %s, %d incomplete (by family %s), %s", sample,
             report["n_atoms"], report["n_features"], report["feature_counts"],
             report["n_incomplete"], report["n_incomplete_by_family"],
             f"{int((table['label'] == 1).sum())} rearranged" if "label" in table
             else "no labels")


def learn(job: Job) -> None:
    """The IGD SVM and its single-family ablations (:func:`igd.learning.svm.run_learning`).

    input ``features`` (one per sample of params ``samples``: the training and test
    samples); params ``samples, models, test_samples, log2C, log2gamma, cv_folds,
    cv_max_rows, nan_policy, chi_fraction, cache_size_mb, seed``; outputs ``metrics``
    (JSON, keys = models), ``igd``, ``cv_grid``, ``model`` (the IGD model, skops,
    :mod:`igd.learning.model`) and ``models`` (one skops file per other model of params
    ``models``, in that order).
    """
    p = job.params
    tables = {s: read_table(f) for s, f in zip(p.samples, job.input.features)}
    result = run_learning(
        tables, test_samples=p.test_samples, log2C_grid=p.log2C, log2gamma_grid=p.log2gamma,
        cv_folds=p.cv_folds, seed=p.seed, n_jobs=job.threads, nan_policy=p.nan_policy,
        chi_fraction=p.chi_fraction, models={m: DEFAULT_MODELS[m] for m in p.models},
        cache_size_mb=p.cache_size_mb, cv_max_rows=p.cv_max_rows)
    settings = {k: p[k] for k in ("test_samples", "log2C", "log2gamma", "cv_folds",
                                  "cv_max_rows", "nan_policy", "chi_fraction", "seed")}
    prov = inherited_provenance(job.input_paths(), rule=job.rule)
    write_table(result.igd, job.output.igd, units=result.units, params=settings,
                provenance=prov)
    write_table(result.cv_grid, job.output.cv_grid, units=CV_UNITS, params=settings,
                provenance=prov)
    write_json(result.metrics, job.output.metrics)
    others = [m for m in p.models if m != result.igd_name]
    for m, path in [(result.igd_name, job.output.model), *zip(others, job.output.models)]:
        save_model(model_from_training(
            result.models[m], families=DEFAULT_MODELS[m], metrics=result.metrics[m],
            params={**settings, "samples": list(p.samples),
                    "cache_size_mb": p.cache_size_mb},
            provenance=prov), path)


def predict(job: Job) -> None:
    """IGD of one sample's atoms from a saved model (:func:`igd.learning.model.predict`),
    and its scores when the sample has labels.

    inputs ``features, model``; params ``chi_fraction``; outputs ``predicted`` (``sample,
    id, type, [label], igd, usable``; metadata: the model's name, file sha256, training
    params and, if labelled, ``metrics``) and ``metrics`` (JSON: ``labelled``, the
    metrics or null, the model and the provenance).
    """
    p, sample = job.params, job.wildcards.sample
    model = load_model(job.input.model)
    table = predict_igd(model, read_table(job.input.features))
    table.insert(0, "sample", sample)
    metrics = prediction_metrics(table, chi_fraction=p.chi_fraction)
    about = {"model": model.name, "model_file": str(job.input.model),
             "model_sha256": file_sha256(job.input.model), "model_params": model.params,
             "model_provenance": model.provenance}
    prov = {**inherited_provenance([job.input.features], rule=job.rule),
            "model_sha256": about["model_sha256"]}
    write_table(table, job.output.predicted, units=PREDICTED_UNITS,
                params={"sample": sample, "chi_fraction": p.chi_fraction, **about},
                provenance=prov, extra={"metrics": metrics})
    write_json({"sample": sample, "labelled": metrics is not None, "metrics": metrics,
                "params": {"chi_fraction": p.chi_fraction, **about}, "provenance": prov},
               job.output.metrics)
    log.info("%s: IGD of %d atoms (%d without) from model %r (%s)%s", sample, len(table),
             int((~table["usable"]).sum()), model.name, job.input.model,
             "" if metrics is None else
             f"; accuracy {metrics['accuracy']}, recall {metrics['recall']}, "
             f"AUC {metrics['roc_auc']}, chi {metrics['chi']}")
