# Stage 9 (PROTOCOL §9): the analyses of the IGD field, paper Figs. 4, 8–14, the OVITO
# snapshots and dumps, the report's tables (tasks: igd.analysis.tasks). Uses MODELS and
# TEST_SAMPLES of learning.smk.

# learning.analysis without the snapshot switch: switching the OVITO snapshots off changes
# no number, so it neither reruns rule analysis nor enters its tables' params.
ANALYSIS = {
    **LEARNING["analysis"],
    "snapshot": {
        k: v for k, v in LEARNING["analysis"]["snapshot"].items() if k != "enabled"
    },
}


rule analysis:
    input:
        igd="results/learning/igd.parquet",
        labels=expand("results/{sample}/labels.parquet", sample=STUDY_SAMPLES),
        atoms=expand("results/{sample}/glass/atoms.parquet", sample=STUDY_SAMPLES),
    output:
        correlation="results/learning/correlation.parquet",
        xi="results/learning/xi.json",
        p_active="results/learning/p_active.parquet",
        binned="results/learning/binned_dd2min.parquet",
        prdf="results/learning/prdf_igd.parquet",
    params:
        samples=STUDY_SAMPLES,
        test_samples=TEST_SAMPLES,
        models=MODELS,
        elements=ELEMENTS,
        threshold=config["shear"]["threshold"],
        analysis=ANALYSIS,
    log:
        "results/logs/learning/analysis.log",
    benchmark:
        "results/benchmarks/learning/analysis.tsv"
    resources:
        **rule_resources("analysis"),
    conda:
        ENV
    script:
        "../scripts/analysis.py"


rule fig04:
    input:
        cv_grid="results/learning/cv_grid.parquet",
    output:
        figure=report(
            "results/figures/fig04_cv_grid.png",
            caption="../report/fig04_cv_grid.rst",
            category="Learning",
        ),
    log:
        "results/logs/figures/fig04.log",
    benchmark:
        "results/benchmarks/figures/fig04.tsv"
    resources:
        **rule_resources("fig04"),
    conda:
        ENV
    script:
        "../scripts/fig04.py"


rule fig08:
    input:
        p_active="results/learning/p_active.parquet",
    output:
        figure=report(
            "results/figures/fig08_p_active.png",
            caption="../report/fig08_p_active.rst",
            category="Learning",
        ),
    params:
        threshold=config["shear"]["threshold"],
    log:
        "results/logs/figures/fig08.log",
    benchmark:
        "results/benchmarks/figures/fig08.tsv"
    resources:
        **rule_resources("fig08"),
    conda:
        ENV
    script:
        "../scripts/fig08.py"


rule fig09:
    input:
        igd="results/learning/igd.parquet",
        correlation="results/learning/correlation.parquet",
        xi="results/learning/xi.json",
    output:
        figure=report(
            "results/figures/fig09_igd.png",
            caption="../report/fig09_igd.rst",
            category="Learning",
        ),
    log:
        "results/logs/figures/fig09.log",
    benchmark:
        "results/benchmarks/figures/fig09.tsv"
    resources:
        **rule_resources("fig09"),
    conda:
        ENV
    script:
        "../scripts/fig09.py"


rule fig10:
    input:
        prdf="results/learning/prdf_igd.parquet",
    output:
        figure=report(
            "results/figures/fig10_prdf_igd.png",
            caption="../report/fig10_prdf_igd.rst",
            category="Learning",
        ),
    log:
        "results/logs/figures/fig10.log",
    benchmark:
        "results/benchmarks/figures/fig10.tsv"
    resources:
        **rule_resources("fig10"),
    conda:
        ENV
    script:
        "../scripts/fig10.py"


rule fig11:
    input:
        binned="results/learning/binned_dd2min.parquet",
    output:
        figure=report(
            "results/figures/fig11_dd2min_vs_igd.png",
            caption="../report/fig11_dd2min_vs_igd.rst",
            category="Learning",
        ),
    params:
        threshold=config["shear"]["threshold"],
    log:
        "results/logs/figures/fig11.log",
    benchmark:
        "results/benchmarks/figures/fig11.tsv"
    resources:
        **rule_resources("fig11"),
    conda:
        ENV
    script:
        "../scripts/fig11.py"


rule fig12:
    input:
        metrics="results/learning/metrics.json",
    output:
        figure=report(
            "results/figures/fig12_models.png",
            caption="../report/fig12_models.rst",
            category="Learning",
        ),
    params:
        models=MODELS,
    log:
        "results/logs/figures/fig12.log",
    benchmark:
        "results/benchmarks/figures/fig12.tsv"
    resources:
        **rule_resources("fig12"),
    conda:
        ENV
    script:
        "../scripts/fig12.py"


