"""The workflow's rules, stages, job counts and SLURM submissions, read from its files and
the profile (no rule is named here).

A rule's stage is the file that defines it (``workflow/rules/<stage>.smk``: ``^rule name:``),
stages in the Snakefile's include order; its job count under a config is the product of its
output wildcards' values (:data:`WILDCARDS`). :mod:`igd.common.cost` prices them; tested
equal to ``snakemake -n``.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from igd.common.config import grid

ROOT = Path(__file__).resolve().parents[3]

WILDCARDS = {
    "sample": lambda c: c["n_samples"],
    "direction": lambda c: len(c["shear"]["directions"]),
    "T": lambda c: len(grid(c["vmsd"]["temperatures"])),
    "chunk": lambda c: c["artn"]["chunks"],
    "segment": lambda c: _glass_segments(c) - 1,
}
"""Values of each output wildcard under a config (igd.common.config.sample_names, shear
directions, vMSD temperatures, ARTn chunks, the melt-quench's segments before the last):
a rule has one job per combination."""


def _count_samples(config: Mapping[str, Any], which) -> int:
    from igd.common.samples import samples_of  # noqa: PLC0415

    return sum(1 for s in samples_of(config, check_files=False) if which(s))


SAMPLE_SUBSETS = {
    "glass": lambda c: _count_samples(c, lambda s: s.quenched),
    "glass_segment": lambda c: _count_samples(c, lambda s: s.quenched),
    "import_glass": lambda c: _count_samples(c, lambda s: not s.quenched),
    "aqs": lambda c: _count_samples(c, lambda s: s.labels),
    "labels": lambda c: _count_samples(c, lambda s: s.labels),
    "features": lambda c: _count_samples(c, lambda s: s.labels or s.role == "predict"),
    "predict": lambda c: _count_samples(c, lambda s: s.role == "predict"),
    "descriptors_local": lambda c: _count_samples(c, lambda s: s.role != "predict"),
    "ovito_dump": lambda c: _count_samples(c, lambda s: s.role != "predict"),
}
"""Rules whose {sample} runs over a part of the samples sheet only (igd.common.samples):
the quenched glasses, the glasses from files, the labelled samples, the samples with
features (labelled or predicted), the predict samples, the study's samples (not the
predict ones)."""


def _glass_segments(config: Mapping[str, Any]) -> int:
    from igd.common.cost import glass_segments  # noqa: PLC0415  (cost imports this module)

    return glass_segments(config)


class Rule(NamedTuple):
    """A rule as its file states it."""

    stage: str                 # stem of the file defining it (workflow/rules/<stage>.smk)
    wildcards: frozenset[str]  # of its outputs
    runs: bool                 # False for a target rule without outputs (e.g. all)
    benchmark: str | None = None   # its ``benchmark:`` path pattern, if a plain string


def snakefile_path(snakefile: str | Path | None = None) -> Path:
    """``snakefile``, else ./Snakefile if there is one, else the package's."""
    here = Path("Snakefile")
    return Path(snakefile) if snakefile else (here if here.exists() else ROOT / "Snakefile")


def _section(body: list[str], key: str) -> str | None:
    """The text of a rule's ``key:`` section (``body``: the lines after ``rule name:``)."""
    code = [x for x in body if x.strip() and not x.lstrip().startswith("#")]
    indent = min((len(x) - len(x.lstrip()) for x in code), default=0)
    out = None
    for line in body:
        if line in code and len(line) - len(line.lstrip()) == indent:
            if out is not None:
                break
            m = re.match(r"\s*(\w+):(.*)$", line)
            if m and m.group(1) == key:
                out = [m.group(2)]
        elif out is not None:
            out.append(line)
    return None if out is None else "\n".join(out)


def _literal(text: str | None) -> str | None:
    """A section's text as the one string literal it is, else None."""
    try:
        value = ast.literal_eval(text.strip()) if text else None
    except (ValueError, SyntaxError):
        return None
    return value if isinstance(value, str) else None


