"""Cluster job hygiene without a cluster: which rules run inside the main Snakemake process
(``localrules``, from the cost model) and how the MPI rules are launched (lammps.launcher).

The cheap rules (figures, tables, per-sample summaries) must not cost one SLURM job each;
the rules sized by the config (LAMMPS, ARTn, the SVM) always stay cluster jobs. The
workflow's ``localrules`` must be exactly :func:`igd.common.cost.local_rules` (which
``igd-cost`` counts out of its SLURM jobs). One parse of the workflow, no job runs.
"""

from __future__ import annotations

import pytest
import yaml

from igd.common import cost, cost_table
from igd.common.config import ConfigError, validate

from conftest import ROOT, copy_workflow

SRUN = "srun --mpi=pmi2"


@pytest.fixture(scope="module")
def configs() -> dict[str, dict]:
    base = ROOT / "config" / "config.yaml"
    return {name: cost.load_config(None if name == "config" else ROOT / "config" / f"{name}.yaml",
                                   base) for name in ("config", "smoke", "paper")}


def _with(config: dict, section: str, **values) -> dict:
    return {**config, section: {**config[section], **values}}


def test_local_rules_cheap_and_never_compute(configs):
    rules = cost.workflow_rules(ROOT / "Snakefile")
    for name, config in configs.items():
        local = cost.local_rules(config, snakefile=ROOT / "Snakefile")
        assert local, name
        assert not set(local) & set(cost.COMPUTE_RULES), name   # at any size
        assert "all" not in local                                # no job of its own
        for rule in local:
            assert rules[rule].runs
            assert cost.job_cores(rule, config) == 1
            assert cost.job_cost(rule, config).cpu <= cost.LOCAL_MAX_SECONDS
            assert cost.job_mem_mb(rule, config) <= cost.LOCAL_MAX_MB
    paper = cost.local_rules(configs["paper"], snakefile=ROOT / "Snakefile")
    # at 19 652 atoms: the 1 GB figures are local, the minutes-long neighbour passes and
    # the memory-heavy figures (fig14: all samples' rows) are cluster jobs
    assert {"fig03", "fig05", "fig09", "fig13", "report_tables", "labels"} <= set(paper)
    assert not {"analysis", "leaderboard", "fig14", "descriptors_local"} & set(paper)


def test_local_rules_follow_the_cost_model(configs):
    """Planted: `structure` (1.7e-4 s per atom) is local up to ~350 000 atoms; a rule
    grouped by the profile is never local (Snakemake would submit it anyway)."""
    config = configs["config"]
    assert "structure" in cost.local_rules(config)
    seconds = 2 * cost.LOCAL_MAX_SECONDS
    atoms = int(seconds / cost.CostModel().structure_s_per_atom)
    big = _with(config, "system", n_atoms=atoms)
    assert "structure" not in cost.local_rules(big)
    assert "structure" not in cost.local_rules(config, groups={"structure": "small"})
    # the repository's profile groups no cheap rule (that would make it a SLURM job again)
    groups = cost.read_profile(ROOT / "slurm")[0]
    for name in ("config", "smoke", "paper"):
        assert not set(groups) & set(cost.local_rules(configs[name])), name


def test_igd_cost_counts_local_jobs_out(configs, monkeypatch):
    paper = configs["paper"]
    groups, components = cost.read_profile(ROOT / "slurm")
    after = cost.estimate(paper, groups=groups, components=components).loc["total"]
    jobs = cost.rule_jobs(paper)
    local = cost.local_rules(paper, groups)
    # estimate() lives in cost_table (cost re-exports it): patch the name it calls
    monkeypatch.setattr(cost_table, "local_rules", lambda *a, **k: [])
    before = cost.estimate(paper, groups=groups, components=components).loc["total"]
    assert before["submissions"] - after["submissions"] == sum(jobs[r] for r in local)
    assert after["jobs"] == before["jobs"]
    print(f"paper config: {int(before['submissions'])} -> {int(after['submissions'])} SLURM jobs")


@pytest.mark.parametrize("value, ok", [("mpiexec", True), (SRUN, True), ("srun --mpi=pmix", True),
                                       ("srun", False), ("mpirun", False), ("", False)])
def test_launcher_values(configs, value, ok):
    raw = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    raw["lammps"]["launcher"] = value
    if ok:
        assert validate(raw)["lammps"]["launcher"] == value
    else:
        with pytest.raises(ConfigError, match="lammps.launcher"):
            validate(raw)


def test_workflow_localrules_and_launcher(tmp_path, configs):
    """The parsed workflow (paper config, srun launcher): its localrules are the cost
    model's, the MPI rules start `srun --mpi=pmi2 -n <tasks>`, and the launch keys are
    not in any rule's params (changing them reruns nothing)."""
    from snakemake.api import SnakemakeApi
    from snakemake.settings.types import (ConfigSettings, OutputSettings, ResourceSettings,
                                          StorageSettings, WorkflowSettings)

    work = copy_workflow(tmp_path / "wf")
    launcher = tmp_path / "srun.yaml"
    launcher.write_text(yaml.safe_dump({"lammps": {"launcher": SRUN}}))
    with SnakemakeApi(OutputSettings(quiet={"all"})) as api:
        wf = api.workflow(resource_settings=ResourceSettings(cores=1),
                          config_settings=ConfigSettings(
                              configfiles=[work / "config" / "paper.yaml", launcher]),
                          storage_settings=StorageSettings(),
                          workflow_settings=WorkflowSettings(),
                          snakefile=work / "Snakefile", workdir=work)
        workflow = wf._workflow   # the parsed workflow (Snakemake 9 API)
        paper = _with(configs["paper"], "lammps", launcher=SRUN)
        assert workflow._localrules == set(cost.local_rules(paper, snakefile=work / "Snakefile"))
        for name in cost.MPI_RULES:
            rule = workflow.get_rule(name)
            assert rule.resources["mpi"].value == SRUN
            assert rule.resources["tasks"].value == paper["lammps"]["mpi_tasks"]
            assert rule.shellcmd.startswith("{resources.mpi} -n {resources.tasks} ")
            # a local run schedules an MPI job by all its cores; SLURM gets ranks × threads,
            # and each rank runs lammps.threads OpenMP threads whatever threads: scales to
            threads = paper["lammps"]["threads"]
            assert rule.resources["_cores"].value == cost.job_cores(name, paper) == \
                threads * paper["lammps"]["mpi_tasks"], name
            assert rule.resources["cpus_per_task"].value == threads
            assert f"--threads {threads} " in rule.shellcmd
        assert "launcher" not in workflow.globals["without"]("lammps")
        assert "mpi_tasks" not in workflow.globals["without"]("lammps")