rule fig13:
    input:
        correlation="results/learning/correlation.parquet",
        xi="results/learning/xi.json",
    output:
        figure=report(
            "results/figures/fig13_xi.png",
            caption="../report/fig13_xi.rst",
            category="Learning",
        ),
    params:
        models=MODELS,
    log:
        "results/logs/figures/fig13.log",
    benchmark:
        "results/benchmarks/figures/fig13.tsv"
    resources:
        **rule_resources("fig13"),
    conda:
        ENV
    script:
        "../scripts/fig13.py"


# ---- atom snapshots (OVITO; learning.analysis.snapshot.enabled false: PNGs that say
# they were skipped), OVITO dumps, transferability (paper Figs. 8a/b, 9a, 11a, 14)
SNAPSHOT_SAMPLE = TEST_SAMPLES[0]
TRANSFER_SAMPLES = STUDY_SAMPLES if LEARNING["analysis"]["transfer_set"] == "all" else TEST_SAMPLES


rule snapshots:
    input:
        igd="results/learning/igd.parquet",
        labels=f"results/{SNAPSHOT_SAMPLE}/labels.parquet",
        atoms=f"results/{SNAPSHOT_SAMPLE}/glass/atoms.parquet",
    output:
        fig08=report(
            "results/figures/fig08_snapshots.png",
            caption="../report/fig08_snapshots.rst",
            category="Learning",
        ),
        fig09a=report(
            "results/figures/fig09a_igd_snapshot.png",
            caption="../report/fig09a_igd_snapshot.rst",
            category="Learning",
        ),
        fig11a=report(
            "results/figures/fig11a_snapshots.png",
            caption="../report/fig11a_snapshots.rst",
            category="Learning",
        ),
    params:
        sample=SNAPSHOT_SAMPLE,
        threshold=config["shear"]["threshold"],
        snapshot=LEARNING["analysis"]["snapshot"],
    log:
        "results/logs/figures/snapshots.log",
    benchmark:
        "results/benchmarks/figures/snapshots.tsv"
    resources:
        **rule_resources("snapshots"),
    conda:
        ENV
    script:
        "../scripts/snapshots.py"


rule ovito_dump:
    input:
        atoms="results/{sample}/glass/atoms.parquet",
        labels="results/{sample}/labels.parquet",
        igd="results/learning/igd.parquet",
        features="results/{sample}/features.parquet",
        hessian="results/{sample}/hessian/atoms.parquet",
        dynamics="results/{sample}/dynamics/atoms.parquet",
    output:
        dump="results/{sample}/atoms.dump",
    log:
        "results/logs/{sample}/ovito_dump.log",
    benchmark:
        "results/benchmarks/{sample}/ovito_dump.tsv"
    resources:
        **rule_resources("ovito_dump"),
    conda:
        ENV
    script:
        "../scripts/ovito_dump.py"


rule fig14:
    input:
        igd="results/learning/igd.parquet",
        hessian=expand("results/{sample}/hessian/atoms.parquet", sample=TRANSFER_SAMPLES),
        vdos=expand("results/{sample}/hessian/atom_vdos.parquet", sample=TRANSFER_SAMPLES),
        dynamics=expand("results/{sample}/dynamics/atoms.parquet", sample=TRANSFER_SAMPLES),
    output:
        table="results/learning/transferability.parquet",
        figure=report(
            "results/figures/fig14_transferability.png",
            caption="../report/fig14_transferability.rst",
            category="Learning",
        ),
    params:
        samples=TRANSFER_SAMPLES,
        transfer_set=LEARNING["analysis"]["transfer_set"],
        groups=LEARNING["analysis"]["transfer_groups"],
        scalar_groups=LEARNING["analysis"]["transfer_scalar_groups"],
        bin_fraction=LEARNING["analysis"]["transfer_bin_fraction"],
        bin_min_atoms=LEARNING["analysis"]["bin_min_atoms"],
    log:
        "results/logs/learning/fig14.log",
    benchmark:
        "results/benchmarks/learning/fig14.tsv"
    resources:
        **rule_resources("fig14"),
    conda:
        ENV
    script:
        "../scripts/fig14.py"


rule report_tables:
    input:
        metrics="results/learning/metrics.json",
        leaderboard="results/learning/leaderboard.parquet",
    output:
        metrics=report(
            "results/learning/metrics.html",
            caption="../report/metrics_table.rst",
            category="Learning",
        ),
        leaderboard=report(
            "results/learning/leaderboard.html",
            caption="../report/leaderboard_table.rst",
            category="Descriptors",
        ),
    params:
        test_samples=TEST_SAMPLES,
    log:
        "results/logs/learning/report_tables.log",
    benchmark:
        "results/benchmarks/learning/report_tables.tsv"
    resources:
        **rule_resources("report_tables"),
    conda:
        ENV
    script:
        "../scripts/report_tables.py"
