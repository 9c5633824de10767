# Stage 6 (PROTOCOL §6): feature tables, the IGD SVM and its ablations, the saved IGD
# model and its predictions (tasks: igd.learning.tasks).

from pathlib import Path

from igd.common.config import grid
from igd.learning.model import ModelFileError, load_model
from igd.learning.svm import DEFAULT_MODELS

LEARNING = config["learning"]
MODELS = list(DEFAULT_MODELS)
# held-out sample(s): TEST_SAMPLES of the samples sheet (common.smk; generated: the
# config's learning.test_samples, by default the last sample, paper: sample 10). learn
# trains and tests on STUDY_SAMPLES (train + test rows, in the sheet's order: the order
# decides the random training selection); predict applies the model to PREDICT_SAMPLES.
# The full IGD model goes to igd_model.skops, the single-family ablations to
# model_<name>.skops (igd.learning.model; skops, never pickle).
IGD_MODEL = "all"
ABLATIONS = [m for m in MODELS if m != IGD_MODEL]
# The model that `predict` applies: this run's, or learning.model_file (a model trained
# elsewhere; then `predict` needs no `learn`). A missing or unloadable file stops here,
# before any job.
MODEL_FILE = LEARNING["model_file"] or "results/learning/igd_model.skops"
if LEARNING["model_file"]:
    if not Path(MODEL_FILE).is_file():
        raise WorkflowError(f"invalid config: learning.model_file = {MODEL_FILE!r}: no "
                            f"such file (relative paths start at {Path.cwd()})")
    if workflow.is_main_process:
        try:
            load_model(MODEL_FILE)
        except ModelFileError as err:
            raise WorkflowError(f"invalid config: learning.model_file: {err}") from None


rule features:
    input:
        # AQS labels, or none for a sample without them (has_labels)
        labels=lambda wc: (
            f"results/{wc.sample}/labels.parquet" if has_labels(wc.sample) else []
        ),
        structure="results/{sample}/structure.parquet",
        vmsd=expand("results/{{sample}}/vmsd/{T}K.parquet", T=VMSD_TEMPERATURES),
        barriers="results/{sample}/artn/barriers.parquet",
        atoms="results/{sample}/glass/atoms.parquet",
    output:
        features="results/{sample}/features.parquet",
    params:
        temperatures=VMSD_TEMPERATURES,
        nan_policy=LEARNING["nan_policy"],
        expected_counts={
            "G": len(grid(config["structure"]["g_mu"])),
            "S2": len(grid(config["structure"]["s2_rc"])),
            "vmsd": len(VMSD_TEMPERATURES),
        },
    log:
        "results/logs/{sample}/features.log",
    benchmark:
        "results/benchmarks/{sample}/features.tsv"
    resources:
        **rule_resources("features"),
    conda:
        ENV
    script:
        "../scripts/features.py"


rule learn:
    input:
        features=expand("results/{sample}/features.parquet", sample=STUDY_SAMPLES),
    output:
        metrics="results/learning/metrics.json",
        igd="results/learning/igd.parquet",
        cv_grid="results/learning/cv_grid.parquet",
        model="results/learning/igd_model.skops",
        models=expand("results/learning/model_{model}.skops", model=ABLATIONS),
    params:
        samples=STUDY_SAMPLES,
        models=MODELS,
        test_samples=TEST_SAMPLES,
        log2C=grid(LEARNING["log2C"]),
        log2gamma=grid(LEARNING["log2gamma"]),
        cv_folds=LEARNING["cv_folds"],
        cv_max_rows=LEARNING["cv_max_rows"],
        nan_policy=LEARNING["nan_policy"],
        chi_fraction=LEARNING["chi_fraction"],
        cache_size_mb=LEARNING["cache_size_mb"],
        seed=config["seed"],
    log:
        "results/logs/learning/learn.log",
    benchmark:
        "results/benchmarks/learning/learn.tsv"
    threads: LEARNING["threads"]
    resources:
        **rule_resources("learn"),
    conda:
        ENV
    script:
        "../scripts/learn.py"


rule predict:
    input:
        features="results/{sample}/features.parquet",
        model=MODEL_FILE,
    output:
        predicted="results/{sample}/learning/predicted.parquet",
        metrics="results/{sample}/learning/metrics.json",
    params:
        chi_fraction=LEARNING["chi_fraction"],
    log:
        "results/logs/{sample}/predict.log",
    benchmark:
        "results/benchmarks/{sample}/predict.tsv"
    resources:
        **rule_resources("predict"),
    conda:
        ENV
    script:
        "../scripts/predict.py"
