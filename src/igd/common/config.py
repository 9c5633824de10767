"""Config checks the JSON schema cannot express, sample names and seeds.

The schema (``config/schema.yaml``) checks types, ranges and unknown keys; this module
checks relations between keys (fractions summing to 1, a B2 cell that exists, a quench
that cools). Every error names the config key at fault.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import numpy as np
import yaml

SCHEMA = Path(__file__).resolve().parents[3] / "config" / "schema.yaml"


class ConfigError(ValueError):
    """A config value that cannot work; the message starts with the key."""

    def __init__(self, key: str, problem: str):
        super().__init__(f"config key '{key}': {problem}")
        self.key = key


RETIRED = {   # keys an older config may still carry: what replaced them
    "hessian.sparse.max_lu_atoms": "the participation fractions are exact at every size "
                                   "now (no LU; see hessian.sparse.modes_tol): delete it",
    "hessian.sparse.p_sigma": "the KPM estimate of the participation fractions is gone, "
                              "they are exact at every size (see hessian.sparse.modes_tol): "
                              "delete it",
}


def _retired(config: Mapping[str, Any]) -> None:
    """A :class:`ConfigError` for a key of :data:`RETIRED`, saying what replaced it."""
    for key, why in RETIRED.items():
        *path, last = key.split(".")
        parent: Any = config
        for part in path:
            parent = parent.get(part) if isinstance(parent, Mapping) else None
        if isinstance(parent, Mapping) and last in parent:
            raise ConfigError(key, f"no longer exists: {why}")


def validate(config: dict) -> dict:
    """Validate ``config`` against the schema, fill in defaults, check relations.

    Raises :class:`ConfigError` naming the first key at fault (type, range, unknown key,
    missing key, or a relation between keys). Runs before any job starts.
    """
    import jsonschema  # noqa: PLC0415
    from snakemake.utils import validate as sm_validate  # noqa: PLC0415

    _retired(config)
    schema = yaml.safe_load(SCHEMA.read_text())
    validator = jsonschema.Draft202012Validator(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(config))
    if error is not None:
        raise ConfigError(_key_of(error), error.message)
    sm_validate(config, schema=str(SCHEMA), set_default=True)
    check(config)
    if config.get("samples") is not None:   # the sheet's rows are the samples
        config["n_samples"] = len(sample_names(config))
    canonical = _sorted(config)      # key order must not look like a changed parameter
    config.clear()
    config.update(canonical)
    return config


def _sorted(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _sorted(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted(v) for v in value]
    return value


def _key_of(error) -> str:
    path = [str(p) for p in error.absolute_path]
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(error.schema.get("properties", {}))
        extra = [k for k in error.instance if k not in allowed]
        if extra and error.schema.get("properties"):
            path.append(extra[0])
    elif error.validator == "required":
        missing = [k for k in error.validator_value if k not in error.instance]
        path.append(missing[0] if missing else "?")
    return ".".join(path) or "<top level>"


def check(config: Mapping[str, Any]) -> None:
    """Raise :class:`ConfigError` for the first relation between keys that cannot hold."""
    system = config["system"]
    pot = config["potential"]
    comp = system["composition"]
    elements = list(pot["elements"])
    if set(comp) != set(elements):
        raise ConfigError("system.composition",
                          f"elements {sorted(comp)} differ from potential.elements {elements}")
    total = sum(comp.values())
    if abs(total - 1.0) > 1e-6:
        raise ConfigError("system.composition", f"fractions sum to {total:g}, not 1")
    missing = [e for e in elements if e not in pot["masses"]]
    if missing:
        raise ConfigError("potential.masses", f"no mass for {missing}")
    counts = species_counts(system["n_atoms"], comp, elements)
    if sum(counts.values()) != system["n_atoms"]:
        raise ConfigError("system.composition",
                          f"fractions {comp} give no integer split of {system['n_atoms']} atoms")
    initial = system.get("initial", {})
    if initial.get("structure") == "b2":
        n = round((system["n_atoms"] / 2) ** (1 / 3))
        if 2 * n**3 != system["n_atoms"] or len(elements) != 2 or counts[elements[0]] != n**3:
            raise ConfigError("system.initial.structure",
                              f"b2 needs a 50/50 binary with n_atoms = 2 n^3; {system['n_atoms']} "
                              f"atoms of {comp} is not one (use 'random')")
    glass = config["glass"]
    if glass["t_final"] >= glass["t_melt"]:
        raise ConfigError("glass.t_final", f"{glass['t_final']} K is not below "
                          f"glass.t_melt = {glass['t_melt']} K")
    if glass["t_start"] > glass["t_melt"]:
        raise ConfigError("glass.t_start", f"{glass['t_start']} K is above glass.t_melt")
    shear = config.get("shear")
    if shear:
        ratio = shear["d2min_interval"] / shear["strain_step"]
        if ratio < 1 - 1e-9 or abs(ratio - round(ratio)) > 1e-6:
            raise ConfigError("shear.d2min_interval", f"{shear['d2min_interval']:g} is not a whole "
                              f"multiple of shear.strain_step = {shear['strain_step']:g}")
        if shear["strain_max"] <= shear["d2min_interval"]:
            raise ConfigError("shear.strain_max", f"{shear['strain_max']:g} is not above "
                              f"shear.d2min_interval = {shear['d2min_interval']:g}")
    vm = config.get("vmsd")
    if vm:
        if vm["temperatures"]["stop"] < vm["temperatures"]["start"]:
            raise ConfigError("vmsd.temperatures", "stop is below start")
        ratio = vm["duration"] / vm["sample_every"]
        if abs(ratio - round(ratio)) > 1e-6:
            raise ConfigError("vmsd.duration", f"{vm['duration']} ps is not a whole number of "
                              f"vmsd.sample_every = {vm['sample_every']} ps")
    learning = config.get("learning")
    if learning:
        for key in ("log2C", "log2gamma"):
            if learning[key]["stop"] < learning[key]["start"]:
                raise ConfigError(f"learning.{key}", "stop is below start")
    if config.get("samples") is None:      # a sheet is checked by igd.common.samples.samples_of
        from igd.common.samples import generate  # noqa: PLC0415

        generate(config["n_samples"], (learning or {}).get("test_samples"))
    hessian = config.get("hessian")
    if hessian and not 0 < hessian["band"][0] < hessian["band"][1]:
        raise ConfigError("hessian.band", f"{hessian['band']} is not [lo, hi] with 0 < lo < hi")
    dynamics = config.get("dynamics")
    if dynamics:
        _check_dynamics(dynamics)
    structure = config.get("structure")
    if structure:
        for key in ("g_mu", "s2_rc"):
            grid = structure[key]
            if grid["stop"] < grid["start"]:
                raise ConfigError(f"structure.{key}", f"stop {grid['stop']} < start {grid['start']}")


def _check_dynamics(d: Mapping[str, Any]) -> None:
    if not d["t_min"] < d["t_max"]:
        raise ConfigError("dynamics.t_max", f"{d['t_max']} ps is not above "
                          f"dynamics.t_min = {d['t_min']} ps")
    for key in ("equilibration", "origin_interval", "frame_interval"):
        n = d[key] / d["timestep"]
        if abs(n - round(n)) > 1e-6 or (key == "frame_interval" and round(n) < 1):
            raise ConfigError(f"dynamics.{key}", f"{d[key]} ps is not a whole number of "
                              f"dynamics.timestep = {d['timestep']} ps")
    if d["n_origins"] > 1 and d["origin_interval"] <= 0:
        raise ConfigError("dynamics.origin_interval", f"{d['n_origins']} origins need a "
                          "positive interval")


def species_counts(n_atoms: int, composition: Mapping[str, float],
                   elements: list[str]) -> dict[str, int]:
    """Atoms of each element; rounding leftovers go to the last element."""
    counts = {e: int(round(composition[e] * n_atoms)) for e in elements[:-1]}
    counts[elements[-1]] = n_atoms - sum(counts.values())
    if counts[elements[-1]] < 0:
        counts[elements[-1]] = -1
    return counts


def sample_names(config: Mapping[str, Any], root: str | Path = ".") -> list[str]:
    """Names of the config's samples in sheet order (igd.common.samples.samples_of; the
    sheet's structure files are not read)."""
    from igd.common.samples import samples_of  # noqa: PLC0415

    return [s.name for s in samples_of(config, root, check_files=False)]


def sample_index(sample: str) -> int:
    """The key k of a generated sample name s<k> (the seed key when the samples sheet
    gives none other: igd.common.samples)."""
    if not (sample.startswith("s") and sample[1:].isdigit()):
        raise ValueError(f"sample name {sample!r} is not of the form s<k>")
    return int(sample[1:])


def derived_seed(master: int, *keys: int) -> int:
    """A LAMMPS-safe seed (1 … 2^31−1) derived from the master seed and integer keys."""
    state = np.random.SeedSequence([int(master), *map(int, keys)]).generate_state(1)[0]
    return int(state % 2147483646) + 1


def load(path: str | Path) -> dict:
    """Read a config YAML (no validation; the workflow validates with the schema)."""
    with open(path) as fh:
        return yaml.safe_load(fh)


def grid(spec: Mapping[str, float]) -> list[float]:
    """start..stop inclusive in steps of step, rounded to 6 decimals (config grids)."""
    n = int(np.floor((spec["stop"] - spec["start"]) / spec["step"] + 1e-9)) + 1
    return [round(spec["start"] + k * spec["step"], 6) for k in range(n)]
