"""Rule learn: the IGD SVM and its single-family ablations (PROTOCOL §6)."""

from igd.common.io import read_table, write_json, write_table
from igd.learning.svm import CV_UNITS, DEFAULT_MODELS, run_learning, save_pipeline
from igd.common.logs import setup
from igd.common.provenance import inherited_provenance

sm = snakemake  # noqa: F821
setup(sm.log[0])
p = sm.params
features = {s: read_table(f) for s, f in zip(p.samples, sm.input)}
result = run_learning(
    features, test_samples=p.test_samples, log2C_grid=p.log2C, log2gamma_grid=p.log2gamma,
    cv_folds=p.cv_folds, seed=p.seed, n_jobs=sm.threads, nan_policy=p.nan_policy,
    chi_fraction=p.chi_fraction, models={m: DEFAULT_MODELS[m] for m in p.models},
    cache_size_mb=p.cache_size_mb, cv_max_rows=p.cv_max_rows)
settings = {k: getattr(p, k) for k in ("test_samples", "log2C", "log2gamma", "cv_folds",
                                      "cv_max_rows", "nan_policy", "chi_fraction", "seed")}
prov = inherited_provenance(sm.input, rule=sm.rule)
write_table(result.igd, sm.output.igd, units=result.units, params=settings, provenance=prov)
write_table(result.cv_grid, sm.output.cv_grid, units=CV_UNITS, params=settings,
            provenance=prov)
write_json(result.metrics, sm.output.metrics)   # keys are the models (see learning.py)
for m, path in zip(p.models, sm.output.models):
    save_pipeline(result.models[m].pipeline, path)
