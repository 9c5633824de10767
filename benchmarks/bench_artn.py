"""Benchmark of the ARTn searches on the tiny (500-atom) CuZr glass.

Prints: median force calls per converged saddle (target ≤ 500), success rate per attempt
and per event after retries (target ≥ 90 %), the split of wall time between LAMMPS force
evaluation (inside ``run 1 pre no post no``) and Python (scatter/gather + algorithm;
target overhead ≤ 20 %), and the cost per search (force calls × ms per call) to choose
the events per atom of the tiny default.

    .venv/bin/python benchmarks/bench_artn.py [--data results/s0/glass/inherent.data] [--atoms 10]
        [--events 4] [--params '{"push_mode": "displacement"}'] [--out events.parquet]

The local mode (carved spheres) is validated in ``bench_artn_local.py``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from igd.artn.driver import search_atoms
from igd.artn.lammps_forces import LammpsForces
from igd.artn.params import make_params
from igd.artn.provider import max_atom_force
from igd.common.datafile import read_lammps_data

ROOT = Path(__file__).resolve().parents[1]
POTENTIAL = {"file": "potentials/CuZr_mm.eam.fs",
             "sha256": "a512753c2b80a63a7e15d7422f471268888eda650fc12df81fb2275680737781",
             "elements": ["Cu", "Zr"], "pair_style": "eam/fs"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="results/s0/glass/inherent.data")
    ap.add_argument("--atoms", type=int, default=10, help="random atoms searched")
    ap.add_argument("--events", type=int, default=4, help="events per atom")
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--params", default="{}", help="JSON overrides of ARTn parameters")
    ap.add_argument("--out", default=None, help="write the events table here (Parquet)")
    args = ap.parse_args()

    params = make_params({"n_events": args.events, **json.loads(args.params)})
    frame = read_lammps_data(args.data)
    atom_ids = np.sort(np.random.default_rng(args.seed).choice(frame.ids, args.atoms,
                                                               replace=False))
    with LammpsForces(args.data, POTENTIAL, root=ROOT) as provider:
        e0, f0 = provider(frame.positions)
        provider.quiet()
        provider.timing.update(calls=0, lammps_s=0.0, call_s=0.0)
        t0 = time.perf_counter()
        events, barriers = search_atoms(provider, frame.positions, e0, frame.types, atom_ids,
                                        params, seed=args.seed, cell=frame.cell,
                                        origin=frame.origin)
        wall = time.perf_counter() - t0
        timing = dict(provider.timing)
    if args.out:
        events.to_parquet(args.out)

    ok = events[events.status == "converged"]
    n_events_total = args.atoms * args.events
    calls = timing["calls"]
    ms_per_call = 1e3 * wall / calls
    ms_lammps = 1e3 * timing["lammps_s"] / calls
    print(f"system: {frame.n_atoms} atoms, IS max force {max_atom_force(f0):.2e} eV/Å; "
          f"{args.atoms} atoms x {args.events} events, max_attempts {params['max_attempts']}")
    print("statuses:", events.status.value_counts().to_dict())
    print(f"median force calls per converged saddle: {ok.force_calls.median():.0f} "
          f"(target <= 500); mean {ok.force_calls.mean():.0f}")
    print(f"force calls per converged event incl. failed attempts: "
          f"{events.force_calls.sum() / max(len(ok), 1):.0f}")
    print(f"success rate per attempt: {len(ok) / len(events):.1%}; per event after retries: "
          f"{len(ok) / n_events_total:.1%} (target >= 90 %)")
    print(f"barriers: median {ok.barrier.median():.3f} eV, 10-90 % "
          f"{ok.barrier.quantile(0.1):.3f}-{ok.barrier.quantile(0.9):.3f} eV; "
          f"saddle eigenvalue median {ok.eigenvalue.median():.3f} eV/Å^2; "
          f"max displacement median {ok.max_disp.median():.2f} Å; "
          f"atoms moved > 0.1 Å median {ok.n_moved.median():.0f}")
    print(f"wall {wall:.1f} s for {calls} force calls: {ms_per_call:.2f} ms per call, "
          f"of which LAMMPS run {ms_lammps:.2f} ms; Python overhead "
          f"{1 - timing['lammps_s'] / wall:.1%} (scatter/gather "
          f"{(timing['call_s'] - timing['lammps_s']) / wall:.1%}, algorithm "
          f"{(wall - timing['call_s']) / wall:.1%}) (target <= 20 %)")
    per_search_s = wall / len(events)
    print(f"cost per search attempt: {events.force_calls.mean():.0f} calls x "
          f"{ms_per_call:.2f} ms = {per_search_s:.2f} s; per converged event "
          f"{wall / max(len(ok), 1):.2f} s; 500 atoms x 24 events ~ "
          f"{500 * 24 * wall / n_events_total / 3600:.2f} h on one core")


if __name__ == "__main__":
    main()
