"""In-segment checkpoints (issue #21 item 1): which checkpoint a killed glass job resumes
from, and which ones it ignores (with a log line) instead of using them."""

from __future__ import annotations

import logging

import pytest

from conftest import ROOT
from igd.common import cost
from igd.glass.segments import Checkpoints, write_sidecar

PARAMS = {"system": {"n_atoms": 250}, "glass": {"timestep": 0.002}, "seed": 1}


def _checkpoints(directory, **change) -> Checkpoints:
    kw = {"every": 100, "sample": "s0", "params": PARAMS, "segment": 1, "segments": 3, **change}
    return Checkpoints(directory, **kw)


def _commit(ck: Checkpoints, step: int, **change) -> None:
    """A checkpoint file at ``step`` with the sidecar of ``ck`` changed by ``change``."""
    ck.directory.mkdir(parents=True, exist_ok=True)
    ck.restart(step).write_bytes(bytes([step % 256]) * 1000)
    kw = {"sample": ck.sample, "params": ck.params, "segment": ck.segment,
          "segments": ck.segments, **change}
    write_sidecar(ck.restart(step), ck.sidecar(step), step=step, **kw)


def test_latest_valid_checkpoint_inside_the_range(tmp_path):
    ck = _checkpoints(tmp_path / "ck")
    assert ck.latest(1000, 2000) is None                  # no directory yet
    _commit(ck, 1200)
    _commit(ck, 1400)
    assert ck.latest(1000, 2000) == 1400
    assert ck.latest(1000, 1400) == 1200                  # never at or past the range's end
    assert ck.latest(1400, 2000) is None                  # nor at its start


@pytest.mark.parametrize("case, message", [
    ("killed while writing", "no readable sidecar"),      # restart without its sidecar
    ("damaged", "damaged"),
    ("other sample", "another sample"),
    ("other parameters", "another parameters"),
    ("other segment count", "another segment count"),
    ("other segment", "written by segment 0"),
])
def test_a_bad_newer_checkpoint_is_ignored_with_a_log_line(tmp_path, caplog, case, message):
    """The newest checkpoint is unusable: a WARNING names it and why, and the job resumes
    from the older valid one (never from the bad one)."""
    ck = _checkpoints(tmp_path / "ck")
    _commit(ck, 1200)
    if case == "killed while writing":
        ck.restart(1400).write_bytes(b"partial")
    else:
        change = {"other sample": {"sample": "s1"},
                  "other parameters": {"params": {**PARAMS, "seed": 2}},
                  "other segment count": {"segments": 4},
                  "other segment": {"segment": 0}}.get(case, {})
        _commit(ck, 1400, **change)
        if case == "damaged":
            ck.restart(1400).write_bytes(ck.restart(1400).read_bytes()[:-1])
    with caplog.at_level(logging.INFO, logger="igd.glass.segments"):
        assert ck.latest(1000, 2000) == 1200
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "1400.restart ignored" in warnings[0], warnings
    assert message in warnings[0]
    assert any("from its checkpoint at MD step 1200" in r.getMessage() for r in caplog.records)


def test_only_bad_checkpoints_mean_the_segment_start(tmp_path, caplog):
    ck = _checkpoints(tmp_path / "ck")
    _commit(ck, 1400, sample="s1")
    _commit(ck, 2500)                                     # another range's
    with caplog.at_level(logging.WARNING, logger="igd.glass.segments"):
        assert ck.latest(1000, 2000) is None
    assert len(caplog.records) == 2
    ck.clear()
    assert not ck.directory.exists()


def test_checkpoint_steps_from_the_cost_model():
    """Default and smoke configs: no checkpoints (one segment is shorter than an hour), so
    their glass params and results are today's; paper: every ≈ 1.33e6 steps (an hour of
    19 652 atoms on 16 cores), ≈ 19 checkpoints per segment."""
    base = ROOT / "config" / "config.yaml"
    default, smoke, paper = (cost.load_config(ROOT / "config" / f"{n}.yaml", base)
                             for n in ("config", "smoke", "paper"))
    assert cost.checkpoint_steps(default) == cost.checkpoint_steps(smoke) == 0
    every = cost.checkpoint_steps(paper)
    model = cost.CostModel()
    hour = 3600 * cost.job_cores("glass", paper) / (19652 * model.md_s_per_atom_step)
    assert every == int(hour)
    paper["cluster"]["checkpoint_minutes"] = 0
    assert cost.checkpoint_steps(paper) == 0
    smoke["cluster"]["checkpoint_minutes"] = 0.01        # 0.6 s: the tiny limit of a test
    assert 0 < cost.checkpoint_steps(smoke) < 1000


def test_pinned_plan_survives_another_cost_model():
    """cluster.glass_segments / checkpoint_steps pin the glass plan: a cost model with
    another MD rate re-plans an unpinned paper config (the glass params change, so the
    glass and all after it would rerun) but not a pinned one; igd-cost prints the plan."""
    import dataclasses

    from igd.common.cost_table import estimate, format_table

    base = ROOT / "config" / "config.yaml"
    paper = cost.load_config(ROOT / "config" / "paper.yaml", base)
    plan = cost.plan_keys(paper)
    assert plan == {"glass_segments": cost.glass_segments(paper),
                    "checkpoint_steps": cost.checkpoint_steps(paper)}
    assert plan["glass_segments"] > 1 and plan["checkpoint_steps"] > 0
    slower = dataclasses.replace(cost.CostModel(),
                                 md_s_per_atom_step=2 * cost.CostModel().md_s_per_atom_step)
    assert cost.plan_keys(paper, slower) != plan                 # re-planned
    pinned = {**paper, "cluster": {**paper["cluster"], **plan}}
    assert cost.plan_keys(pinned, slower) == plan                # kept
    text = format_table(estimate(paper), paper)
    assert (f"cluster.glass_segments: {plan['glass_segments']}, cluster.checkpoint_steps: "
            f"{plan['checkpoint_steps']} (from the cost model" in text)
    assert "(pinned: checkpoint_steps, glass_segments)" in format_table(
        estimate(pinned), pinned)
    default = cost.load_config(base, base)
    assert "Glass plan" not in format_table(estimate(default), default)   # one job, none
