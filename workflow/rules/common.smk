# Config validation (schema + relations between keys), sample names, seeds, resources.
import json
import re
import shlex
from pathlib import Path
import sys

from igd.common import config as igdconfig
from igd.common import cost as igdcost
from igd.common import samples as igdsamples
from igd.common.job import document as task_document
from igd.common.lammps import LammpsSetupError, check_potential


# Schema (types, ranges, unknown keys; snakemake.utils.validate fills the defaults) and
# the relations between keys, before any job starts. Errors name the config key.
try:
    igdconfig.validate(config)
except igdconfig.ConfigError as err:
    raise WorkflowError(f"invalid config: {err}") from None
try:
    check_potential(config["potential"])
except LammpsSetupError as err:
    raise WorkflowError(f"invalid config: {err}") from None
# System libraries (igd.common.system): OVITO's snapshots need a Vulkan loader and driver;
# say so before the first job (install command, or the switch to skip the snapshots). Only
# in the process planning the run (not again in every job of a cluster executor).
if config["learning"]["analysis"]["snapshot"].get("enabled", True) and workflow.is_main_process:
    from igd.common.system import SystemRequirementError, check_snapshots

    try:
        check_snapshots()
    except SystemRequirementError as err:
        raise WorkflowError(str(err)) from None


# The samples sheet (igd.common.samples; README "Your own glasses"): generated from
# n_samples / learning.test_samples (s0 … s(n-1), as before the sheet) or read from the
# TSV of config key `samples`, each structure file read and checked here, before any job.
# CONTRACT with the learning stage: SAMPLES (all rows, sheet order), TRAIN_SAMPLES,
# TEST_SAMPLES, PREDICT_SAMPLES (names) and has_labels(sample).
try:
    SHEET = {s.name: s for s in igdsamples.samples_of(config)}
except (igdsamples.SampleSheetError, igdconfig.ConfigError) as err:
    raise WorkflowError(f"invalid samples: {err}") from None
SAMPLES = list(SHEET)
TRAIN_SAMPLES = [s for s in SAMPLES if SHEET[s].role == "train"]
TEST_SAMPLES = [s for s in SAMPLES if SHEET[s].role == "test"]
PREDICT_SAMPLES = [s for s in SAMPLES if SHEET[s].role == "predict"]
# the samples of the study: training, figures and analyses (sheet order)
STUDY_SAMPLES = [s for s in SAMPLES if SHEET[s].role != "predict"]
QUENCH_SAMPLES = [s for s in SAMPLES if SHEET[s].quenched]
FILE_SAMPLES = [s for s in SAMPLES if not SHEET[s].quenched]


def has_labels(sample):
    """Whether ``sample`` gets the AQS labels (train and test always; predict if its row says so)."""
    return SHEET[sample].labels


def names_regex(names):
    """A wildcard constraint matching exactly ``names`` (none: matches nothing)."""
    return "|".join(re.escape(n) for n in names) or "(?!)"


ELEMENTS = config["potential"]["elements"]
LAMMPS_THREADS = config["lammps"]["threads"]
ENV = "../../envs/igd.yaml"
VMSD_TEMPERATURES = [f"{t:g}" for t in igdconfig.grid(config["vmsd"]["temperatures"])]


wildcard_constraints:
    sample=names_regex(SAMPLES),
    direction="xy|yz|zx",
    T=r"\d+(\.\d+)?",


# The one glue path (igd.common.job): script rules run `run_script(task, snakemake)`, the
# LAMMPS-heavy shell rules (glass, aqs, vmsd, hessian, dynamics) run the same task function
# through `python -m igd.cli`, under MPI when lammps.mpi_tasks > 1.
#
# The interpreter of the shell rules is the one running Snakemake (not the first `python`
# on PATH), unless the rule runs in its conda env (--sdm conda), whose python is on PATH.
def _uses_conda():
    methods = getattr(getattr(workflow, "deployment_settings", None), "deployment_method", None)
    return any(getattr(m, "name", "") == "CONDA" for m in methods or ())


PYTHON = "python" if _uses_conda() else shlex.quote(sys.executable)

