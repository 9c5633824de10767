"""igd.common.cost: job counts equal Snakemake's, costs linear in atoms and steps, grouping."""

from __future__ import annotations

import copy
import math
import re

import pytest

from conftest import ROOT, copy_workflow, run_snakemake
from igd.common import cost


@pytest.fixture(scope="module")
def default() -> dict:
    return cost.load_config(ROOT / "config" / "config.yaml", ROOT / "config" / "config.yaml")


def _dry_run_jobs(workdir, configfile: str) -> dict[str, int]:
    """Rule → job count from the 'Job stats' table of `snakemake -n`."""
    proc = run_snakemake(workdir, "-n", "--configfile", configfile, timeout=300)
    text = proc.stdout + proc.stderr
    table = text[text.index("Job stats:"):]
    jobs = {}
    for line in table.splitlines()[3:]:
        m = re.match(r"^(\w+)\s+(\d+)$", line.strip())
        if not m:
            break
        jobs[m.group(1)] = int(m.group(2))
    return jobs


@pytest.mark.workflow
@pytest.mark.parametrize("configfile", ["config/config.yaml", "config/smoke.yaml"])
def test_job_counts_equal_snakemake_dry_run(tmp_path, configfile):
    work = copy_workflow(tmp_path)
    dry = _dry_run_jobs(work, configfile)
    total = dry.pop("total")
    expected = cost.rule_jobs(cost.load_config(work / configfile, work / "config/config.yaml"))
    assert dry == expected
    assert sum(expected.values()) == total


def test_every_rule_has_a_stage():
    rules = set()
    for smk in [ROOT / "Snakefile", *sorted((ROOT / "workflow" / "rules").glob("*.smk"))]:
        rules |= set(re.findall(r"^rule (\w+):", smk.read_text(), flags=re.M))
    staged = {r for rs in cost.STAGES.values() for r in rs}
    assert rules == staged


def _scaled(config, **changes):
    out = copy.deepcopy(config)
    for path, value in changes.items():
        node = out
        *keys, last = path.split("__")
        for k in keys:
            node = node[k]
        node[last] = value
    return out


def _work(config, rule, model):
    """CPU seconds of a rule without the per-job start-up."""
    jobs = cost.rule_jobs(config)[rule]
    return cost.rule_cpu_seconds(config, model)[rule] - jobs * model.job_overhead_s


def test_costs_linear_in_steps(default):
    model = cost.CostModel()
    v, d, g = default["vmsd"], default["dynamics"], default["glass"]
    longer = _scaled(default, vmsd__duration=2 * v["duration"], dynamics__t_max=2 * d["t_max"],
                     shear__strain_step=default["shear"]["strain_step"] / 2,
                     glass__heat_time=2 * g["heat_time"],
                     glass__equilibrate_time=2 * g["equilibrate_time"],
                     glass__quench_rate=g["quench_rate"] / 2)
    for rule in ("vmsd", "dynamics", "aqs"):
        assert _work(longer, rule, model) == pytest.approx(2 * _work(default, rule, model))
    minimise = default["n_samples"] * 3 * default["system"]["n_atoms"] * model.min_s_per_atom
    assert _work(longer, "glass", model) - minimise == pytest.approx(
        2 * (_work(default, "glass", model) - minimise))


def test_costs_linear_in_atoms_and_events(default):
    model = cost.CostModel()
    big = _scaled(default, system__n_atoms=2 * default["system"]["n_atoms"])
    for rule in ("vmsd", "dynamics", "aqs", "structure"):
        assert _work(big, rule, model) == pytest.approx(2 * _work(default, rule, model))
    # ARTn: searches ∝ atoms and each force call ∝ atoms
    assert _work(big, "artn_chunk", model) == pytest.approx(4 * _work(default, "artn_chunk", model))
    more = _scaled(default, artn__search__n_events=2 * default["artn"]["search"]["n_events"])
    assert _work(more, "artn_chunk", model) == pytest.approx(
        2 * _work(default, "artn_chunk", model))
    # more chunks: more jobs, the same work
    split = _scaled(default, artn__chunks=3 * default["artn"]["chunks"])
    assert cost.rule_jobs(split)["artn_chunk"] == 3 * cost.rule_jobs(default)["artn_chunk"]
    assert _work(split, "artn_chunk", model) == pytest.approx(_work(default, "artn_chunk", model))


