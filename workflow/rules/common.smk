# Config validation (schema + relations between keys), sample names, seeds, resources.
import json

from igd import config as igdconfig
from igd.lmp import LammpsSetupError, check_potential


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
    """Minutes of one ARTn chunk: ~350 force calls per search at ~3 µs per atom per force
    call (7 ms on 500 atoms), retries included by a 3x margin."""
    art = config["artn"]
    atoms = config["system"]["n_atoms"]
    searches = atoms / art["chunks"] / art["atom_stride"] * art["search"]["n_events"]
    seconds = 3 * searches * 350 * 1.4e-5 * atoms / LAMMPS_THREADS
    return int(max(10, seconds / 60) * attempt)


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
    ]
    return out
