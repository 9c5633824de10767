# Config validation (schema + relations between keys), sample names, seeds, resources.
import json
import shlex
import sys

from igd.common import config as igdconfig
from igd.common import cost as igdcost
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


SAMPLES = igdconfig.sample_names(config)
ELEMENTS = config["potential"]["elements"]
LAMMPS_THREADS = config["lammps"]["threads"]
ENV = "../../envs/igd.yaml"
VMSD_TEMPERATURES = [f"{t:g}" for t in igdconfig.grid(config["vmsd"]["temperatures"])]


wildcard_constraints:
    sample=r"s\d+",
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
# starts them ("mpiexec" of the venv's MPICH by default; a profile's set-resources may say
# e.g. "srun").
MPI_TASKS = config["lammps"]["mpi_tasks"]
MPI_LAUNCH = "{resources.mpi} -n {resources.tasks} " if MPI_TASKS > 1 else ""
MPI_RESOURCES = {"tasks": MPI_TASKS, "mpi": "mpiexec"} if MPI_TASKS > 1 else {}


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
    """The shell command of an MPI rule running ``task`` (``igd.<stage>.tasks:<rule>``)."""
    return (MPI_LAUNCH + PYTHON + f" -m igd.cli {task} --job {{params.job:q}}"
            " --log {log:q} --threads {threads} 2>> {log:q}")


def sample_seed(wildcards, purpose=0, *keys):
    """The LAMMPS seed of one sample and purpose (0 glass, 1 vMSD, …), from the master seed."""
    return igdconfig.derived_seed(
        config["seed"], igdconfig.sample_index(wildcards.sample), purpose, *keys
    )


def without(section, *keys):
    """A config section minus keys a rule does not use (so changing them reruns nothing)."""
    return {k: v for k, v in config[section].items() if k not in keys}


def md_runtime(steps, atoms=None, attempt=1):
    """Minutes for an MD job: measured ~2.5 µs per atom-step on one core, 2x margin, min 10."""
    atoms = atoms or config["system"]["n_atoms"]
    minutes = 2 * 2.5e-6 * atoms * steps / 60 / LAMMPS_THREADS
    return int(max(10, minutes) * attempt)


def aqs_steps():
    """Minimisations per AQS job."""
    return int(round(config["shear"]["strain_max"] / config["shear"]["strain_step"]))


def learn_runtime(wildcards, attempt):
    """Minutes of the learn job: (grid points × folds + 1 refit) fits × 5 models, ~0.34 s
    per fit at 2 000 rows, ∝ rows^2.25 (benchmarks/bench_svm.py); training rows taken as a
    quarter of the training samples' atoms (≤ 12.5 % rearranged, balanced); 3x margin."""
    lc = config["learning"]
    n_test = len(lc["test_samples"] or [None])
    rows = config["system"]["n_atoms"] * max(1, len(SAMPLES) - n_test) // 4
    rows = min(rows, lc["cv_max_rows"] or rows)
    points = len(igdconfig.grid(lc["log2C"])) * len(igdconfig.grid(lc["log2gamma"]))
    fits = (points * lc["cv_folds"] + 1) * 5
    seconds = 3 * 0.34 * (max(rows, 500) / 2000) ** 2.25 * fits / lc["threads"]
    return int(max(10, seconds / 60) * attempt)


def artn_runtime(attempt):
    """Minutes of one ARTn chunk: ~350 force calls per search at ~14 µs per atom per force
    call (7 ms on 500 atoms) — atoms of the box, or of the carved sphere in the local
    mode (igd.common.cost.local_call_atoms) —, retries included by a 3x margin."""
    art = config["artn"]
    search = art["search"]
    atoms = config["system"]["n_atoms"]
    searches = atoms / art["chunks"] / art["atom_stride"] * search["n_events"]
    call_atoms = atoms
    if search["local"]:
        radius = max(search["local_radius"], search["local_refine_radius"] or 0.0)
        call_atoms = min(atoms, igdcost.local_call_atoms(
            radius, config["system"]["initial"]["density"], igdcost.CostModel(),
            search["frozen_shell"], search["local_exclude"]))
    seconds = 3 * searches * 350 * 1.4e-5 * call_atoms / LAMMPS_THREADS
    return int(max(10, seconds / 60) * attempt)


def artn_search_params():
    """``artn.search`` without the local-mode keys when the search is not local (so that
    changing them reruns nothing)."""
    search = config["artn"]["search"]
    if search["local"]:
        return search
    return {k: v for k, v in search.items() if not k.startswith("local_")
            and k != "frozen_shell"}


def hessian_dense():
    return config["system"]["n_atoms"] <= config["hessian"]["max_dense_atoms"]


def hessian_mem_mb():
    """Dense: matrix + eigenvectors, 2·(3N)²·8 B. Sparse: ~0.25 MB per atom (4.7 GB
    measured at 20 000 atoms, the assembly of the EAM Hessian)."""
    n = config["system"]["n_atoms"]
    if hessian_dense():
        return 1000 + int(2.2 * (3 * n) ** 2 * 8 / 1e6)
    return 1000 + n // 4


def hessian_runtime(attempt):
    """Minutes. Dense, measured on 500 atoms: 9 s for the 6N force calls (∝ N²) and 2 s
    for eigh (∝ N³). Sparse: ~0.05 CPU s per atom per KPM probe set (benchmarks/
    bench_hessian_sparse.py) plus the shift-invert lowest modes up to max_lu_atoms. 3x."""
    n = config["system"]["n_atoms"]
    h = config["hessian"]
    if hessian_dense():
        seconds = 9.0 * (n / 500) ** 2 + 2.0 * (n / 500) ** 3
    else:
        sets = h["sparse"]["realisations"]
        seconds = 0.05 * n * sets + (300 if n <= h["sparse"]["max_lu_atoms"] else 0)
    return int(max(10, 3 * seconds / 60 / LAMMPS_THREADS) * attempt)


def all_outputs():
    out = expand("results/{sample}/glass/rdf.parquet", sample=SAMPLES)
    out += expand("results/{sample}/labels.parquet", sample=SAMPLES)
    out += expand("results/{sample}/structure.parquet", sample=SAMPLES)
    out += expand("results/{sample}/vmsd/{T}K.parquet", sample=SAMPLES, T=VMSD_TEMPERATURES)
    out += [
        "results/figures/fig01_rdf.png",
        "results/figures/fig03_dd2min.png",
        "results/figures/fig03_stress_strain.png",
        "results/figures/fig_vmsd.png",
        "results/figures/fig02_barriers.png",
    ]
    out += expand("results/{sample}/hessian/vdos.parquet", sample=SAMPLES)
    out += expand("results/{sample}/hessian/atoms.parquet", sample=SAMPLES)
    out += expand("results/{sample}/dynamics/atoms.parquet", sample=SAMPLES)
    out += expand("results/{sample}/dynamics/sq.parquet", sample=SAMPLES)
    out += ["results/figures/fig05_vdos.png", "results/figures/fig06_dynamics.png"]
    out += expand("results/{sample}/features.parquet", sample=SAMPLES)
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
    out += expand("results/{sample}/atoms.dump", sample=SAMPLES)
    out += expand("results/{sample}/descriptors.parquet", sample=SAMPLES)
    out += [
        "results/learning/leaderboard.parquet",
        "results/figures/fig_leaderboard.png",
        "results/figures/fig_entropy.png",
    ]
    return out