def test_artn_cost_by_hand(default):
    """One 500-atom sample, every atom, 2 events, 3 attempts at p = 0.5: by hand."""
    model = cost.CostModel(artn_success=0.5, artn_calls_per_attempt=100,
                           artn_s_per_atom_call=1e-5, job_overhead_s=0)
    cfg = _scaled(default, n_samples=1, system__n_atoms=500, artn__atom_stride=1,
                  artn__search__n_events=2, artn__search__max_attempts=3)
    attempts = 1 + 0.5 + 0.25
    assert cost.rule_cpu_seconds(cfg, model)["artn_chunk"] == pytest.approx(
        500 * 2 * attempts * 100 * 1e-5 * 500)


def test_artn_local_cost_by_hand(default):
    """Local mode (exact shell): a call costs the carved core's atoms, plus a refinement
    per converged event on the larger sphere; independent of the sample size."""
    model = cost.CostModel(artn_success=0.5, artn_calls_per_attempt=100,
                           artn_s_per_atom_call=1e-5, job_overhead_s=0,
                           artn_refine_calls=20, artn_local_core_extra=6.5)
    cfg = _scaled(default, n_samples=1, system__n_atoms=20000, artn__atom_stride=1,
                  system__initial__density=0.06, artn__search__n_events=2,
                  artn__search__max_attempts=3, artn__search__local=True,
                  artn__search__local_radius=10.0, artn__search__local_refine_radius=15.0,
                  artn__search__frozen_shell=None, artn__search__local_force_offset=False)
    ball = lambda r: 0.06 * 4 / 3 * math.pi * (r + 6.5) ** 3  # noqa: E731
    events = 20000 * 2
    expected = 1e-5 * (events * 1.75 * 100 * ball(10.0) + events * 0.875 * 20 * ball(15.0))
    assert cost.rule_cpu_seconds(cfg, model)["artn_chunk"] == pytest.approx(expected)
    no_refine = _scaled(cfg, artn__search__local_refine_radius=None)
    assert cost.rule_cpu_seconds(no_refine, model)["artn_chunk"] == pytest.approx(
        1e-5 * events * 1.75 * 100 * ball(10.0))
    # a thin given shell (flexible boundary) costs the whole cluster; the exact shell
    # without the exclusion too
    sphere = lambda r: 0.06 * 4 / 3 * math.pi * r ** 3  # noqa: E731
    thin = _scaled(no_refine, artn__search__frozen_shell=4.5,
                   artn__search__local_force_offset=True)
    assert cost.rule_cpu_seconds(thin, model)["artn_chunk"] == pytest.approx(
        1e-5 * events * 1.75 * 100 * sphere(14.5))
    whole = _scaled(no_refine, artn__search__local_exclude=False)
    assert cost.rule_cpu_seconds(whole, model)["artn_chunk"] == pytest.approx(
        1e-5 * events * 1.75 * 100 * sphere(22.5))


def test_submissions_grouping():
    jobs = {"vmsd": 200, "artn_chunk": 2000, "glass": 10, "all": 1}
    subs = cost.submissions(jobs, {"vmsd": "vmsd", "artn_chunk": "artn"},
                            {"vmsd": 10, "artn": 30})
    assert subs == {"vmsd": 20, "artn_chunk": math.ceil(2000 / 30), "glass": 10, "all": 0}
    assert cost.submissions(jobs) == {**jobs, "all": 0}


def test_slurm_profile_groups():
    """The serial ARTn chunks are grouped; the MPI rules are not (tasks would add up)."""
    groups, components = cost.read_profile(ROOT / "slurm")
    assert components[groups["artn_chunk"]] > 1
    assert not {"glass", "aqs", "vmsd", "hessian", "dynamics"} & set(groups)


def test_paper_table(capsys):
    assert cost.main(["--configfile", str(ROOT / "config" / "paper.yaml"),
                      "--base", str(ROOT / "config" / "config.yaml")]) == 0
    out = capsys.readouterr().out
    paper = cost.load_config(ROOT / "config" / "paper.yaml", ROOT / "config" / "config.yaml")
    df = cost.estimate(paper, groups=cost.read_profile(ROOT / "slurm")[0],
                       components=cost.read_profile(ROOT / "slurm")[1])
    total = df.loc["total"]
    assert total["jobs"] == sum(cost.rule_jobs(paper).values())
    assert 100 <= total["submissions"] < 1000          # hundreds, not thousands
    assert 1e4 < total["core_hours"] < 1e6              # README: ~2.0e4 core-hours
    assert df.loc["ARTn", "core_hours"] > df.loc["vMSD", "core_hours"]
    assert re.search(rf"total\s+{int(total['jobs'])}\s+{int(total['submissions'])}\s", out)
    for stage in cost.STAGES:
        assert stage in out
