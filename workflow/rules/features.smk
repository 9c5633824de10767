# Stage 3 (PROTOCOL §3, §5): per-atom structural features G and S2.

from igd.cli_old import params_json


rule structure:
    input:
        data="results/{sample}/glass/inherent.data",
    output:
        "results/{sample}/structure.parquet",
    params:
        structure=config["structure"],
    log:
        "results/logs/{sample}/structure.log",
    benchmark:
        "results/benchmarks/{sample}/structure.tsv"
    resources:
        **rule_resources("structure"),
    conda:
        ENV
    script:
        "../scripts/structure.py"


rule vmsd:
    input:
        data="results/{sample}/glass/inherent.data",
        potential=config["potential"]["file"],
    output:
        "results/{sample}/vmsd/{T}K.parquet",
    params:
        vmsd=config["vmsd"],
        potential=config["potential"],
        lammps=without("lammps", "mpi_tasks"),
        seed=lambda wc: sample_seed(wc, 1, int(wc.T)),
        json=lambda wc: params_json(
            wc,
            vmsd=config["vmsd"],
            potential=config["potential"],
            lammps=without("lammps", "mpi_tasks"),
            seed=sample_seed(wc, 1, int(wc.T)),
        ),
    log:
        "results/logs/{sample}/vmsd_{T}K.log",
    benchmark:
        "results/benchmarks/{sample}/vmsd_{T}K.tsv"
    threads: LAMMPS_THREADS
    resources:
        **rule_resources("vmsd", mpi=True),
    conda:
        ENV
    shell:
        MPI_LAUNCH
        + "python -m igd.cli_old vmsd --params-json {params.json:q}"
        " --input data={input.data:q} --output table={output:q}"
        " --log {log:q} --threads {threads} 2>> {log:q}"


rule fig_vmsd:
    input:
        lambda wc: expand(
            "results/{sample}/vmsd/{T}K.parquet", sample=SAMPLES, T=VMSD_TEMPERATURES
        ),
        atoms=expand("results/{sample}/glass/atoms.parquet", sample=SAMPLES),
    output:
        report(
            "results/figures/fig_vmsd.png",
            caption="../report/fig_vmsd.rst",
            category="Features",
        ),
    params:
        samples=SAMPLES,
        temperatures=VMSD_TEMPERATURES,
    log:
        "results/logs/figures/fig_vmsd.log",
    benchmark:
        "results/benchmarks/figures/fig_vmsd.tsv"
    resources:
        **rule_resources("fig_vmsd"),
    conda:
        ENV
    script:
        "../scripts/fig_vmsd.py"
