# Stages 7–8 (PROTOCOL §7, §8): Hessian of the IS (VDOS, boson peak, per-atom I_BP) and the
# 700 K dynamics (displacement histories, S(q) of the IS); paper Figs. 5 and 6.


rule hessian:
    input:
        data="results/{sample}/glass/inherent.data",
        potential=config["potential"]["file"],
    output:
        vdos="results/{sample}/hessian/vdos.parquet",
        atoms="results/{sample}/hessian/atoms.parquet",
        curves="results/{sample}/hessian/atom_curves.parquet",
    params:
        hessian=config["hessian"],
        n_atoms=config["system"]["n_atoms"],
        potential=config["potential"],
        lammps=config["lammps"],
    log:
        "results/logs/{sample}/hessian.log",
    benchmark:
        "results/benchmarks/{sample}/hessian.tsv"
    threads: LAMMPS_THREADS
    resources:
        # dense matrix + eigenvectors, 2·(3N)²·8 B, plus the LAMMPS copy on disk
        mem_mb=lambda wc: 1000 + int(2.2 * (3 * config["system"]["n_atoms"]) ** 2 * 8 / 1e6),
        # measured on 500 atoms: 9 s for 6N force calls (∝ N²), 2 s for eigh (∝ N³); 3x margin
        runtime=lambda wc, attempt: int(
            max(
                10,
                3
                * (
                    9.0 * (config["system"]["n_atoms"] / 500) ** 2
                    + 2.0 * (config["system"]["n_atoms"] / 500) ** 3
                )
                / 60
                / LAMMPS_THREADS,
            )
            * attempt
        ),
    conda:
        ENV
    script:
        "../scripts/hessian.py"


rule dynamics:
    input:
        data="results/{sample}/glass/inherent.data",
        potential=config["potential"]["file"],
    output:
        atoms="results/{sample}/dynamics/atoms.parquet",
        times="results/{sample}/dynamics/times.parquet",
    params:
        dynamics=config["dynamics"],
        potential=config["potential"],
        lammps=config["lammps"],
        seed=lambda wc: sample_seed(wc, 2),
    log:
        "results/logs/{sample}/dynamics.log",
    benchmark:
        "results/benchmarks/{sample}/dynamics.tsv"
    threads: LAMMPS_THREADS
    resources:
        mem_mb=lambda wc: 1000 + config["system"]["n_atoms"] // 10,
        runtime=lambda wc, attempt: md_runtime(
            config["dynamics"]["t_max"] / config["dynamics"]["timestep"], attempt=attempt
        ),
    conda:
        ENV
    script:
        "../scripts/dynamics.py"


rule structure_factor:
    input:
        data="results/{sample}/glass/inherent.data",
    output:
        "results/{sample}/dynamics/sq.parquet",
    params:
        sq=config["sq"],
        elements=ELEMENTS,
        seed=lambda wc: sample_seed(wc, 3),
    log:
        "results/logs/{sample}/structure_factor.log",
    benchmark:
        "results/benchmarks/{sample}/structure_factor.tsv"
    resources:
        mem_mb=2000,
        runtime=lambda wc, attempt: 10 * attempt,
    conda:
        ENV
    script:
        "../scripts/structure_factor.py"


rule fig05:
    input:
        vdos=expand("results/{sample}/hessian/vdos.parquet", sample=SAMPLES),
        curves=f"results/{SAMPLES[0]}/hessian/atom_curves.parquet",
        data=expand("results/{sample}/glass/inherent.data", sample=SAMPLES),
    output:
        report(
            "results/figures/fig05_vdos.png",
            caption="../report/fig05_vdos.rst",
            category="Vibrations",
        ),
    params:
        samples=SAMPLES,
        hessian=config["hessian"],
    log:
        "results/logs/figures/fig05.log",
    benchmark:
        "results/benchmarks/figures/fig05.tsv"
    resources:
        mem_mb=1000,
        runtime=10,
    conda:
        ENV
    script:
        "../scripts/fig05.py"


rule fig06:
    input:
        atoms=expand("results/{sample}/dynamics/atoms.parquet", sample=SAMPLES),
        sq=expand("results/{sample}/dynamics/sq.parquet", sample=SAMPLES),
    output:
        report(
            "results/figures/fig06_dynamics.png",
            caption="../report/fig06_dynamics.rst",
            category="Vibrations",
        ),
    params:
        samples=SAMPLES,
        elements=ELEMENTS,
        dynamics=config["dynamics"],
    log:
        "results/logs/figures/fig06.log",
    benchmark:
        "results/benchmarks/figures/fig06.tsv"
    resources:
        # all samples' displacement histories at once: N·K·3 doubles per sample, 3 copies
        mem_mb=lambda wc: 1000 + 3 * len(SAMPLES) * config["system"]["n_atoms"] * 200 * 24 // 10**6,
        runtime=10,
    conda:
        ENV
    script:
        "../scripts/fig06.py"
