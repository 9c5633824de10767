"""What a config costs before anything runs: jobs, SLURM submissions and core-hours per stage.

``python -m igd.common.cost --configfile config/paper.yaml`` (or ``igd-cost …``) prints one row
per stage. The job counts are the workflow's (one job per sample, direction, temperature,
ARTn chunk, …; tested equal to ``snakemake -n``); the submissions are what the SLURM
profile's ``groups``/``group-components`` make of them; the core-hours come from measured
costs (:class:`CostModel`, README "Measured times" and "Benchmarks"), linear in atoms and
steps, without the rules' safety margins. Core-hours are CPU time: with perfect scaling a
job on ``threads × mpi_tasks`` cores takes core-hours / cores of wall time.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[3]

# Stage of every rule of the workflow (workflow/rules/*.smk), in pipeline order.
STAGES: dict[str, tuple[str, ...]] = {
    "glass": ("glass", "rdf", "fig01_rdf"),
    "AQS": ("aqs", "labels", "fig03"),
    "structure": ("structure",),
    "vMSD": ("vmsd", "fig_vmsd"),
    "ARTn": ("artn_chunk", "artn_gather", "fig02"),
    "Hessian": ("hessian", "fig05"),
    "dynamics": ("dynamics", "structure_factor", "fig06"),
    "learning": ("features", "learn", "analysis", "fig04", "fig08", "fig09", "fig10",
                 "fig11", "fig12", "fig13", "fig14", "snapshots", "ovito_dump", "report_tables",
                 "all"),
    "descriptors": ("descriptors_local", "structural_flexibility", "leaderboard",
                    "fig_leaderboard", "fig_entropy"),
}
# Rules that run no job of their own (Snakemake does not submit them).
NORUN = ("all",)


@dataclass(frozen=True)
class CostModel:
    """Measured costs on one core (CPU seconds), from the default run and the benchmarks.

    md_s_per_atom_step: MD, s per atom per step (2.2 µs measured for the 500-atom glass
        job, 71 s CPU for 65 000 steps; 2.5 µs is what the rules budget).
    min_s_per_atom: one AQS minimisation, s per atom (0.35 s on 500 atoms, ~14 s on
        19 652 with CG; the rules' constant).
    artn_calls_per_attempt: force calls per ARTn attempt (median 354 per converged saddle,
        benchmarks/bench_artn.py).
    artn_success: fraction of ARTn attempts that converge (0.62–0.65 measured); an event
        takes (1 − (1 − p)^m) / p attempts on average with at most m attempts.
    artn_s_per_atom_call: s per atom per force call including the Python driver
        (255 s CPU for 250 events of 500 atoms in the default run: 4.0 µs).
    artn_refine_calls: force calls of the local mode's refinement of a converged saddle
        (median: 105 from 12 to 20 Å at 0.005 eV/Å, 36 at 0.05 eV/Å;
        benchmarks/bench_artn_local.py).
    artn_local_core_extra: Å added to a carved sphere's radius for its cost
        (:func:`local_call_atoms`: density range 6 Å + margin 0.5 Å of Mendelev CuZr).
    artn_local_exact_shell: the exact EAM frozen shell (``frozen_shell: null``), Å:
        max(pair range, 2 × density range) + margin, 12.5 Å for Mendelev CuZr.
    hessian_force_s, hessian_eigh_s: the dense Hessian of 500 atoms: 9 s of force calls
        (∝ N²) and 2 s of diagonalisation (∝ N³).
    hessian_kpm_s_per_atom: the sparse route above ``hessian.max_dense_atoms``, s per atom
        per KPM probe set (~1 000 s CPU for one set on 20 000 atoms,
        benchmarks/bench_hessian_sparse.py).
    descriptors_s_per_atom: the local descriptors (Voronoi per frame), ~2 s on 500 atoms.
    structure_s_per_atom: G + S2 features, s per atom (3.3 s CPU for 19 652 atoms).
    svm_fit_s: one SVM fit on 2 000 rows (0.34 s), ∝ rows^2.25 (benchmarks/bench_svm.py).
    job_overhead_s: Snakemake and Python start-up of every job (also the small rules).
    """

    md_s_per_atom_step: float = 2.5e-6
    min_s_per_atom: float = 7.0e-4
    artn_calls_per_attempt: float = 350.0
    artn_success: float = 0.65
    artn_s_per_atom_call: float = 4.0e-6
    artn_refine_calls: float = 105.0
    artn_local_core_extra: float = 6.5
    artn_local_exact_shell: float = 12.5
    hessian_force_s: float = 9.0
    hessian_eigh_s: float = 2.0
    hessian_kpm_s_per_atom: float = 0.05
    descriptors_s_per_atom: float = 4.0e-3
    structure_s_per_atom: float = 1.7e-4
    svm_fit_s: float = 0.34
    job_overhead_s: float = 5.0


def local_call_atoms(radius: float, density: float, model: "CostModel",
                     shell: float | None = None, exclude: bool = True) -> float:
    """Atoms a force call on a carved ARTn sphere of active ``radius`` (Å) costs as many
    of the full box: those within radius + ``shell`` (the frozen shell, None: the exact
    one, ``model.artn_local_exact_shell``), but with ``exclude`` (``local_exclude``) at
    most those of the kept-interaction core, radius + density range + margin
    (``model.artn_local_core_extra``): the outer frozen shell only meets the core."""
    extra = model.artn_local_exact_shell if shell is None else float(shell)
    if exclude:
        extra = min(extra, model.artn_local_core_extra)
    return density * 4.0 / 3.0 * math.pi * (radius + extra) ** 3


def _grid_len(spec: Mapping[str, float]) -> int:
    """Points of a start..stop..step config grid (inclusive; igd.common.config.grid)."""
    return int(math.floor((spec["stop"] - spec["start"]) / spec["step"] + 1e-9)) + 1


def merge(base: Mapping[str, Any], update: Mapping[str, Any]) -> dict:
    """``base`` deep-updated with ``update``: what Snakemake does with ``--configfile``."""
    out = dict(base)
    for key, value in update.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def load_config(configfile: str | Path | None = None,
                base: str | Path | None = None) -> dict:
    """The config a run would see: ``base`` (the Snakefile's config/config.yaml) updated by
    ``configfile``, validated and with the schema's defaults filled in."""
    from igd.common.config import validate  # noqa: PLC0415  (jsonschema + snakemake: slow imports)

    base = Path(base) if base else _default_base()
    with open(base) as fh:
        config = yaml.safe_load(fh)
    if configfile is not None:
        with open(configfile) as fh:
            config = merge(config, yaml.safe_load(fh) or {})
    return validate(config)


def _default_base() -> Path:
    here = Path("config/config.yaml")
    return here if here.exists() else ROOT / "config" / "config.yaml"


def rule_jobs(config: Mapping[str, Any]) -> dict[str, int]:
    """Jobs of every rule for a whole run from scratch (what ``snakemake -n`` counts)."""
    s = config["n_samples"]
    d = len(config["shear"]["directions"])
    t = _grid_len(config["vmsd"]["temperatures"])
    chunks = config["artn"]["chunks"]
    jobs = {rule: 1 for rules in STAGES.values() for rule in rules}   # one per run
    jobs.update({rule: s for rule in ("glass", "rdf", "labels", "structure", "artn_gather",
                                      "hessian", "dynamics", "structure_factor",
                                      "features", "ovito_dump",
                                      "descriptors_local")})
    jobs.update(aqs=s * d, vmsd=s * t, artn_chunk=s * chunks)
    return jobs


def submissions(jobs: Mapping[str, int], groups: Mapping[str, str] | None = None,
                components: Mapping[str, int] | None = None) -> dict[str, int]:
    """SLURM jobs per rule once grouped: a group of N components is one submission.

    ``groups`` maps rule → group name, ``components`` group name → members per
    submission (the profile's ``groups`` and ``group-components``). Each job of a grouped
    rule is its own component here (no two jobs of one group depend on each other);
    a group's submissions are attributed to its first rule. Rules in ``NORUN`` submit
    nothing.
    """
    groups = groups or {}
    components = components or {}
    out = {rule: (0 if rule in NORUN else n) for rule, n in jobs.items() if rule not in groups}
    members: dict[str, list[str]] = {}
    for rule, group in groups.items():
        if rule in jobs:
            members.setdefault(group, []).append(rule)
    for group, rules in members.items():
        n = sum(jobs[r] for r in rules)
        out[rules[0]] = math.ceil(n / max(1, components.get(group, 1)))
        for r in rules[1:]:
            out[r] = 0
    return out


def _items(entries: Any) -> dict[str, str]:
    """A profile list ``["a=b", …]`` or mapping as a dict."""
    if isinstance(entries, Mapping):
        return {str(k): str(v) for k, v in entries.items()}
    return dict(str(e).split("=", 1) for e in entries or [])


def read_profile(path: str | Path) -> tuple[dict[str, str], dict[str, int]]:
    """(groups, group-components) of a Snakemake profile's config.yaml (``{}`` if absent)."""
    path = Path(path)
    if path.is_dir():
        path = path / "config.yaml"
    if not path.exists():
        return {}, {}
    profile = yaml.safe_load(path.read_text()) or {}
    groups = _items(profile.get("groups"))
    components = {k: int(v) for k, v in _items(profile.get("group-components")).items()}
    return groups, components


def rule_cpu_seconds(config: Mapping[str, Any], model: CostModel = CostModel()) -> dict[str, float]:
    """CPU seconds (core-seconds) of each rule summed over its jobs, start-up included."""
    n = config["system"]["n_atoms"]
    s = config["n_samples"]
    jobs = rule_jobs(config)
    cpu = {rule: model.job_overhead_s * count for rule, count in jobs.items()}
    cpu["all"] = 0.0

    g = config["glass"]
    dt = g["timestep"]
    quench_ps = (g["t_melt"] - g["t_final"]) / (g["quench_rate"] * 1e-12)
    glass_steps = (g["heat_time"] + g["equilibrate_time"] + quench_ps) / dt
    # MD, then three minimisations (fixed box, box relaxed, fixed box)
    cpu["glass"] += s * (glass_steps * n * model.md_s_per_atom_step
                         + 3 * n * model.min_s_per_atom)

    sh = config["shear"]
    minimisations = round(sh["strain_max"] / sh["strain_step"])
    cpu["aqs"] += jobs["aqs"] * minimisations * n * model.min_s_per_atom

    v = config["vmsd"]
    vmsd_steps = (v["duration"] + v["equilibration"]) / v["timestep"]
    cpu["vmsd"] += jobs["vmsd"] * vmsd_steps * n * model.md_s_per_atom_step

    art = config["artn"]
    searched = math.ceil(n / art["atom_stride"])
    m = art["search"].get("max_attempts", 10)
    p = model.artn_success
    attempts = (1 - (1 - p) ** m) / p if m > 0 else 0.0
    calls = searched * art["search"]["n_events"] * attempts * model.artn_calls_per_attempt
    if art["search"].get("local"):   # carved spheres: a call costs the cluster's core
        rho = config["system"]["initial"]["density"]
        shell = art["search"].get("frozen_shell")
        exclude = art["search"].get("local_exclude", True)
        atoms = local_call_atoms(art["search"]["local_radius"], rho, model, shell, exclude)
        refine = art["search"].get("local_refine_radius")
        converged = searched * art["search"]["n_events"] * (1 - (1 - p) ** m)
        cpu["artn_chunk"] += s * model.artn_s_per_atom_call * (
            calls * atoms + (0.0 if refine is None else
                             converged * model.artn_refine_calls
                             * local_call_atoms(refine, rho, model, shell, exclude)))
    else:
        cpu["artn_chunk"] += s * calls * n * model.artn_s_per_atom_call

    h = config["hessian"]
    if n <= h["max_dense_atoms"]:
        x = n / 500
        cpu["hessian"] += s * (model.hessian_force_s * x**2 + model.hessian_eigh_s * x**3)
    else:   # sparse EAM Hessian + KPM local DOS (igd.hessian.vdos.hessian_vdos_sparse)
        cpu["hessian"] += s * n * model.hessian_kpm_s_per_atom * h["sparse"]["realisations"]
    cpu["descriptors_local"] += s * n * model.descriptors_s_per_atom

    dyn = config["dynamics"]
    cpu["dynamics"] += s * dyn["t_max"] / dyn["timestep"] * n * model.md_s_per_atom_step

    cpu["structure"] += s * n * model.structure_s_per_atom

    lc = config["learning"]
    n_test = len(lc.get("test_samples") or [None])
    rows = n * max(1, s - n_test) // 4          # balanced training rows (≤ 12.5 % active)
    rows = min(rows, lc.get("cv_max_rows") or rows)
    points = _grid_len(lc["log2C"]) * _grid_len(lc["log2gamma"])
    fits = (points * lc["cv_folds"] + 1) * 5      # grid × folds + refit, 5 models
    cpu["learn"] += model.svm_fit_s * (max(rows, 500) / 2000) ** 2.25 * fits
    return cpu


def estimate(config: Mapping[str, Any], model: CostModel = CostModel(),
             groups: Mapping[str, str] | None = None,
             components: Mapping[str, int] | None = None) -> pd.DataFrame:
    """One row per stage: jobs, SLURM submissions, core-hours, and the longest job's
    core-hours (its wall time on one core). Index: stage; a final row 'total'."""
    jobs = rule_jobs(config)
    subs = submissions(jobs, groups, components)
    cpu = rule_cpu_seconds(config, model)
    rows = []
    for stage, rules in STAGES.items():
        longest = max(cpu[r] / jobs[r] for r in rules)
        rows.append({"stage": stage, "jobs": sum(jobs[r] for r in rules),
                     "submissions": sum(subs[r] for r in rules),
                     "core_hours": sum(cpu[r] for r in rules) / 3600,
                     "longest_job_core_hours": longest / 3600})
    df = pd.DataFrame(rows).set_index("stage")
    df.loc["total"] = [df["jobs"].sum(), df["submissions"].sum(), df["core_hours"].sum(),
                       df["longest_job_core_hours"].max()]
    return df.astype({"jobs": int, "submissions": int})


def format_table(df: pd.DataFrame, config: Mapping[str, Any]) -> str:
    """The table ``main`` prints."""
    lmp = config.get("lammps", {})
    cores = lmp.get("threads", 1) * lmp.get("mpi_tasks", 1)
    lines = [f"{config['n_samples']} samples × {config['system']['n_atoms']} atoms; MPI "
             f"LAMMPS jobs on {cores} core(s) each (lammps.threads × lammps.mpi_tasks), "
             f"ARTn chunks on {lmp.get('threads', 1)}",
             f"{'stage':<10} {'jobs':>7} {'SLURM jobs':>10} {'core-hours':>12} "
             f"{'longest job (core-h)':>21}"]
    for row in df.itertuples():
        if row.Index == "total":
            lines.append("-" * 64)
        lines.append(f"{row.Index:<10} {int(row.jobs):>7d} {int(row.submissions):>10d} "
                     f"{row.core_hours:>12.4g} {row.longest_job_core_hours:>21.3g}")
    dense = config.get("hessian", {}).get("max_dense_atoms")
    if dense is not None and config["system"]["n_atoms"] > dense:
        lines.append(f"Hessian: above hessian.max_dense_atoms = {dense} atoms the sparse route "
                     "(KPM local DOS; participation fractions p_i only up to "
                     "hessian.sparse.max_lu_atoms)")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------
# What one job asks its executor for (the rules' resources: runtime, mem_mb)
# --------------------------------------------------------------------------------------

SMALL_JOB = {"mem_mb": 1000, "runtime": 10}
"""Figures, tables and other small rules: 1 GB, 10 minutes."""


def _phase_steps_total(glass: Mapping[str, Any]) -> float:
    from igd.glass.quench import phase_steps  # noqa: PLC0415

    return float(sum(phase_steps(glass).values()))


def job_resources(rule: str, config: Mapping[str, Any], *, attempt: int = 1,
                  threads: int = 1) -> dict[str, int]:
    """``mem_mb`` and ``runtime`` (minutes, grown with each retry ``attempt``) that one job
    of ``rule`` asks for under ``config``; the rules' ``resources`` come from here
    (``rule_resources`` in ``workflow/rules/common.smk``)."""
    n = config["system"]["n_atoms"]
    s = config["n_samples"]
    lmp_threads = config["lammps"]["threads"]

    def md_minutes(steps: float) -> int:
        """MD: ~2.5 µs per atom-step on one core, 2x margin, min 10."""
        return int(max(10, 2 * 2.5e-6 * n * steps / 60 / lmp_threads) * attempt)

    if rule == "glass":
        return {"mem_mb": 1000 + n // 10, "runtime": md_minutes(_phase_steps_total(config["glass"]))}
    if rule == "aqs":
        sh = config["shear"]
        steps = int(round(sh["strain_max"] / sh["strain_step"]))
        # measured ~0.35 s per minimisation on 500 atoms, ~14 s on 19 652; 3x margin
        minutes = max(10, 3 * steps * 7.0e-4 * n / 60 / lmp_threads) * attempt
        return {"mem_mb": 1000 + n // 10, "runtime": int(minutes)}
    if rule == "vmsd":
        v = config["vmsd"]
        return {"mem_mb": 1000 + n // 10,
                "runtime": md_minutes((v["duration"] + v["equilibration"]) / v["timestep"])}
    if rule == "dynamics":
        d = config["dynamics"]
        return {"mem_mb": 1000 + n // 10, "runtime": md_minutes(d["t_max"] / d["timestep"])}
    if rule == "artn_chunk":
        return {"mem_mb": 1000 + n // 10, "runtime": _artn_minutes(config, attempt)}
    if rule == "hessian":
        return {"mem_mb": _hessian_mem_mb(config), "runtime": _hessian_minutes(config, attempt)}
    if rule == "learn":
        lc = config["learning"]
        return {"mem_mb": 1000 + threads * (lc["cache_size_mb"] + n // 10),
                "runtime": _learn_minutes(config, attempt)}
    if rule == "structure":
        return {"mem_mb": 1000 + n // 20, "runtime": 10 * attempt}
    if rule == "features":
        return {"mem_mb": 1000 + n // 20, "runtime": 10}
    if rule in ("rdf", "structure_factor", "snapshots"):
        return {"mem_mb": 2000, "runtime": 10 * (attempt if rule != "rdf" else 1)}
    if rule in ("analysis", "leaderboard"):
        # neighbour passes over all samples: ~1 min per 10 000 atoms (our estimate), min 10
        return {"mem_mb": 2000 + n // 5, "runtime": max(10, n * s // 10000) * attempt}
    if rule == "ovito_dump":
        return {"mem_mb": 1000 + n // 5, "runtime": 10}
    if rule == "fig14":
        return {"mem_mb": 1000 + n * s // 5, "runtime": 10}
    if rule == "fig06":
        # all samples' displacement histories at once: N·K·3 doubles per sample, 3 copies
        return {"mem_mb": 1000 + 3 * s * n * 200 * 24 // 10**6, "runtime": 10}
    if rule == "descriptors_local":
        # ~2 s on 500 atoms × 35 frames (Voronoi per frame ∝ N), 10x margin, min 10
        return {"mem_mb": 1000 + n // 10, "runtime": max(10, n // 5000) * attempt}
    if rule == "structural_flexibility":
        return {"mem_mb": 1000 + n * s // 50, "runtime": 10}
    return dict(SMALL_JOB)


def _artn_minutes(config: Mapping[str, Any], attempt: int) -> int:
    """One ARTn chunk: ~350 force calls per search at ~14 µs per atom per force call
    (7 ms on 500 atoms) — atoms of the box, or of the carved sphere in the local mode
    (:func:`local_call_atoms`) —, retries included by a 3x margin."""
    art = config["artn"]
    search = art["search"]
    atoms = config["system"]["n_atoms"]
    searches = atoms / art["chunks"] / art["atom_stride"] * search["n_events"]
    call_atoms = atoms
    if search["local"]:
        radius = max(search["local_radius"], search["local_refine_radius"] or 0.0)
        call_atoms = min(atoms, local_call_atoms(
            radius, config["system"]["initial"]["density"], CostModel(),
            search["frozen_shell"], search["local_exclude"]))
    seconds = 3 * searches * 350 * 1.4e-5 * call_atoms / config["lammps"]["threads"]
    return int(max(10, seconds / 60) * attempt)


def _hessian_dense(config: Mapping[str, Any]) -> bool:
    return config["system"]["n_atoms"] <= config["hessian"]["max_dense_atoms"]


def _hessian_mem_mb(config: Mapping[str, Any]) -> int:
    """Dense: matrix + eigenvectors, 2·(3N)²·8 B. Sparse: ~0.25 MB per atom (4.7 GB
    measured at 20 000 atoms, the assembly of the EAM Hessian)."""
    n = config["system"]["n_atoms"]
    if _hessian_dense(config):
        return 1000 + int(2.2 * (3 * n) ** 2 * 8 / 1e6)
    return 1000 + n // 4


def _hessian_minutes(config: Mapping[str, Any], attempt: int) -> int:
    """Dense, measured on 500 atoms: 9 s for the 6N force calls (∝ N²) and 2 s for eigh
    (∝ N³). Sparse: ~0.05 CPU s per atom per KPM probe set plus the shift-invert lowest
    modes up to max_lu_atoms. 3x."""
    n = config["system"]["n_atoms"]
    h = config["hessian"]
    if _hessian_dense(config):
        seconds = 9.0 * (n / 500) ** 2 + 2.0 * (n / 500) ** 3
    else:
        sets = h["sparse"]["realisations"]
        seconds = 0.05 * n * sets + (300 if n <= h["sparse"]["max_lu_atoms"] else 0)
    return int(max(10, 3 * seconds / 60 / config["lammps"]["threads"]) * attempt)


def _learn_minutes(config: Mapping[str, Any], attempt: int) -> int:
    """(grid points × folds + 1 refit) fits × 5 models, ~0.34 s per fit at 2 000 rows,
    ∝ rows^2.25 (benchmarks/bench_svm.py); training rows a quarter of the training
    samples' atoms (≤ 12.5 % rearranged, balanced); 3x margin."""
    lc = config["learning"]
    n_test = len(lc["test_samples"] or [None])
    rows = config["system"]["n_atoms"] * max(1, config["n_samples"] - n_test) // 4
    rows = min(rows, lc["cv_max_rows"] or rows)
    points = _grid_len(lc["log2C"]) * _grid_len(lc["log2gamma"])
    fits = (points * lc["cv_folds"] + 1) * 5
    seconds = 3 * 0.34 * (max(rows, 500) / 2000) ** 2.25 * fits / lc["threads"]
    return int(max(10, seconds / 60) * attempt)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="igd-cost", description=__doc__.split("\n\n")[0],
        epilog="Costs are CPU time from measured per-step and per-force-call costs "
               "(igd.common.cost.CostModel); override any with --set NAME=VALUE.")
    parser.add_argument("--configfile", help="config on top of config/config.yaml "
                        "(as snakemake --configfile); default: the default config only")
    parser.add_argument("--base", help="the Snakefile's config (default config/config.yaml)")
    parser.add_argument("--profile", default="slurm",
                        help="profile whose groups/group-components give the SLURM job "
                             "count (default: slurm; 'none' for no grouping)")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="override a CostModel constant, e.g. md_s_per_atom_step=4e-6")
    args = parser.parse_args(argv)
    config = load_config(args.configfile, args.base)
    names = {f.name for f in fields(CostModel)}
    overrides = {}
    for item in args.set:
        name, _, value = item.partition("=")
        if name not in names:
            parser.error(f"unknown cost constant {name!r}; one of {sorted(names)}")
        overrides[name] = float(value)
    groups, components = ({}, {}) if args.profile == "none" else read_profile(
        Path(args.profile) if Path(args.profile).exists() else ROOT / args.profile)
    df = estimate(config, CostModel(**overrides), groups, components)
    print(format_table(df, config))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
