# Stage 3 (PROTOCOL §3): per-atom vibrational MSD of each inherent structure per temperature.


rule vmsd:
    input:
        data="results/{sample}/glass/inherent.data",
        potential=config["potential"]["file"],
    output:
        vmsd="results/{sample}/vmsd/{T}K.parquet",
    params:
        **task_params(
            "vmsd",
            vmsd=config["vmsd"],
            potential=config["potential"],
            lammps=without("lammps", "mpi_tasks"),
            seed=lambda wc: sample_seed(wc, 1, int(wc.T)),
        ),
    log:
        "results/logs/{sample}/vmsd_{T}K.log",
    benchmark:
        "results/benchmarks/{sample}/vmsd_{T}K.tsv"
    threads: MPI_JOB_CORES
    resources:
        **rule_resources("vmsd", mpi=True),
    conda:
        ENV
    shell:
        task_shell("igd.vmsd.tasks:vmsd")


rule fig_vmsd:
    input:
        vmsd=expand("results/{sample}/vmsd/{T}K.parquet", sample=STUDY_SAMPLES, T=VMSD_TEMPERATURES),
        atoms=expand("results/{sample}/glass/atoms.parquet", sample=STUDY_SAMPLES),
    output:
        figure=report(
            "results/figures/fig_vmsd.png",
            caption="../report/fig_vmsd.rst",
            category="Features",
        ),
    params:
        samples=STUDY_SAMPLES,
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
