# Stage 1 (PROTOCOL §1): melt-quench each sample to its inherent structure; g(r).


rule glass:
    input:
        potential=config["potential"]["file"],
    output:
        data="results/{sample}/glass/inherent.data",
        atoms="results/{sample}/glass/atoms.parquet",
        thermo="results/{sample}/glass/thermo.parquet",
    params:
        **task_params(
            "glass",
            system=config["system"],
            glass=config["glass"],
            potential=config["potential"],
            lammps=without("lammps", "mpi_tasks"),
            seed=sample_seed,
        ),
    log:
        "results/logs/{sample}/glass.log",
    benchmark:
        "results/benchmarks/{sample}/glass.tsv"
    threads: LAMMPS_THREADS
    resources:
        **rule_resources("glass", mpi=True),
    conda:
        ENV
    shell:
        task_shell("igd.glass.tasks:glass")


rule rdf:
    input:
        atoms="results/{sample}/glass/atoms.parquet",
    output:
        rdf="results/{sample}/glass/rdf.parquet",
    params:
        rdf=config["rdf"],
        elements=ELEMENTS,
    log:
        "results/logs/{sample}/rdf.log",
    benchmark:
        "results/benchmarks/{sample}/rdf.tsv"
    resources:
        **rule_resources("rdf"),
    conda:
        ENV
    script:
        "../scripts/rdf.py"


rule fig01_rdf:
    input:
        rdf=expand("results/{sample}/glass/rdf.parquet", sample=SAMPLES),
    output:
        figure=report(
            "results/figures/fig01_rdf.png", caption="../report/fig01_rdf.rst", category="Glass"
        ),
    params:
        samples=SAMPLES,
    log:
        "results/logs/figures/fig01_rdf.log",
    benchmark:
        "results/benchmarks/figures/fig01_rdf.tsv"
    resources:
        **rule_resources("fig01_rdf"),
    conda:
        ENV
    script:
        "../scripts/fig01_rdf.py"
