# Stage 10 (PROTOCOL §10, beyond the paper): the descriptors of the companion papers
# 002–004 per atom, and one leaderboard scoring them with the IGD on the same atoms.

DESCRIPTORS = config["descriptors"]
# v_flex temperature: the vMSD temperature closest to the configured one
VFLEX_T = min(VMSD_TEMPERATURES, key=lambda t: abs(float(t) - DESCRIPTORS["vflex_temperature"]))


rule descriptors_local:
    input:
        data="results/{sample}/glass/inherent.data",
        vmsd=f"results/{{sample}}/vmsd/{VFLEX_T}K.parquet",
        hessian="results/{sample}/hessian/atoms.parquet",
        frames="results/{sample}/dynamics/frames.parquet",
    output:
        local="results/{sample}/descriptors/local.parquet",
        radial="results/{sample}/descriptors/radial.parquet",
        entropy="results/{sample}/descriptors/entropy_t.parquet",
    params:
        descriptors=DESCRIPTORS,
        vflex_temperature=float(VFLEX_T),
        structure=config["structure"],
        elements=ELEMENTS,
    log:
        "results/logs/{sample}/descriptors_local.log",
    benchmark:
        "results/benchmarks/{sample}/descriptors_local.tsv"
    resources:
        **rule_resources("descriptors_local"),
    conda:
        ENV
    script:
        "../scripts/descriptors_local.py"


rule structural_flexibility:
    input:
        local=expand("results/{sample}/descriptors/local.parquet", sample=STUDY_SAMPLES),
        radial=expand("results/{sample}/descriptors/radial.parquet", sample=STUDY_SAMPLES),
    output:
        tables=expand("results/{sample}/descriptors.parquet", sample=STUDY_SAMPLES),
        model="results/learning/sf_model.json",
    params:
        samples=STUDY_SAMPLES,
        test_samples=TEST_SAMPLES,
        svr=DESCRIPTORS["svr"],
        seed=config["seed"],
    log:
        "results/logs/learning/structural_flexibility.log",
    benchmark:
        "results/benchmarks/learning/structural_flexibility.tsv"
    resources:
        **rule_resources("structural_flexibility"),
    conda:
        ENV
    script:
        "../scripts/structural_flexibility.py"


rule leaderboard:
    input:
        descriptors=expand("results/{sample}/descriptors.parquet", sample=STUDY_SAMPLES),
        igd="results/learning/igd.parquet",
        labels=expand("results/{sample}/labels.parquet", sample=STUDY_SAMPLES),
        barriers=expand("results/{sample}/artn/barriers.parquet", sample=STUDY_SAMPLES),
        hessian=expand("results/{sample}/hessian/atoms.parquet", sample=STUDY_SAMPLES),
        atoms=expand("results/{sample}/glass/atoms.parquet", sample=STUDY_SAMPLES),
        vmsd=expand(
            "results/{sample}/vmsd/{T}K.parquet", sample=STUDY_SAMPLES, T=VMSD_TEMPERATURES
        ),
    output:
        table="results/learning/leaderboard.parquet",
        markdown="results/learning/leaderboard.md",
        correlation="results/learning/leaderboard_correlation.parquet",
    params:
        samples=STUDY_SAMPLES,
        temperatures=VMSD_TEMPERATURES,
        models=MODELS,
        test_samples=TEST_SAMPLES,
        elements=ELEMENTS,
        leaderboard=DESCRIPTORS["leaderboard"],
        chi_fraction=LEARNING["chi_fraction"],
        analysis=ANALYSIS,
    log:
        "results/logs/learning/leaderboard.log",
    benchmark:
        "results/benchmarks/learning/leaderboard.tsv"
    resources:
        **rule_resources("leaderboard"),
    conda:
        ENV
    script:
        "../scripts/leaderboard.py"


rule fig_leaderboard:
    input:
        table="results/learning/leaderboard.parquet",
    output:
        figure=report(
            "results/figures/fig_leaderboard.png",
            caption="../report/fig_leaderboard.rst",
            category="Descriptors",
        ),
    log:
        "results/logs/figures/fig_leaderboard.log",
    benchmark:
        "results/benchmarks/figures/fig_leaderboard.tsv"
    resources:
        **rule_resources("fig_leaderboard"),
    conda:
        ENV
    script:
        "../scripts/fig_leaderboard.py"


rule fig_entropy:
    input:
        entropy=expand("results/{sample}/descriptors/entropy_t.parquet", sample=STUDY_SAMPLES),
    output:
        figure=report(
            "results/figures/fig_entropy.png",
            caption="../report/fig_entropy.rst",
            category="Descriptors",
        ),
    params:
        samples=STUDY_SAMPLES,
    log:
        "results/logs/figures/fig_entropy.log",
    benchmark:
        "results/benchmarks/figures/fig_entropy.tsv"
    resources:
        **rule_resources("fig_entropy"),
    conda:
        ENV
    script:
        "../scripts/fig_entropy.py"
