"""The first run on a bare machine (issue #18).

* The system libraries of the OVITO snapshots (igd.common.system): missing ones are named
  before the first job, with the command to install them and the switch to run without
  the snapshots; ``learning.analysis.snapshot.enabled: false`` plans the run without them.
* The workflow started as ``<venv>/bin/snakemake`` with no venv on PATH: the rules run the
  interpreter that runs Snakemake.
* Every report caption renders without a docutils error (alone, and in the report of the
  smoke run).
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from igd.common import system
from igd.common.io import read_table

from conftest import ROOT, copy_workflow, run_snakemake, snakemake_env

INSTALL = "sudo apt-get install libvulkan1 mesa-vulkan-drivers"
SWITCH = "learning.analysis.snapshot.enabled: false"
SWITCH_YAML = "learning: {analysis: {snapshot: {enabled: false}}}"


def no_vulkan_loader(name):
    """A dynamic loader that finds everything but Vulkan (as ``ctypes.CDLL`` would fail)."""
    if "vulkan" in name:
        raise OSError(f"{name}: cannot open shared object file: No such file or directory")
    return object()


def any_library(name):
    return object()


@pytest.fixture
def driver(tmp_path) -> Path:
    """A Vulkan driver manifest (what mesa-vulkan-drivers installs in vulkan/icd.d)."""
    path = tmp_path / "icd.d" / "lvp_icd.x86_64.json"
    path.parent.mkdir()
    path.write_text('{"file_format_version": "1.0.0", "ICD": {"library_path": "x.so"}}')
    return path


# --------------------------------------------------------------------------- the check

def test_missing_loader_is_named_with_install_command_and_switch(driver):
    env = {"VK_DRIVER_FILES": str(driver)}
    missing = system.missing_for_snapshots(load=no_vulkan_loader, environ=env,
                                           platform="linux")
    assert missing == [system.VULKAN_LOADER]
    with pytest.raises(system.SystemRequirementError) as err:
        system.check_snapshots(load=no_vulkan_loader, environ=env, platform="linux")
    msg = str(err.value)
    assert "libvulkan.so.1" in msg and "package libvulkan1" in msg
    assert INSTALL in msg and "sudo bash bin/setup --system" in msg
    assert SWITCH in msg
    assert "Vulkan driver" not in msg                # only what is missing is named


def test_default_loader_is_dlopen_through_ctypes(monkeypatch, driver):
    """Without ``load`` the check asks ctypes.CDLL (the dynamic loader, as OVITO does)."""
    asked = []

    def cdll(name):
        asked.append(name)
        return no_vulkan_loader(name)

    monkeypatch.setattr(system.ctypes, "CDLL", cdll)
    env = {"VK_DRIVER_FILES": str(driver)}
    assert system.missing_for_snapshots(environ=env, platform="linux") == [system.VULKAN_LOADER]
    assert asked == ["libvulkan.so.1"]
    assert not system.can_load("libvulkan.so.1")
    assert system.can_load("libc.so.6")              # other libraries still load


def test_missing_driver_is_named(tmp_path):
    env = {"VK_DRIVER_FILES": str(tmp_path / "none.json")}
    missing = system.missing_for_snapshots(load=any_library, environ=env, platform="linux")
    assert missing == [system.VULKAN_DRIVER]
    msg = system.snapshot_message(missing)
    assert "Vulkan driver" in msg and "mesa-vulkan-drivers" in msg and INSTALL in msg


def test_both_present_passes(driver):
    env = {"VK_DRIVER_FILES": str(driver.parent)}       # a directory of manifests
    assert system.missing_for_snapshots(load=any_library, environ=env, platform="linux") == []
    system.check_snapshots(load=any_library, environ=env, platform="linux")


def test_driver_search_follows_the_vulkan_loader(tmp_path, driver):
    """XDG data/config directories and VK_ADD_DRIVER_FILES are searched; VK_DRIVER_FILES
    (or VK_ICD_FILENAMES) replaces the search."""
    share = tmp_path / "share"
    (share / "vulkan" / "icd.d").mkdir(parents=True)
    (share / "vulkan" / "icd.d" / "a.json").write_text("{}")
    empty = {"HOME": str(tmp_path), "XDG_CONFIG_DIRS": str(tmp_path / "etc"),
             "XDG_DATA_DIRS": str(tmp_path / "nothing")}
    dirs = system.vulkan_driver_dirs(empty)
    assert tmp_path / ".local" / "share" / "vulkan" / "icd.d" in dirs
    assert Path("/etc/vulkan/icd.d") in dirs
    xdg = {**empty, "XDG_DATA_DIRS": f"{tmp_path / 'nothing'}{os.pathsep}{share}"}
    assert system.vulkan_driver_manifests(xdg) == [share / "vulkan" / "icd.d" / "a.json"]
    added = {**empty, "VK_ADD_DRIVER_FILES": str(driver)}
    assert driver in system.vulkan_driver_manifests(added)
    for key in ("VK_DRIVER_FILES", "VK_ICD_FILENAMES"):
        only = {**xdg, key: str(tmp_path / "none.json")}
        assert system.vulkan_driver_manifests(only) == []


def test_not_checked_off_linux():
    assert system.missing_for_snapshots(load=no_vulkan_loader, environ={},
                                        platform="darwin") == []


def test_setup_asks_the_system_python(tmp_path):
    """bin/setup runs the module as a file (standard library only, before the venv
    exists): ``--missing-packages`` prints the Debian packages to install."""
    script = ROOT / "src" / "igd" / "common" / "system.py"
    env = {**os.environ, "VK_DRIVER_FILES": str(tmp_path / "none.json")}
    env.pop("PYTHONPATH", None)
    proc = subprocess.run([sys.executable, "-I", str(script), "--missing-packages"],
                          env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 1
    assert "mesa-vulkan-drivers" in proc.stdout.split()
    proc = subprocess.run([sys.executable, "-I", str(script)], env=env,
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 1 and INSTALL in proc.stderr and SWITCH in proc.stderr


# ------------------------------------------------------- the check in the workflow

NO_VULKAN_SITE = '''
"""Test double: this interpreter's dynamic loader does not find the Vulkan loader."""
import ctypes

