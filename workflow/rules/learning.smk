# Stage 6 (PROTOCOL §6): feature tables, the IGD SVM and its ablations
# (tasks: igd.learning.tasks).

from igd.common.config import grid
from igd.learning.svm import DEFAULT_MODELS

LEARNING = config["learning"]
MODELS = list(DEFAULT_MODELS)
# held-out sample(s): TEST_SAMPLES of the samples sheet (common.smk; generated: the
# config's learning.test_samples, by default the last sample, paper: sample 10)


rule features:
    input:
        labels="results/{sample}/labels.parquet",
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
        models=expand("results/learning/model_{model}.joblib", model=MODELS),
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