def output_wildcards(text: str) -> frozenset[str]:
    """Wildcards of an ``output:`` section's text: ``{name}`` (or ``{name,regex}``) in its
    strings, but inside ``expand(…)`` only the escaped ``{{name}}``."""
    names: set[str] = set()

    def visit(node: ast.AST, expanded: bool) -> None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            pattern = r"\{\{(\w+)\}\}" if expanded else r"(?<!\{)\{(\w+)(?:,[^{}]*)?\}"
            names.update(re.findall(pattern, node.value))
        inner = expanded or (isinstance(node, ast.Call)
                             and getattr(node.func, "id", "") == "expand")
        for child in ast.iter_child_nodes(node):
            visit(child, inner)

    visit(ast.parse(f"_(\n{text}\n)"), False)
    return frozenset(names)


def workflow_rules(snakefile: str | Path | None = None) -> dict[str, Rule]:
    """Every rule of the workflow in definition order: the Snakefile read top-down, each
    ``include:`` followed where it stands (its path relative to the including file)."""
    rules: dict[str, Rule] = {}

    def read(path: Path) -> None:
        name, body = None, []
        for line in [*path.read_text().splitlines(), "end"]:
            if name and line.strip() and not line[0].isspace() and line[0] != "#":
                output = _section(body, "output")
                rules[name] = Rule(path.stem, output_wildcards(output or ""), output is not None,
                                   _literal(_section(body, "benchmark")))
                name = None
            include = re.match(r"^include:\s*[\"'](.+?)[\"']", line)
            if include:
                read(path.parent / include.group(1))
            rule = re.match(r"^rule (\w+):", line)
            if rule:
                name, body = rule.group(1), []
            elif name:
                body.append(line)

    read(snakefile_path(snakefile))
    return rules


def stages(snakefile: str | Path | None = None) -> dict[str, tuple[str, ...]]:
    """Stage → its rules, in the workflow's order (the stage is the defining file's stem)."""
    out: dict[str, tuple[str, ...]] = {}
    for name, rule in workflow_rules(snakefile).items():
        out[rule.stage] = (*out.get(rule.stage, ()), name)
    return out


def rule_jobs(config: Mapping[str, Any], snakefile: str | Path | None = None) -> dict[str, int]:
    """Jobs of every rule for a whole run from scratch (what ``snakemake -n`` counts):
    the product of its output wildcards' :data:`WILDCARDS` counts (1 without any)."""
    def count(name: str, w: str) -> int:
        return (SAMPLE_SUBSETS[name] if w == "sample" and name in SAMPLE_SUBSETS
                else WILDCARDS[w])(config)

    return {name: math.prod(count(name, w) for w in sorted(rule.wildcards))
            for name, rule in workflow_rules(snakefile).items()}


def target_rules(snakefile: str | Path | None = None) -> list[str]:
    """Rules without outputs (e.g. ``all``): Snakemake counts them but runs no job."""
    return [name for name, rule in workflow_rules(snakefile).items() if not rule.runs]


def submissions(jobs: Mapping[str, int], groups: Mapping[str, str] | None = None,
                components: Mapping[str, int] | None = None,
                norun: Iterable[str] | None = None) -> dict[str, int]:
    """SLURM jobs per rule once grouped: a group of N components is one submission.

    ``groups`` maps rule → group name, ``components`` group name → members per
    submission (the profile's ``groups`` and ``group-components``). Each job of a grouped
    rule is its own component here (no two jobs of one group depend on each other);
    a group's submissions are attributed to its first rule. Rules in ``norun`` (default:
    the workflow's rules without outputs) submit nothing.
    """
    groups, components = groups or {}, components or {}
    norun = set(target_rules() if norun is None else norun)
    out = {rule: (0 if rule in norun else n) for rule, n in jobs.items()
           if rule not in groups}
    members: dict[str, list[str]] = {}
    for rule, group in groups.items():
        if rule in jobs:
            members.setdefault(group, []).append(rule)
    for group, rules in members.items():
        out[rules[0]] = math.ceil(sum(jobs[r] for r in rules) / max(1, components.get(group, 1)))
        out.update({r: 0 for r in rules[1:]})
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
    components = {k: int(v) for k, v in _items(profile.get("group-components")).items()}
    return _items(profile.get("groups")), components
