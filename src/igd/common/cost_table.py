"""``igd-cost``: a whole run priced by the one cost model (:mod:`igd.common.cost`), one
row per stage, and which rules run inside the main Snakemake process (:func:`local_rules`).

The config a run sees (:func:`load_config`: config/config.yaml updated by a
``--configfile``, validated), the rules and job counts from the workflow's files
(:mod:`igd.common.rules`), the SLURM submissions after a profile's ``groups`` and without
the local and target rules, core-hours from :func:`igd.common.cost.job_cost`.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Mapping, Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from igd.common import cost
from igd.common.cost import (COMPUTE_RULES, MARGIN, MD_MARGIN, MIN_RUNTIME, MPI_RULES, ROOT,
                             CostModel, job_cores, job_cost, job_mem_mb, job_runtime)
from igd.common.rules import (read_profile, rule_jobs, stages, submissions, target_rules,
                              workflow_rules)

LOCAL_MAX_SECONDS = 60.0
"""A job of at most this many predicted CPU seconds on one core …"""
LOCAL_MAX_MB = 2000
"""… and at most this many MB (the profile's default ``mem_mb``) runs inside the main
Snakemake process (:func:`local_rules`): a cluster job would cost more in start-up and
queue wait than it computes."""


def local_rules(config: Mapping[str, Any], groups: Mapping[str, str] | None = None,
                snakefile: str | Path | None = None, model: CostModel = CostModel()) -> list[str]:
    """Rules whose jobs run inside the main Snakemake process (``localrules``, set in
    workflow/rules/common.smk) rather than as one cluster job each: not a
    :data:`COMPUTE_RULES` rule (so one core), at most :data:`LOCAL_MAX_SECONDS` of CPU (:func:`job_cost`) and
    :data:`LOCAL_MAX_MB` (:func:`job_mem_mb`) under ``config``. Rules in ``groups`` (a
    profile's) are excluded: Snakemake submits a grouped rule even if it is local."""
    rules = workflow_rules(snakefile)
    return [name for name, rule in rules.items()
            if rule.runs and name not in (groups or {}) and name not in COMPUTE_RULES
            and job_cost(name, config, model).cpu <= LOCAL_MAX_SECONDS
            and job_mem_mb(name, config) <= LOCAL_MAX_MB]


def rule_cpu_seconds(config: Mapping[str, Any], model: CostModel = CostModel(),
                     snakefile: str | Path | None = None) -> dict[str, float]:
    """CPU seconds (core-seconds) of each rule summed over its jobs, start-up included;
    0 for a target rule (no job of its own)."""
    rules = workflow_rules(snakefile)
    return {name: (jobs * job_cost(name, config, model).cpu if rules[name].runs else 0.0)
            for name, jobs in rule_jobs(config, snakefile).items()}


def estimate(config: Mapping[str, Any], model: CostModel = CostModel(),
             groups: Mapping[str, str] | None = None,
             components: Mapping[str, int] | None = None,
             snakefile: str | Path | None = None) -> pd.DataFrame:
    """One row per stage: jobs, SLURM submissions, core-hours, the longest job's CPU
    hours and the longest runtime a job requests (hours, first attempt). Index: stage;
    a final row 'total'."""
    rules, jobs = workflow_rules(snakefile), rule_jobs(config, snakefile)
    local = local_rules(config, groups, snakefile, model)
    subs = submissions(jobs, groups, components, [*target_rules(snakefile), *local])
    cpu = rule_cpu_seconds(config, model, snakefile)
    rows = []
    for stage, names in stages(snakefile).items():
        run = [r for r in names if rules[r].runs and jobs[r]]
        rows.append({"stage": stage, "jobs": sum(jobs[r] for r in names),
                     "submissions": sum(subs[r] for r in names),
                     "core_hours": sum(cpu[r] for r in names) / 3600,
                     "longest_job_core_hours": max((cpu[r] / jobs[r] for r in run),
                                                   default=0.0) / 3600,
                     "longest_request_hours": max((job_runtime(r, config, 1, model)
                                                   for r in run), default=0) / 60})
    df = pd.DataFrame(rows).set_index("stage")
    df.loc["total"] = [df["jobs"].sum(), df["submissions"].sum(), df["core_hours"].sum(),
                       df["longest_job_core_hours"].max(), df["longest_request_hours"].max()]
    return df.astype({"jobs": int, "submissions": int})


def format_table(df: pd.DataFrame, config: Mapping[str, Any]) -> str:
    """The table ``main`` prints."""
    lmp = config["lammps"]
    lines = [f"{config['n_samples']} samples × {config['system']['n_atoms']} atoms; MPI "
             f"LAMMPS jobs on {job_cores(MPI_RULES[0], config)} core(s) each "
             f"(lammps.threads × lammps.mpi_tasks), ARTn chunks on {lmp['threads']}; requests: "
             f"wall time × {MD_MARGIN:g} (MD) or × {MARGIN:g}, at least {MIN_RUNTIME} min",
             f"{'stage':<12} {'jobs':>7} {'SLURM jobs':>10} {'core-hours':>12} "
             f"{'longest job (core-h)':>21} {'longest request (h)':>20}"]
    for row in df.itertuples():
        if row.Index == "total":
            lines.append("-" * 87)
        lines.append(f"{row.Index:<12} {int(row.jobs):>7d} {int(row.submissions):>10d} "
                     f"{row.core_hours:>12.4g} {row.longest_job_core_hours:>21.3g} "
                     f"{row.longest_request_hours:>20.3g}")
    plan = cost.plan_keys(config)
    pinned = {k for k in plan if config["cluster"].get(k) is not None}
    if plan["glass_segments"] > 1 or plan["checkpoint_steps"]:
        lines.append(f"Glass plan: cluster.glass_segments: {plan['glass_segments']}, "
                     f"cluster.checkpoint_steps: {plan['checkpoint_steps']} "
                     + (f"(pinned: {', '.join(sorted(pinned))})" if pinned else
                        "(from the cost model; pin both in the config once the study has "
                        "started, so that another igd version's cost model does not re-plan "
                        "the glass and rerun it)"))
    every = plan["checkpoint_steps"]
    if every:
        source = ("cluster.checkpoint_steps" if "checkpoint_steps" in pinned else
                  f"cluster.checkpoint_minutes = {config['cluster']['checkpoint_minutes']:g} "
                  "min of expected wall time")
        lines.append(f"Glass jobs: a checkpoint every {every} MD steps ({source}); a killed "
                     "job resumes from its last one")
    dense = config["hessian"]["max_dense_atoms"]
    if config["system"]["n_atoms"] > dense:
        lines.append(f"Hessian: above hessian.max_dense_atoms = {dense} atoms the sparse route "
                     "(KPM local DOS on rank 0; participation fractions p_i from the exact "
                     "lowest modes by Chebyshev-filtered subspace iteration, no LU)")
    return "\n".join(lines)


def merge(base: Mapping[str, Any], update: Mapping[str, Any]) -> dict:
    """``base`` deep-updated with ``update``: what Snakemake does with ``--configfile``."""
    out = dict(base)
    for key, value in update.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def load_config(configfile: str | Path | Sequence[str | Path] | None = None,
                base: str | Path | None = None) -> dict:
    """The config a run would see: ``base`` (the Snakefile's config/config.yaml) updated by
    ``configfile`` (one path, or several applied in order as Snakemake's ``--configfile a
    b``), validated and with the schema's defaults filled in."""
    from igd.common.config import validate  # noqa: PLC0415  (jsonschema + snakemake: slow imports)

    here = Path("config/config.yaml")
    base = Path(base) if base else (here if here.exists() else ROOT / "config" / "config.yaml")
    config = yaml.safe_load(base.read_text())
    files = [] if configfile is None else (
        [configfile] if isinstance(configfile, str | Path) else list(configfile))
    for path in files:
        config = merge(config, yaml.safe_load(Path(path).read_text()) or {})
    return validate(config)


def _benchmark_rule(relpath: str, patterns: Mapping[str, str]) -> str | None:
    """The rule whose ``benchmark:`` pattern (relative to results/benchmarks/) matches
    ``relpath``; of several, the one with the fewest wildcards (``artn_gather`` before
    ``artn_{chunk}``)."""
    hits = []
    for name, pattern in patterns.items():
        parts = re.split(r"\{[^{}]*\}", pattern)
        if re.fullmatch("[^/]+".join(map(re.escape, parts)), relpath):
            hits.append((len(parts), name))
    return min(hits)[1] if hits else None


def measured(config: Mapping[str, Any], bench_dir: str | Path,
             model: CostModel = CostModel(),
             snakefile: str | Path | None = None) -> pd.DataFrame:
    """The cost model against a run's ``benchmark:`` files (``bench_dir``: its
    results/benchmarks), one row per rule with files: jobs measured, cores
    (:func:`job_cores`), CPU seconds per job predicted (:func:`job_cost`) and measured
    (the mean of Snakemake's ``cpu_time``: the job's processes, MPI ranks included), wall
    seconds on those cores predicted and measured (mean ``s``), MB requested
    (:func:`job_mem_mb`) and the largest ``max_rss``, and measured / predicted ratios."""
    rules = workflow_rules(snakefile)
    prefix = "results/benchmarks/"
    patterns = {name: rule.benchmark[len(prefix):] for name, rule in rules.items()
                if rule.benchmark and rule.benchmark.startswith(prefix)}
    root = Path(bench_dir)
    found: dict[str, list[pd.Series]] = {}
    for path in sorted(root.rglob("*.tsv")):
        name = _benchmark_rule(path.relative_to(root).as_posix(), patterns)
        if name is not None:
            found.setdefault(name, []).append(pd.read_csv(path, sep="\t").iloc[-1])
    rows = []
    for name in rules:   # the workflow's order
        if name not in found:
            continue
        runs = pd.DataFrame(found[name])
        cores = job_cores(name, config)
        predicted = job_cost(name, config, model)
        row = {"rule": name, "jobs": len(runs), "cores": cores,
               "cpu_model_s": predicted.cpu, "cpu_s": float(runs["cpu_time"].mean()),
               "wall_model_s": predicted.wall(cores), "wall_s": float(runs["s"].mean()),
               "mem_request_mb": job_mem_mb(name, config, cores),
               "max_rss_mb": float(pd.to_numeric(runs["max_rss"], errors="coerce").max())}
        row["cpu_ratio"] = row["cpu_s"] / row["cpu_model_s"]
        row["wall_ratio"] = row["wall_s"] / row["wall_model_s"]
        row["mem_ratio"] = row["max_rss_mb"] / row["mem_request_mb"]
        rows.append(row)
    if not rows:
        raise ValueError(f"{bench_dir}: no benchmark file of this workflow's rules "
                         "(expected a run's results/benchmarks)")
    return pd.DataFrame(rows).set_index("rule")


def format_measured(df: pd.DataFrame) -> str:
    """The table ``igd-cost --measured`` prints (a Markdown table: README-ready); ``!``
    marks a CPU or wall ratio outside 0.5–2."""
    head = ("| rule | jobs | cores | CPU s/job model | CPU s/job measured | ratio | "
            "wall s model | wall s measured | ratio | MB requested | max RSS MB |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]

    def flag(ratio: float) -> str:
        return f"{ratio:.2f}" + ("" if 0.5 <= ratio <= 2 else " !")

    for rule, r in df.iterrows():
        lines.append(f"| {rule} | {int(r.jobs)} | {int(r.cores)} | {r.cpu_model_s:.4g} | "
                     f"{r.cpu_s:.4g} | {flag(r.cpu_ratio)} | {r.wall_model_s:.4g} | "
                     f"{r.wall_s:.4g} | {flag(r.wall_ratio)} | {int(r.mem_request_mb)} | "
                     f"{r.max_rss_mb:.0f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="igd-cost", description=cost.__doc__.split("\n\n")[0],
        epilog="Costs are CPU time from measured per-step and per-force-call costs "
               "(igd.common.cost.CostModel); override any with --set NAME=VALUE.")
    parser.add_argument("--configfile", nargs="+", help="config(s) on top of "
                        "config/config.yaml, applied in order (as snakemake --configfile); "
                        "default: the default config only")
    parser.add_argument("--base", help="the Snakefile's config (default config/config.yaml)")
    parser.add_argument("--snakefile", help="the workflow whose rules are counted "
                        "(default ./Snakefile, else the package's)")
    parser.add_argument("--profile", default="slurm",
                        help="profile whose groups/group-components give the SLURM job "
                             "count (default: slurm; 'none' for no grouping)")
    parser.add_argument("--measured", metavar="DIR",
                        help="compare with a finished run's benchmark files instead (DIR: "
                             "its results/benchmarks), rule by rule")
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
    if args.measured:
        try:
            table = measured(config, args.measured, CostModel(**overrides), args.snakefile)
        except ValueError as err:
            parser.error(str(err))
        print(format_measured(table))
        return 0
    groups, components = ({}, {}) if args.profile == "none" else read_profile(
        Path(args.profile) if Path(args.profile).exists() else ROOT / args.profile)
    df = estimate(config, CostModel(**overrides), groups, components, args.snakefile)
    print(format_table(df, config))
    return 0
