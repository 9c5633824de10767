"""Shared fixtures: the repository, a tiny glass made once per session, the smoke run
(killed once and resumed: ``killing``)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = [sys.executable, "-m", "snakemake"]

# What a copy of the workflow needs to run somewhere else (the package is installed).
WORKFLOW_FILES = ["Snakefile", "workflow", "config", "potentials", "envs"]


PNG = b"\x89PNG\r\n\x1a\n"


def assert_png(path: Path, min_width: int = 300) -> None:
    """A real, non-blank PNG of a plausible size."""
    import matplotlib.image as mpimg

    assert path.read_bytes()[:8] == PNG
    img = mpimg.imread(path)
    assert img.shape[1] >= min_width and img.shape[0] >= 200
    assert img[..., :3].std() > 0.01           # not a blank canvas


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def default_config() -> dict:
    with open(ROOT / "config" / "config.yaml") as fh:
        return yaml.safe_load(fh)


@pytest.fixture(scope="session")
def smoke_config() -> dict:
    with open(ROOT / "config" / "smoke.yaml") as fh:
        return yaml.safe_load(fh)


def copy_workflow(dest: Path) -> Path:
    """A runnable copy of the workflow in ``dest`` (no results)."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in WORKFLOW_FILES:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, dest / name)
    return dest


def snakemake_env() -> dict:
    """The environment a workflow run in a test gets: this interpreter's bin first."""
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def run_snakemake(workdir: Path, *args: str, timeout: float = 1800,
                  check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run([*SNAKEMAKE, *args], cwd=workdir, env=snakemake_env(),
                          capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed ({proc.returncode}):\n"
                             f"{proc.stdout[-4000:]}\n{proc.stderr[-6000:]}")
    return proc


@pytest.fixture(scope="session")
def tiny_glass_run(tmp_path_factory, smoke_config):
    """A 500-atom glass quenched with the smoke schedule: (data path, atoms, thermo, summary)."""
    from igd.glass.quench import make_glass

    out = tmp_path_factory.mktemp("tiny_glass")
    cfg = smoke_config
    data = out / "inherent.data"
    atoms, thermo, summary = make_glass(
        data, n_atoms=cfg["system"]["n_atoms"], composition=cfg["system"]["composition"],
        elements=cfg["potential"]["elements"], masses=cfg["potential"]["masses"],
        initial=cfg["system"]["initial"], potential=cfg["potential"], glass=cfg["glass"],
        seed=12345, log_file=out / "glass.log", root=ROOT)
    return data, atoms, thermo, summary


@pytest.fixture(scope="session")
def tiny_glass(tiny_glass_run) -> Path:
    """Path of a minimised 500-atom Cu50Zr50 inherent structure (LAMMPS data file)."""
    return tiny_glass_run[0]


@pytest.fixture(scope="session")
def smoke_killed(tmp_path_factory) -> dict:
    """The smoke workflow run once in a temporary copy, SIGKILLed inside its first long job
    (ARTn chunk or AQS) and resumed to the end: what the kill left (``killing``).

    The suite's one local smoke run (the most expensive thing in the suite): its finished
    results are ``smoke_run``'s, and the run through SLURM is compared with it."""
    from killing import kill_and_resume

    return kill_and_resume(copy_workflow(tmp_path_factory.mktemp("smoke")))


@pytest.fixture(scope="session")
def smoke_run(smoke_killed) -> Path:
    """Root of the finished smoke run (killed once and resumed; shared by every test that
    needs workflow outputs)."""
    return smoke_killed["work"]
