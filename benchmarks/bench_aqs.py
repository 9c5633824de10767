"""Cost of one AQS step (one energy minimisation + ΔD²min bookkeeping).

Runs the production driver :func:`igd.labels.aqs.run_aqs` on the tiny glass (500 atoms) for a
few steps at the paper's Δγ and ftol, then one or two steps on the same glass replicated
(3×3×3 → 13 500 atoms, LAMMPS ``replicate``), and extrapolates the paper's cost
(19 652 atoms, γ_max/Δγ steps × 3 directions × 10 samples) assuming a per-step cost
linear in N at the iteration count measured on the larger system.

    .venv/bin/python benchmarks/bench_aqs.py [--data results/s0/glass/inherent.data] [--steps 10]
        [--big-steps 2] [--replicate 3] [--min-style cg] [--ftol 1e-10] [--skin 0.5]
        [--threads 1] [--suffix omp]

Only the strain loop is timed (start-up, read_data and the γ = 0 minimisation are not);
both process CPU time (the cost on a dedicated core) and wall time are reported. Steps
whose minimisation did not reach fmax ≤ ftol are counted ("unconv").
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from pathlib import Path

from igd.common.lammps import replicate_data

ROOT = Path(__file__).resolve().parents[1]
POTENTIAL = {"file": "potentials/CuZr_mm.eam.fs",
             "sha256": "a512753c2b80a63a7e15d7422f471268888eda650fc12df81fb2275680737781",
             "elements": ["Cu", "Zr"], "pair_style": "eam/fs"}
PAPER = {"atoms": 19652, "strain_step": 1e-5, "strain_max": 0.05, "directions": 3,
         "samples": 10}


class _Grab(logging.Handler):
    """Keep the timing record that run_aqs logs at the end of its loop."""

    def __init__(self):
        super().__init__()
        self.last = None

    def emit(self, record):
        if hasattr(record, "aqs_seconds"):
            self.last = record


def measure(data: Path, steps: int, args, grab: _Grab) -> dict:
    from igd.labels.aqs import run_aqs  # noqa: PLC0415

    t0 = time.perf_counter()
    _, curve, _ = run_aqs(data, "xy", potential=POTENTIAL, root=ROOT,
                          strain_step=args.strain_step, strain_max=steps * args.strain_step,
                          d2min_interval=args.strain_step, d2min_cutoff=3.7,
                          min_style=args.min_style, etol=0.0, ftol=args.ftol,
                          neighbor_skin=args.skin, min_modify=args.min_modify,
                          timestep=args.timestep, trace_atoms=None, threads=args.threads, suffix=args.suffix,
                          progress_every_s=1e9)
    wall = time.perf_counter() - t0
    rec = grab.last
    return {"atoms": rec.aqs_atoms, "steps": steps, "s_per_step": rec.aqs_seconds / steps,
            "cpu_per_step": rec.aqs_cpu_seconds / steps,
            "iters": rec.aqs_iterations, "s_per_iter": rec.aqs_seconds / steps / rec.aqs_iterations,
            "unconverged": int((~curve["converged"]).sum()), "wall_incl_setup": wall}


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=Path("results/s0/glass/inherent.data"))
    p.add_argument("--steps", type=int, default=10, help="AQS steps on the small glass")
    p.add_argument("--big-steps", type=int, default=2, help="steps on the replicated glass"
                   " (0: skip)")
    p.add_argument("--replicate", type=int, default=3)
    p.add_argument("--strain-step", type=float, default=PAPER["strain_step"])
    p.add_argument("--min-style", default="cg")
    p.add_argument("--min-modify", default=None, help='e.g. "line forcezero"')
    p.add_argument("--timestep", type=float, default=None, help="ps, for min_style fire")
    p.add_argument("--ftol", type=float, default=1e-10)
    p.add_argument("--skin", type=float, default=None, help="neighbour skin (Å)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--suffix", default=None)
    args = p.parse_args(argv)

    grab = _Grab()
    logging.getLogger("igd.labels.aqs").addHandler(grab)
    logging.getLogger("igd.labels.aqs").setLevel(logging.INFO)
    logging.basicConfig(level=logging.WARNING)

    rows = [measure(args.data, args.steps, args, grab)]
    if args.big_steps > 0:
        with tempfile.TemporaryDirectory() as tmp:
            big = replicate_data(args.data.resolve(), [args.replicate] * 3, Path(tmp) / "big.data")
            rows.append(measure(big, args.big_steps, args, grab))

    print(f"AQS step cost: min_style {args.min_style} ({args.min_modify}, dt "
          f"{args.timestep}), ftol {args.ftol:g} eV/Å, "
          f"Δγ {args.strain_step:g}, skin {args.skin}, threads {args.threads}, suffix {args.suffix}")
    print(f"{'atoms':>7} {'steps':>5} {'s/step':>8} {'cpu/step':>8} {'iters/step':>10} {'ms/iter':>8} "
          f"{'µs/iter/atom':>12} {'unconv':>6}")
    for r in rows:
        print(f"{r['atoms']:>7} {r['steps']:>5} {r['s_per_step']:>8.3f} {r['cpu_per_step']:>8.3f} {r['iters']:>10.0f} "
              f"{1e3 * r['s_per_iter']:>8.2f} {1e6 * r['s_per_iter'] / r['atoms']:>12.2f} "
              f"{r['unconverged']:>6}")
    ref = rows[-1]
    n_steps = round(PAPER["strain_max"] / args.strain_step)
    scale = PAPER["atoms"] / ref["atoms"]
    for what, key in (("CPU", "cpu_per_step"), ("wall", "s_per_step")):
        per_step = ref[key] * scale
        per_dir = per_step * n_steps
        total = per_dir * PAPER["directions"] * PAPER["samples"]
        print(f"paper by {what} time ({PAPER['atoms']} atoms, {n_steps} steps, linear in N "
              f"from {ref['atoms']} atoms): {per_step:.1f} s/step, {per_dir / 3600:.1f} h per "
              f"(sample, direction), {total / 3600:.0f} core-h for {PAPER['samples']} "
              f"samples × {PAPER['directions']} directions")
    if ref["unconverged"]:
        print(f"WARNING: {ref['unconverged']} minimisations at {ref['atoms']} atoms did not "
              f"reach fmax ≤ ftol: the estimate is for a run that would not be converged")
    small = rows[0]
    print(f"tiny ({small['atoms']} atoms, {n_steps} steps): {small['cpu_per_step'] * n_steps / 60:.1f}"
          f" CPU-min ({small['s_per_step'] * n_steps / 60:.1f} wall-min here) per "
          f"(sample, direction) at this Δγ")
    print("CPU time is the cost on a dedicated core; wall time includes contention on a "
          "shared machine.")


if __name__ == "__main__":
    main()