_CDLL = ctypes.CDLL


class CDLL(_CDLL):
    def __init__(self, name, *args, **kwargs):
        if name and "vulkan" in str(name):
            raise OSError(f"{name}: cannot open shared object file: No such file or directory")
        super().__init__(name, *args, **kwargs)


ctypes.CDLL = CDLL
'''


def dry_run_without_vulkan(work: Path, *args: str) -> subprocess.CompletedProcess:
    """``snakemake -n`` on a machine without libvulkan1 and mesa-vulkan-drivers: a
    sitecustomize makes dlopen of libvulkan fail in the interpreter running Snakemake,
    and VK_DRIVER_FILES (which the Vulkan loader honours) names no driver."""
    site = work / "no_vulkan_site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(textwrap.dedent(NO_VULKAN_SITE))
    env = snakemake_env()
    env["PYTHONPATH"] = os.pathsep.join(p for p in [str(site), env.get("PYTHONPATH")] if p)
    env["VK_DRIVER_FILES"] = str(work / "no_driver.json")
    return subprocess.run([sys.executable, "-m", "snakemake", "-n", *args], cwd=work, env=env,
                          capture_output=True, text=True, timeout=600, check=False)


def test_missing_vulkan_stops_the_workflow_before_the_first_job(tmp_path):
    work = copy_workflow(tmp_path / "wf")
    proc = dry_run_without_vulkan(work, "--configfile", "config/smoke.yaml")
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out[-3000:]
    assert "WorkflowError" in out
    assert "libvulkan.so.1" in out and "Vulkan driver" in out
    assert INSTALL in out and SWITCH in out
    assert "Job stats" not in out                    # stopped before planning any job


def test_snapshots_switched_off_runs_without_vulkan(tmp_path):
    """The message's advice, followed: an extra config file with ``enabled: false``
    after the usual one. No check then, and the snapshots rule (which then writes
    figures saying the snapshots were skipped) is still planned."""
    assert f"echo '{SWITCH_YAML}' > no-snapshots.yaml" in system.snapshot_message(
        [system.VULKAN_LOADER])
    work = copy_workflow(tmp_path / "wf")
    (work / "no-snapshots.yaml").write_text(SWITCH_YAML + "\n")
    proc = dry_run_without_vulkan(work, "--configfile", "config/smoke.yaml",
                                  "no-snapshots.yaml")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    assert "libvulkan" not in out
    assert re.search(r"^snapshots\s+1$", out, re.MULTILINE), out[-3000:]


# ------------------------------------------------- the interpreter of the rules

@pytest.mark.workflow
def test_rules_run_the_interpreter_running_snakemake(tmp_path):
    """Started as ``<venv>/bin/snakemake`` with no venv on PATH (a cron job, a cluster
    wrapper): the LAMMPS rule (glass, shell) and a script rule (rdf) still find igd."""
    work = copy_workflow(tmp_path / "wf")
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    env["PATH"] = "/usr/bin:/bin"
    snakemake = Path(sys.executable).parent / "snakemake"
    target = "results/s0/glass/rdf.parquet"
    proc = subprocess.run([str(snakemake), target, "--cores", "1",
                           "--configfile", "config/smoke.yaml"], cwd=work, env=env,
                          capture_output=True, text=True, timeout=1800, check=False)
    assert proc.returncode == 0, (proc.stdout[-3000:] + proc.stderr[-5000:])
    atoms = read_table(work / "results" / "s0" / "glass" / "atoms.parquet")
    assert len(atoms) == 500
    assert len(read_table(work / target)) > 0


# ------------------------------------------------------------- report captions

def caption_files() -> list[Path]:
    """Every caption file: those in workflow/report and those the rules name."""
    named = set()
    for smk in (ROOT / "workflow" / "rules").glob("*.smk"):
        for rel in re.findall(r'caption="([^"]+)"', smk.read_text()):
            named.add((smk.parent / rel).resolve())
    return sorted(named | set((ROOT / "workflow" / "report").glob("*.rst")))


def render_caption(path: Path) -> str:
    """docutils' complaints (warnings and errors) about one caption, rendered as
    Snakemake's report does (Jinja2 template, then reStructuredText to HTML)."""
    from docutils.core import publish_parts
    from jinja2 import Environment, StrictUndefined

    text = Environment(trim_blocks=True, lstrip_blocks=True,
                       undefined=StrictUndefined).from_string(path.read_text()).render()
    messages = io.StringIO()
    publish_parts(text, writer="html",
                  settings_overrides={"warning_stream": messages, "report_level": 2,
                                      "halt_level": 5})
    return messages.getvalue()


def test_every_caption_renders_cleanly():
    files = caption_files()
    assert len(files) >= 20
    missing = [str(p) for p in files if not p.is_file()]
    assert not missing, f"captions named by rules but absent: {missing}"
    problems = {p.name: msg for p in files if (msg := render_caption(p))}
    assert not problems, problems


DOCUTILS_PROBLEMS = ("ERROR/", "WARNING/", "SEVERE/", "Undefined substitution")


@pytest.mark.workflow
def test_report_of_the_smoke_run_renders_every_caption(smoke_run):
    proc = run_snakemake(smoke_run, "--configfile", "config/smoke.yaml",
                         "--report", "report.html")
    out = proc.stdout + proc.stderr
    problems = [line for line in out.splitlines()
                if any(p in line for p in DOCUTILS_PROBLEMS)]
    assert not problems, "\n".join(problems)
    html = (smoke_run / "report.html").read_text()
    assert "98th percentile of |IGD|" in html              # fig09a's caption, as text
