# Stages 7–8 (PROTOCOL §7, §8): Hessian of the IS (VDOS, boson peak, per-atom I_BP) and the
# 700 K dynamics (displacement histories, S(q) of the IS); paper Figs. 5 and 6.

from igd.cli_old import params_json


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
        hessian=config["hessian"],
        n_atoms=config["system"]["n_atoms"],
        potential=config["potential"],
        lammps=without("lammps", "mpi_tasks"),
        json=lambda wc: params_json(
            wc,
            hessian=config["hessian"],
            n_atoms=config["system"]["n_atoms"],
            potential=config["potential"],
            lammps=without("lammps", "mpi_tasks"),
        ),
    log:
        "results/logs/{sample}/hessian.log",
    benchmark:
        "results/benchmarks/{sample}/hessian.tsv"
    threads: LAMMPS_THREADS
    resources:
        **rule_resources("hessian", mpi=True),
    conda:
        ENV
    shell:
        MPI_LAUNCH
        + "python -m igd.cli_old hessian --params-json {params.json:q}"
        " --input data={input.data:q}"
        " --output vdos={output.vdos:q} atoms={output.atoms:q} curves={output.curves:q}"
        " atom_vdos={output.atom_vdos:q}"
        " --log {log:q} --threads {threads} 2>> {log:q}"


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
        lammps=without("lammps", "mpi_tasks"),
        seed=lambda wc: sample_seed(wc, 2),
        json=lambda wc: params_json(
            wc,
            dynamics=config["dynamics"],
            potential=config["potential"],
            lammps=without("lammps", "mpi_tasks"),
            seed=sample_seed(wc, 2),
        ),
    log:
        "results/logs/{sample}/dynamics.log",
    benchmark:
        "results/benchmarks/{sample}/dynamics.tsv"
    threads: LAMMPS_THREADS
    resources:
        **rule_resources("dynamics", mpi=True),
    conda:
        ENV
    shell:
        MPI_LAUNCH
        + "python -m igd.cli_old dynamics --params-json {params.json:q}"
        " --input data={input.data:q} --output atoms={output.atoms:q} times={output.times:q}"
        " --log {log:q} --threads {threads} 2>> {log:q}"


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
        **rule_resources("structure_factor"),
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
        **rule_resources("fig05"),
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
        **rule_resources("fig06"),
    conda:
        ENV
    script:
        "../scripts/fig06.py"
