# Stage 1 (PROTOCOL §1): melt-quench each sample to its inherent structure; g(r).
#
# A melt-quench longer than cluster.max_job_hours runs as GLASS_SEGMENTS jobs
# (igd.common.cost.glass_segments): glass_segment 0 … n-2, each ending in a LAMMPS binary
# restart + JSON sidecar that the next checks before reading, then glass (segment n-1 and
# the minimisation). With one segment, glass is the whole job and no glass_segment runs.
from igd.glass.segments import segment_inputs

# In-segment checkpoints every CHECKPOINT_STEPS MD steps (cluster.checkpoint_minutes; 0 =
# none, and no param, when one segment is shorter): a killed glass job resumes from its
# newest valid checkpoint in results/{sample}/glass/checkpoints/{segment}/, kept outside
# the outputs so that --rerun-incomplete and SLURM's requeue do not delete it.
try:
    GLASS_SEGMENTS = igdcost.glass_segments(config)
    CHECKPOINT_STEPS = igdcost.checkpoint_steps(config)
except ValueError as err:
    raise WorkflowError(f"invalid config: {err}") from None


rule glass_segment:
    input:
        unpack(lambda wc: segment_inputs(wc.sample, int(wc.segment), GLASS_SEGMENTS)),
        potential=config["potential"]["file"],
    output:
        restart="results/{sample}/glass/segments/{segment}.restart",
        sidecar="results/{sample}/glass/segments/{segment}.json",
        thermo="results/{sample}/glass/segments/{segment}.thermo",
    wildcard_constraints:
        segment=r"\d+",
    params:
        **task_params(
            "glass_segment",
            system=sample_system,
            glass=without("glass", "minimize"),
            potential=config["potential"],
            lammps=without("lammps", "mpi_tasks"),
            seed=sample_seed,
            segments=GLASS_SEGMENTS,
            **({"checkpoint_steps": CHECKPOINT_STEPS} if CHECKPOINT_STEPS else {}),
        ),
    log:
        "results/logs/{sample}/glass_segment_{segment}.log",
    benchmark:
        "results/benchmarks/{sample}/glass_segment_{segment}.tsv"
    threads: MPI_JOB_CORES
    resources:
        **rule_resources("glass_segment", mpi=True),
    conda:
        ENV
    shell:
        task_shell("igd.glass.tasks:glass_segment")


rule glass:
    input:
        unpack(lambda wc: segment_inputs(wc.sample, GLASS_SEGMENTS - 1, GLASS_SEGMENTS)),
        potential=config["potential"]["file"],
    output:
        data="results/{sample}/glass/inherent.data",
        atoms="results/{sample}/glass/atoms.parquet",
        thermo="results/{sample}/glass/thermo.parquet",
    params:
        **task_params(
            "glass",
            system=sample_system,
            glass=config["glass"],
            potential=config["potential"],
            lammps=without("lammps", "mpi_tasks"),
            seed=sample_seed,
            **({"segments": GLASS_SEGMENTS} if GLASS_SEGMENTS > 1 else {}),
            **({"checkpoint_steps": CHECKPOINT_STEPS} if CHECKPOINT_STEPS else {}),
        ),
    log:
        "results/logs/{sample}/glass.log",
    benchmark:
        "results/benchmarks/{sample}/glass.tsv"
    threads: MPI_JOB_CORES
    resources:
        **rule_resources("glass", mpi=True),
    conda:
        ENV
    shell:
        task_shell("igd.glass.tasks:glass")


# A sample whose sheet row names a structure file (FILE_SAMPLES) skips the melt-quench:
# its file, checked when the DAG is built (igd.common.glassfile), is converted and
# minimised with the configured potential to the same outputs as rule glass gives the
# later stages (inherent structure, per-atom table; no quench thermo).
ruleorder: import_glass > glass


rule import_glass:
    input:
        source=lambda wc: SHEET[wc.sample].source,
        potential=config["potential"]["file"],
    output:
        data="results/{sample}/glass/inherent.data",
        atoms="results/{sample}/glass/atoms.parquet",
    wildcard_constraints:
        sample=names_regex(FILE_SAMPLES),
    params:
        glass={k: config["glass"][k] for k in ("minimize", "barostat", "pressure")},
        potential=config["potential"],
        lammps=without("lammps", "mpi_tasks"),
    log:
        "results/logs/{sample}/import_glass.log",
    benchmark:
        "results/benchmarks/{sample}/import_glass.tsv"
    threads: LAMMPS_THREADS
    resources:
        **rule_resources("import_glass"),
    conda:
        ENV
    script:
        "../scripts/import_glass.py"


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
        rdf=expand("results/{sample}/glass/rdf.parquet", sample=STUDY_SAMPLES),
    output:
        figure=report(
            "results/figures/fig01_rdf.png", caption="../report/fig01_rdf.rst", category="Glass"
        ),
    params:
        samples=STUDY_SAMPLES,
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