# MPI launch: with lammps.mpi_tasks = 1 the shell rules run as plain serial jobs (the SLURM
# plugin refuses an MPI job of one task); with more, `{resources.mpi} -n {resources.tasks}`
# starts them. resources.mpi is lammps.launcher: "mpiexec" = the mpiexec (hydra) of the
# environment running Snakemake (the venv's MPICH wheel), like PYTHON; or "srun --mpi=pmi2"
# (a SLURM job step; tests/workflow/test_slurm.py). A profile's set-resources may still
# override it per rule.
MPI_TASKS = config["lammps"]["mpi_tasks"]
MPI_LAUNCH = "{resources.mpi} -n {resources.tasks} " if MPI_TASKS > 1 else ""
_MPIEXEC = Path(sys.executable).parent / "mpiexec"
if config["lammps"]["launcher"] != "mpiexec":
    MPIEXEC = config["lammps"]["launcher"]
elif _MPIEXEC.exists() and not _uses_conda():
    MPIEXEC = shlex.quote(str(_MPIEXEC))
else:
    MPIEXEC = "mpiexec"
# An MPI job's threads: are all its cores (what a local --cores run schedules by); SLURM
# gets them as resources.tasks ranks × cpus_per_task = lammps.threads OpenMP threads each,
# which igd.cli also receives (--threads, task_shell) whatever Snakemake scales threads to.
MPI_RESOURCES = ({"tasks": MPI_TASKS, "mpi": MPIEXEC, "cpus_per_task": LAMMPS_THREADS}
                 if MPI_TASKS > 1 else {})
MPI_JOB_CORES = LAMMPS_THREADS * MPI_TASKS

# Cheap rules (one core, at most igd.common.cost.LOCAL_MAX_SECONDS and LOCAL_MAX_MB under
# this config: figures, tables, per-sample summaries) run inside the main Snakemake
# process instead of as one cluster job each (no effect on a local run). Snakemake ignores
# this for a rule that a profile puts into a group. `igd-cost` counts the same rules out of
# its SLURM jobs (tests/workflow/test_localrules.py).
LOCAL_RULES = igdcost.local_rules(config, snakefile=workflow.main_snakefile)
workflow.localrules(*LOCAL_RULES)


def task_params(rule_name, **params):
    """A shell rule's params, each stated once, plus ``job``: the JSON document (params
    with seeds resolved, wildcards, named inputs and outputs) that ``igd.cli`` hands to the
    rule's task function."""

    def job(wildcards, input, output):
        resolved = {k: (v(wildcards) if callable(v) else v) for k, v in params.items()}
        return json.dumps(task_document(rule_name, resolved, wildcards, input, output),
                          sort_keys=True)

    return {**params, "job": job}


def task_shell(task):
    """Shell command that runs ``task`` (``igd.<stage>.tasks:<name>``) through igd.cli,
    under the MPI launcher when lammps.mpi_tasks > 1, each rank on lammps.threads OpenMP
    threads (the rule's ``threads:`` are MPI_JOB_CORES, the ranks' cores together)."""
    threads = "{threads}" if MPI_TASKS == 1 else LAMMPS_THREADS   # 1 rank: all its threads
    return (MPI_LAUNCH + PYTHON + f" -m igd.cli {task} --job {{params.job:q}}"
            f" --log {{log:q}} --threads {threads} 2>> {{log:q}}")


def sample_seed(wildcards, purpose=0, *keys):
    """The LAMMPS seed of one sample and purpose (0 glass, 1 vMSD, …), from the master seed
    and the sample's key (its sheet row's seed; k for the generated s<k>)."""
    return igdconfig.derived_seed(config["seed"], SHEET[wildcards.sample].key, purpose, *keys)


def sample_system(wildcards):
    """``system`` of one sample: the config's, with the sheet row's composition if any."""
    return igdsamples.sample_system(config, SHEET[wildcards.sample])


def sample_atoms(wildcards):
    """Atoms of one sample: system.n_atoms, or those of its structure file."""
    return SHEET[wildcards.sample].n_atoms or config["system"]["n_atoms"]


# The sample's key as a param of the rules that need it besides a seed (ARTn's random
# streams), only when some key differs from the one of the generated name s<k> (so the
# params of the generated sheet stay those of the workflow before the sheet).
_NAMED_KEYS = any(
    not re.fullmatch(r"s\d+", s) or int(s[1:]) != SHEET[s].key for s in SAMPLES
)
SAMPLE_KEY_PARAMS = {"sample_key": lambda wc: SHEET[wc.sample].key} if _NAMED_KEYS else {}


# Keys that only say how a job is started, never what it computes: no rule's params.
LAUNCH_KEYS = {"lammps": ("mpi_tasks", "launcher")}


