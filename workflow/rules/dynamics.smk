# Stage 8 (PROTOCOL §8): 700 K dynamics of the IS (per-atom displacement moments averaged
# over time origins, uniform frames of the run) and S(q) of the IS; paper Fig. 6.


rule dynamics:
    input:
        data="results/{sample}/glass/inherent.data",
        potential=config["potential"]["file"],
    output:
        atoms="results/{sample}/dynamics/atoms.parquet",
        times="results/{sample}/dynamics/times.parquet",
        frames="results/{sample}/dynamics/frames.parquet",
    params:
        **task_params(
            "dynamics",
            dynamics=config["dynamics"],
            potential=config["potential"],
            lammps=without("lammps", "mpi_tasks"),
            seed=lambda wc: sample_seed(wc, 2),
        ),
    log:
        "results/logs/{sample}/dynamics.log",
    benchmark:
        "results/benchmarks/{sample}/dynamics.tsv"
    threads: MPI_JOB_CORES
    resources:
        **rule_resources("dynamics", mpi=True),
    conda:
        ENV
    shell:
        task_shell("igd.dynamics.tasks:dynamics")


rule structure_factor:
    input:
        data="results/{sample}/glass/inherent.data",
    output:
        sq="results/{sample}/dynamics/sq.parquet",
    params:
        sq=config["sq"],
        elements=ELEMENTS,
        seed=lambda wc: sample_seed(wc, 3),
    log:
        "results/logs/{sample}/structure_factor.log",
    benchmark:
        "results/benchmarks/{sample}/structure_factor.tsv"
    resources:
        **rule_resources("structure_factor"),
    conda:
        ENV
    script:
        "../scripts/structure_factor.py"


rule fig06:
    input:
        atoms=expand("results/{sample}/dynamics/atoms.parquet", sample=STUDY_SAMPLES),
        sq=expand("results/{sample}/dynamics/sq.parquet", sample=STUDY_SAMPLES),
    output:
        fig=report(
            "results/figures/fig06_dynamics.png",
            caption="../report/fig06_dynamics.rst",
            category="Vibrations",
        ),
    params:
        samples=STUDY_SAMPLES,
        elements=ELEMENTS,
        dynamics=config["dynamics"],
    log:
        "results/logs/figures/fig06.log",
    benchmark:
        "results/benchmarks/figures/fig06.tsv"
    resources:
        **rule_resources("fig06"),
    conda:
        ENV
    script:
        "../scripts/fig06.py"
