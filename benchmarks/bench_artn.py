"""Benchmark of the ARTn searches on the tiny (500-atom) CuZr glass.

Prints: median force calls per converged saddle (target ≤ 500), success rate per attempt
and per event after retries (target ≥ 90 %), the split of wall time between LAMMPS force
evaluation (inside ``run 1 pre no post no``) and Python (scatter/gather + algorithm;
target overhead ≤ 20 %), and the cost per search (force calls × ms per call) to choose
the events per atom of the tiny default.

The searches take the default run's directions: seed ``--search-seed`` (config
``seed``) and the index of ``--sample``. Old vs new, the connectivity check
(``relax_final``, :mod:`igd.artn.connect`, on by default since issue #20): with
``relax_final`` on the run also gives the run without it, exactly — an attempt's search
is the same with or without the check, which only runs after it; without the check an
event stops at its first converged search, with it at its first connected one. So one
run prints both side by side: statuses, attempts converging, force calls per converged
event (failed attempts counted), the check's calls, and the barriers ΔQ (median, fraction
< 1 eV, Cu and Zr).
``--report`` merges several runs' ``--out`` tables (e.g. one per sample, run in parallel);
``--run`` reads the workflow's own ``results/<sample>/artn/events.parquet`` instead (every
atom of every sample of a run with the check on: the old column is then the same run
without it).

    .venv/bin/python benchmarks/bench_artn.py [--data results/s0/glass/inherent.data]
        [--sample s0] [--atoms 10] [--events 4] [--params '{"relax_final": false}']
        [--out events.parquet]
    .venv/bin/python benchmarks/bench_artn.py --report s0.parquet s2.parquet
    .venv/bin/python benchmarks/bench_artn.py --run results

The local mode (carved spheres) is validated in ``bench_artn_local.py``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from igd.artn.driver import search_atoms
from igd.artn.lammps_forces import LammpsForces
from igd.artn.params import make_params
from igd.artn.provider import max_atom_force
from igd.common.config import sample_index
from igd.common.datafile import read_lammps_data

ROOT = Path(__file__).resolve().parents[1]
POTENTIAL = {"file": "potentials/CuZr_mm.eam.fs",
             "sha256": "a512753c2b80a63a7e15d7422f471268888eda650fc12df81fb2275680737781",
             "elements": ["Cu", "Zr"], "pair_style": "eam/fs"}


SEARCH_SEED = 20261121  # config/config.yaml seed: the default run's directions
SEARCH_CONVERGED = ("converged", "not-connected")  # the search itself converged


def old_and_new(events: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The attempts of a run without the connectivity check (old) and with it (new),
    from a run with it: per (sample, id, event) the old run stops at its first converged
    search (``not-connected`` counts as ``converged``, without the check's calls)."""
    ev = events.sort_values(["sample", "id", "event", "attempt"]).copy()
    ev["search_ok"] = ev.status.isin(SEARCH_CONVERGED)
    key = ["sample", "id", "event"]
    first_ok = ev[ev.search_ok].groupby(key).attempt.min().rename("first_ok")
    ev = ev.join(first_ok, on=key)
    old = ev[ev.first_ok.isna() | (ev.attempt <= ev.first_ok)].copy()
    old["status"] = old.status.replace("not-connected", "converged")
    old["force_calls"] = old.force_calls - old.connect_calls
    old["connect_calls"] = 0
    old["barrier"] = np.where(old.status == "converged", old.dQ_search, np.nan)
    return old, ev


def summary(ev: pd.DataFrame) -> dict[str, str]:
    """The lines of one column of the side-by-side table."""
    ok = ev[ev.status == "converged"]
    n_events = ev.groupby(["sample", "id", "event"]).ngroups
    dq = ok.barrier
    out = {
        "attempts": f"{len(ev)}",
        "attempts converging": f"{len(ok) / len(ev):.1%}",
        "events with a barrier": f"{len(ok)} / {n_events} ({len(ok) / n_events:.1%})",
        "median calls per converged attempt": f"{ok.force_calls.median():.0f}",
        "calls per converged event (all attempts)":
            f"{ev.force_calls.sum() / max(len(ok), 1):.0f}",
        "median check calls per check":
            f"{ev.connect_calls[ev.connect_calls > 0].median():.0f}"
            if (ev.connect_calls > 0).any() else "-",
        "check calls / all calls": f"{ev.connect_calls.sum() / ev.force_calls.sum():.1%}",
        "ΔQ median (eV)": f"{dq.median():.3f}",
        "ΔQ < 1 eV": f"{(dq < 1).mean():.1%}",
    }
    for t, name in ((1, "Cu"), (2, "Zr")):
        d = ok.barrier[ok.type == t]
        out[f"ΔQ {name}: n, median, < 1 eV"] = f"{len(d)}, {d.median():.3f}, {(d < 1).mean():.1%}"
    for status, n in ev.status.value_counts().items():
        out[f"status {status}"] = f"{n} ({n / len(ev):.1%})"
    return out


