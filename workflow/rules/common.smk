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


wildcard_constraints:
    sample=r"s\d+",


def sample_seed(wildcards, purpose=0):
    """The LAMMPS seed of one sample (and purpose), derived from the master seed."""
    return igdconfig.derived_seed(
        config["seed"], igdconfig.sample_index(wildcards.sample), purpose
    )


def md_runtime(steps, atoms=None, attempt=1):
    """Minutes for an MD job: measured ~2.5 µs per atom-step on one core, 2x margin, min 10."""
    atoms = atoms or config["system"]["n_atoms"]
    minutes = 2 * 2.5e-6 * atoms * steps / 60 / LAMMPS_THREADS
    return int(max(10, minutes) * attempt)


def all_outputs():
    out = expand("results/{sample}/glass/rdf.parquet", sample=SAMPLES)
    out += ["results/figures/fig01_rdf.png"]
    return out
