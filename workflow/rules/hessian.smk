# Stage 7 (PROTOCOL §7): Hessian of the IS (VDOS, boson peak, per-atom I_BP); paper Fig. 5.


rule hessian:
    input:
        data="results/{sample}/glass/inherent.data",
        potential=config["potential"]["file"],
    output:
        vdos="results/{sample}/hessian/vdos.parquet",
        atoms="results/{sample}/hessian/atoms.parquet",
        curves="results/{sample}/hessian/atom_curves.parquet",
        atom_vdos="results/{sample}/hessian/atom_vdos.parquet",
    params:
        **task_params(
            "hessian",
            hessian=config["hessian"],
            n_atoms=sample_atoms,
            potential=config["potential"],
            lammps=without("lammps", "mpi_tasks"),
        ),
    log:
        "results/logs/{sample}/hessian.log",
    benchmark:
        "results/benchmarks/{sample}/hessian.tsv"
    threads: MPI_JOB_CORES
    resources:
        **rule_resources("hessian", mpi=True),
    conda:
        ENV
    shell:
        task_shell("igd.hessian.tasks:hessian")


rule fig05:
    input:
        vdos=expand("results/{sample}/hessian/vdos.parquet", sample=STUDY_SAMPLES),
        curves=f"results/{STUDY_SAMPLES[0]}/hessian/atom_curves.parquet",
        data=expand("results/{sample}/glass/inherent.data", sample=STUDY_SAMPLES),
    output:
        fig=report(
            "results/figures/fig05_vdos.png",
            caption="../report/fig05_vdos.rst",
            category="Vibrations",
        ),
    params:
        samples=STUDY_SAMPLES,
        hessian=config["hessian"],
    log:
        "results/logs/figures/fig05.log",
    benchmark:
        "results/benchmarks/figures/fig05.tsv"
    resources:
        **rule_resources("fig05"),
    conda:
        ENV
    script:
        "../scripts/fig05.py"
