# Stage 2 (PROTOCOL §2): athermal quasi-static shear xy/yz/zx, ΔD²min, plasticity labels.


rule aqs:
    input:
        data="results/{sample}/glass/inherent.data",
        rdf="results/{sample}/glass/rdf.parquet",
        potential=config["potential"]["file"],
    output:
        atoms="results/{sample}/shear/{direction}.parquet",
        curve="results/{sample}/shear/{direction}_curve.parquet",
        trace="results/{sample}/shear/{direction}_trace.parquet",
    params:
        **task_params(
            "aqs",
            shear=without("shear", "threshold"),
            potential=config["potential"],
            lammps=without("lammps", "mpi_tasks"),
        ),
    log:
        "results/logs/{sample}/aqs_{direction}.log",
    benchmark:
        "results/benchmarks/{sample}/aqs_{direction}.tsv"
    threads: MPI_JOB_CORES
    resources:
        **rule_resources("aqs", mpi=True),
    conda:
        ENV
    shell:
        task_shell("igd.labels.tasks:aqs")


rule labels:
    input:
        atoms="results/{sample}/glass/atoms.parquet",
        shear=expand(
            "results/{{sample}}/shear/{direction}.parquet",
            direction=config["shear"]["directions"],
        ),
    output:
        labels="results/{sample}/labels.parquet",
    params:
        directions=config["shear"]["directions"],
        threshold=config["shear"]["threshold"],
    log:
        "results/logs/{sample}/labels.log",
    benchmark:
        "results/benchmarks/{sample}/labels.tsv"
    resources:
        **rule_resources("labels"),
    conda:
        ENV
    script:
        "../scripts/labels.py"


rule fig03:
    input:
        labels=expand("results/{sample}/labels.parquet", sample=STUDY_SAMPLES),
        curves=expand(
            "results/{sample}/shear/{direction}_curve.parquet",
            sample=STUDY_SAMPLES,
            direction=config["shear"]["directions"],
        ),
        traces=expand(
            "results/{sample}/shear/{direction}_trace.parquet",
            sample=STUDY_SAMPLES[:1],
            direction=config["shear"]["directions"],
        ),
    output:
        dd2min=report(
            "results/figures/fig03_dd2min.png",
            caption="../report/fig03_dd2min.rst",
            category="Labels",
        ),
        stress=report(
            "results/figures/fig03_stress_strain.png",
            caption="../report/fig03_stress_strain.rst",
            category="Labels",
        ),
    params:
        samples=STUDY_SAMPLES,
        directions=config["shear"]["directions"],
        threshold=config["shear"]["threshold"],
    log:
        "results/logs/figures/fig03.log",
    benchmark:
        "results/benchmarks/figures/fig03.tsv"
    resources:
        **rule_resources("fig03"),
    conda:
        ENV
    script:
        "../scripts/fig03.py"
