# Stage 1 (PROTOCOL §1): melt-quench each sample to its inherent structure; g(r).

from igd.glass.quench import phase_steps


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
        mem_mb=lambda wc: 1000 + config["system"]["n_atoms"] // 10,
        runtime=lambda wc, attempt: md_runtime(sum(phase_steps(config["glass"]).values()), attempt=attempt),
        **MPI_RESOURCES,
    conda:
        ENV
    shell:
        task_shell("igd.glass.tasks:glass")


rule rdf:
    input:
        atoms="results/{sample}/glass/atoms.parquet",
    output:
        "results/{sample}/glass/rdf.parquet",
    params:
        rdf=config["rdf"],
        elements=ELEMENTS,
    log:
        "results/logs/{sample}/rdf.log",
    benchmark:
        "results/benchmarks/{sample}/rdf.tsv"
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        ENV
    script:
        "../scripts/rdf.py"


rule fig01_rdf:
    input:
        expand("results/{sample}/glass/rdf.parquet", sample=SAMPLES),
    output:
        report("results/figures/fig01_rdf.png", caption="../report/fig01_rdf.rst", category="Glass"),
    params:
        samples=SAMPLES,
    log:
        "results/logs/figures/fig01_rdf.log",
    benchmark:
        "results/benchmarks/figures/fig01_rdf.tsv"
    resources:
        mem_mb=1000,
        runtime=10,
    conda:
        ENV
    script:
        "../scripts/fig01_rdf.py"