def without(section, *keys):
    """A config section minus keys a rule does not use and minus its LAUNCH_KEYS (so
    changing them reruns nothing)."""
    drop = set(keys) | set(LAUNCH_KEYS.get(section, ()))
    return {k: v for k, v in config[section].items() if k not in drop}


def rule_resources(rule_name, mpi=False):
    """``resources`` of ``rule_name`` from the one cost model, igd.common.cost.job_resources;
    mem_mb and runtime (minutes: the expected wall time on the cores the job asks for,
    lammps.threads × lammps.mpi_tasks for the MPI rules, times a margin; grown with each
    retry), plus the MPI launch of the LAMMPS shell rules (``mpi=True``, which must match
    igd.common.cost.MPI_RULES: tested)."""

    def mem_mb(wildcards, threads):
        return igdcost.job_resources(rule_name, config, threads=threads)["mem_mb"]

    def runtime(wildcards, attempt):
        return igdcost.job_resources(rule_name, config, attempt=attempt)["runtime"]

    return {"mem_mb": mem_mb, "runtime": runtime, **(MPI_RESOURCES if mpi else {})}


def artn_search_params():
    """``artn.search`` without the local-mode keys when the search is not local and
    without the ``connect_`` keys when ``relax_final`` is off (so that changing them
    reruns nothing)."""
    search = config["artn"]["search"]
    return {k: v for k, v in search.items()
            if search["local"] or not (k.startswith("local_") or k == "frozen_shell")
            if search["relax_final"] or not k.startswith("connect_")}


def all_outputs():
    """What the default target builds: every per-sample stage of every sample (the AQS labels and
    the features only where has_labels), the study's figures, tables and model (learned
    on the train and test samples only), and the IGD of each predict sample
    (results/<sample>/learning/predicted.parquet, rule predict of the learning stage)."""
    labelled = [s for s in SAMPLES if has_labels(s)]
    out = expand("results/{sample}/glass/rdf.parquet", sample=SAMPLES)
    out += expand("results/{sample}/labels.parquet", sample=labelled)
    out += expand("results/{sample}/structure.parquet", sample=SAMPLES)
    out += expand("results/{sample}/vmsd/{T}K.parquet", sample=SAMPLES, T=VMSD_TEMPERATURES)
    out += [
        "results/figures/fig01_rdf.png",
        "results/figures/fig03_dd2min.png",
        "results/figures/fig03_stress_strain.png",
        "results/figures/fig_vmsd.png",
        "results/figures/fig02_barriers.png",
    ]
    out += expand("results/{sample}/artn/barriers.parquet", sample=SAMPLES)
    out += expand("results/{sample}/hessian/vdos.parquet", sample=SAMPLES)
    out += expand("results/{sample}/hessian/atoms.parquet", sample=SAMPLES)
    out += expand("results/{sample}/dynamics/atoms.parquet", sample=SAMPLES)
    out += expand("results/{sample}/dynamics/sq.parquet", sample=SAMPLES)
    out += ["results/figures/fig05_vdos.png", "results/figures/fig06_dynamics.png"]
    out += expand("results/{sample}/features.parquet", sample=labelled)
    out += [
        "results/learning/metrics.json",
        "results/learning/igd.parquet",
        "results/learning/xi.json",
        "results/figures/fig04_cv_grid.png",
        "results/figures/fig08_p_active.png",
        "results/figures/fig09_igd.png",
        "results/figures/fig10_prdf_igd.png",
        "results/figures/fig11_dd2min_vs_igd.png",
        "results/figures/fig12_models.png",
        "results/figures/fig13_xi.png",
        "results/learning/metrics.html",
        "results/learning/leaderboard.html",
    ]
    out += [
        "results/figures/fig08_snapshots.png",
        "results/figures/fig09a_igd_snapshot.png",
        "results/figures/fig11a_snapshots.png",
        "results/figures/fig14_transferability.png",
        "results/learning/transferability.parquet",
    ]
    out += expand("results/{sample}/atoms.dump", sample=STUDY_SAMPLES)
    out += expand("results/{sample}/descriptors.parquet", sample=STUDY_SAMPLES)
    out += [
        "results/learning/leaderboard.parquet",
        "results/figures/fig_leaderboard.png",
        "results/figures/fig_entropy.png",
    ]
    out += expand("results/{sample}/learning/predicted.parquet", sample=PREDICT_SAMPLES)
    return out