def run_events(results: Path) -> pd.DataFrame:
    """The events tables of a workflow run (``results/<sample>/artn/events.parquet``) with
    ``sample`` and ``dQ_search`` (E_saddle − E_IS of every search-converged attempt, E_IS
    from the sample's accepted saddles) as :func:`report` reads them."""
    tables = []
    for path in sorted(results.glob("*/artn/events.parquet")):
        ev = pd.read_parquet(path)
        ok = ev[ev.status == "converged"]
        if ok.empty:
            raise SystemExit(f"{path}: no converged saddle to take E_IS from")
        e0 = float((ok.e_saddle - ok.barrier).median())
        ev["sample"] = path.parent.parent.name
        ev["dQ_search"] = ev.e_saddle - e0
        tables.append(ev)
    if not tables:
        raise SystemExit(f"{results}: no */artn/events.parquet")
    return pd.concat(tables, ignore_index=True)


def report(events: pd.DataFrame, tol: float) -> None:
    """Print old (no check) vs new (check) side by side, and the check's decisions."""
    old, new = old_and_new(events)
    a, b = summary(old), summary(new)
    print(f"\n{'':44s} {'old: no check':>22s} {'new: relax_final':>22s}")
    for k in dict.fromkeys([*a, *b]):
        print(f"{k:44s} {a.get(k, '-'):>22s} {b.get(k, '-'):>22s}")
    checked = new[new.search_ok]
    nc = checked[checked.status == "not-connected"]
    print(f"\nsearch-converged attempts checked: {len(checked)}; not connected "
          f"{len(nc)} ({len(nc) / max(len(checked), 1):.1%}): back side below E_IS − tol "
          f"{(nc.back_energy < -tol).sum()}, at a minimum or undecided elsewhere "
          f"{(nc.back_energy >= -tol).sum()}")
    attempt = ["sample", "id", "event", "attempt"]
    accepted = old[old.status == "converged"].set_index(attempt).index
    rejected = new.set_index(attempt).loc[accepted].status == "not-connected"
    print(f"saddles the old run accepts that the check rejects: {rejected.sum()} of "
          f"{len(rejected)} ({rejected.mean():.1%})")
    key = ["sample", "id", "event"]
    both = old[old.status == "converged"].set_index(key).barrier.rename("old").to_frame().join(
        new[new.status == "converged"].set_index(key).barrier.rename("new"), how="inner")
    moved = both[both.old != both.new]
    print(f"events with a barrier in both: {len(both)}; the same saddle "
          f"{(both.old == both.new).sum()}; another one {len(moved)}: median |ΔQ_new − "
          f"ΔQ_old| {np.abs(moved.new - moved.old).median():.3f} eV, median signed "
          f"{(moved.new - moved.old).median():+.3f} eV")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="results/s0/glass/inherent.data")
    ap.add_argument("--sample", default="s0", help="sample name: its index seeds the searches")
    ap.add_argument("--atoms", type=int, default=10, help="random atoms searched")
    ap.add_argument("--events", type=int, default=4, help="events per atom")
    ap.add_argument("--seed", type=int, default=2024, help="seeds the choice of atoms")
    ap.add_argument("--ids", type=int, nargs="*", help="these atom ids instead (1-based)")
    ap.add_argument("--search-seed", type=int, default=SEARCH_SEED)
    ap.add_argument("--params", default="{}", help="JSON overrides of ARTn parameters")
    ap.add_argument("--out", default=None, help="write the events table here (Parquet)")
    ap.add_argument("--report", nargs="*", help="summarise these --out tables instead")
    ap.add_argument("--run", type=Path, help="summarise a workflow run's results/ instead")
    args = ap.parse_args()
    params = make_params({"n_events": args.events, **json.loads(args.params)})
    if args.report or args.run:
        events = (run_events(args.run) if args.run else
                  pd.concat([pd.read_parquet(f) for f in args.report], ignore_index=True))
        report(events, params["connect_energy_tol"])
        return

    frame = read_lammps_data(args.data)
    atom_ids = np.sort(args.ids or np.random.default_rng(args.seed).choice(
        frame.ids, args.atoms, replace=False))
    args.atoms = len(atom_ids)
    with LammpsForces(args.data, POTENTIAL, root=ROOT) as provider:
        e0, f0 = provider(frame.positions)
        provider.quiet()
        provider.timing.update(calls=0, lammps_s=0.0, call_s=0.0)
        t0 = time.perf_counter()
        events, _ = search_atoms(provider, frame.positions, e0, frame.types, atom_ids,
                                        params, seed=args.search_seed,
                                        sample_index=sample_index(args.sample),
                                        cell=frame.cell, origin=frame.origin)
        wall = time.perf_counter() - t0
        timing = dict(provider.timing)
    events["sample"] = args.sample
    events["dQ_search"] = events.e_saddle - e0
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
    if params["relax_final"]:
        report(events, params["connect_energy_tol"])


if __name__ == "__main__":
    main()
