# Stage 4 (PROTOCOL §4): ARTn activation energies, fanned out in chunks of atoms.
#
# The fan-out is a {chunk} wildcard over range(artn.chunks), not Snakemake's scattergather:
# that would keep the SLURM grouping (slurm/config.yaml groups the rule) and the resume
# (finished temp() chunks stay until artn_gather succeeds), but its count can be changed by
# --set-scatter (command line or profile) behind the config's back, while the validated key
# artn.chunks also splits the atoms (params.chunks) and sizes each chunk's runtime and
# memory (igd.common.cost). Pinning the two together would leave scattergather nothing to
# add but 1-based "i-of-n" item names to parse.

ARTN_CHUNKS = list(range(config["artn"]["chunks"]))


rule artn_chunk:
    input:
        data="results/{sample}/glass/inherent.data",
        potential=config["potential"]["file"],
    output:
        events=temp("results/{sample}/artn/chunks/{chunk}_events.parquet"),
        barriers=temp("results/{sample}/artn/chunks/{chunk}_barriers.parquet"),
    params:
        search=artn_search_params(),
        chunks=config["artn"]["chunks"],
        atom_stride=config["artn"]["atom_stride"],
        n_atoms=sample_atoms,
        potential=config["potential"],
        lammps=without("lammps", "mpi_tasks"),
        seed=config["seed"],
        **SAMPLE_KEY_PARAMS,
    log:
        "results/logs/{sample}/artn_{chunk}.log",
    benchmark:
        "results/benchmarks/{sample}/artn_{chunk}.tsv"
    threads: LAMMPS_THREADS
    resources:
        **rule_resources("artn_chunk"),
    conda:
        ENV
    script:
        "../scripts/artn_chunk.py"


rule artn_gather:
    input:
        atoms="results/{sample}/glass/atoms.parquet",
        events=expand(
            "results/{{sample}}/artn/chunks/{chunk}_events.parquet", chunk=ARTN_CHUNKS
        ),
        barriers=expand(
            "results/{{sample}}/artn/chunks/{chunk}_barriers.parquet", chunk=ARTN_CHUNKS
        ),
    output:
        events="results/{sample}/artn/events.parquet",
        barriers="results/{sample}/artn/barriers.parquet",
    params:
        n_events=config["artn"]["search"]["n_events"],
    log:
        "results/logs/{sample}/artn_gather.log",
    benchmark:
        "results/benchmarks/{sample}/artn_gather.tsv"
    resources:
        **rule_resources("artn_gather"),
    conda:
        ENV
    script:
        "../scripts/artn_gather.py"


rule fig02:
    input:
        barriers=expand("results/{sample}/artn/barriers.parquet", sample=STUDY_SAMPLES),
        atoms=expand("results/{sample}/glass/atoms.parquet", sample=STUDY_SAMPLES),
    output:
        figure=report(
            "results/figures/fig02_barriers.png",
            caption="../report/fig02_barriers.rst",
            category="ARTn",
        ),
    params:
        samples=STUDY_SAMPLES,
    log:
        "results/logs/figures/fig02.log",
    benchmark:
        "results/benchmarks/figures/fig02.tsv"
    resources:
        **rule_resources("fig02"),
    conda:
        ENV
    script:
        "../scripts/fig02.py"
