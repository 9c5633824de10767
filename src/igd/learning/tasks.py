"""Tasks of stage 6 (PROTOCOL §6): one function per rule of ``workflow/rules/learning.smk``."""

from __future__ import annotations

import logging

from igd.common.io import read_table, write_json, write_table
from igd.common.job import Job
from igd.common.provenance import inherited_provenance
from igd.learning.features import assemble_features_from_files, feature_units
from igd.learning.svm import CV_UNITS, DEFAULT_MODELS, run_learning, save_pipeline

log = logging.getLogger(__name__)


def features(job: Job) -> None:
    """One sample's feature table (G, S2, vMSD, ΔQ) with labels ±1
    (:func:`igd.learning.features.assemble_features_from_files`).

    inputs ``labels, structure, vmsd`` (one per temperature of params ``temperatures``),
    ``barriers, atoms``; params ``temperatures, nan_policy, expected_counts``; output
    ``features``.
    """
    p, inp, sample = job.params, job.input, job.wildcards.sample
    table, report = assemble_features_from_files(
        inp.labels, inp.structure, {float(T): f for T, f in zip(p.temperatures, inp.vmsd)},
        inp.barriers, inp.atoms, sample=sample, nan_policy=p.nan_policy,
        expected_counts=p.expected_counts)
    write_table(table, job.output.features, units=feature_units(table.columns),
                params={"nan_policy": p.nan_policy, "temperatures": p.temperatures,
                        "sample": sample},
                provenance=inherited_provenance(job.input_paths(), rule=job.rule),
                extra={"features_report": report})
    log.info("%s: %d atoms, %d features %s, %d incomplete (by family %s), %d rearranged",
             sample, report["n_atoms"], report["n_features"], report["feature_counts"],
             report["n_incomplete"], report["n_incomplete_by_family"],
             int((table["label"] == 1).sum()))


def learn(job: Job) -> None:
    """The IGD SVM and its single-family ablations (:func:`igd.learning.svm.run_learning`).

    input ``features`` (one per sample of params ``samples``); params ``samples, models,
    test_samples, log2C, log2gamma, cv_folds, cv_max_rows, nan_policy, chi_fraction,
    cache_size_mb, seed``; outputs ``metrics`` (JSON, keys = models), ``igd``,
    ``cv_grid``, ``models`` (one joblib pipeline per model of params ``models``).
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
    for m, path in zip(p.models, job.output.models):
        save_pipeline(result.models[m].pipeline, path)
