"""Validation of the ARTn local mode (carved sphere) against full-box searches.

The tiny glass replicated ``--replicate`` times (default 4×3×3 → 18 000 atoms, the
replica of the 500-atom glass closest to the paper's 19 652) is searched with the same
initial directions (same seeds: :func:`igd.artn_lammps.attempt_rng`, one attempt per
event, central-atom perturbation) on the full periodic box and on carved spheres of each
``--radii`` active radius (frozen shell: ``--params`` or the exact EAM shell). Prints, per
radius:

* median |ΔQ_local − ΔQ_full| over the events converged in both (the headline, target
  ≤ 0.02 eV), and the same over *matched* pairs only — those whose saddle displacement
  fields agree (max per-atom |u_local − u_full| over the active atoms < ``--match-tol``
  Å), a different saddle is not an error of the method — with the matched fraction;
* the mean signed difference (a frozen boundary can only raise a saddle: bias > 0);
* the speed-up per search: full-box wall time per search over local wall time per search
  (LAMMPS set-up of every cluster included), and per force call. The full-box timings
  come from the cache; the current load is taken into account by re-timing 10 full-box
  force calls in this run (``--speed-from`` ``calls`` uses those for both).

Full-box searches (~35 s each on a loaded core) are cached per (atom, event) in
``--cache`` so that a long validation runs in commands of a few minutes
(``--max-full`` new full searches per run; run again until all are cached)::

    .venv/bin/python benchmarks/bench_artn_local.py --atoms 8 --events 2 --max-full 6
    .venv/bin/python benchmarks/bench_artn_local.py --atoms 8 --events 2 --radii 8 10 12
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from igd.artn import artn_search, make_params
from igd.artn_lammps import (ActiveSubset, LammpsForces, attempt_rng, carve_cluster,
                             local_provider, local_shell, perturbation)
from igd.data import read_lammps_data
from igd.lmp import replicate_data

ROOT = Path(__file__).resolve().parents[1]
POTENTIAL = {"file": "potentials/CuZr_mm.eam.fs",
             "sha256": "a512753c2b80a63a7e15d7422f471268888eda650fc12df81fb2275680737781",
             "elements": ["Cu", "Zr"], "pair_style": "eam/fs"}


def replicate(data: str, counts: list[int], out: str) -> str:
    """``data`` replicated ``counts`` times, written once and reused (cached in /tmp)."""
    if not Path(out).exists():
        replicate_data(data, counts, out)
    return out


def full_searches(big: str, frame, atom_ids, events: int, p: dict, seed: int,
                  cache: Path, max_new: int) -> None:
    """Full-box searches not yet in ``cache`` (one .npz per atom and event)."""
    todo = [(a, e) for a in atom_ids for e in range(events)
            if not (cache / f"{a}_{e}.npz").exists()][:max_new]
    if not todo:
        return
    with LammpsForces(big, POTENTIAL, root=ROOT) as provider:
        x0 = frame.positions
        e0, _ = provider(x0)
        provider.quiet()
        for atom_id, event in todo:
            d0 = perturbation(attempt_rng(seed, 0, atom_id, event, 0), len(x0),
                              np.array([atom_id - 1]), p["perturb_norm"])
            c0 = dict(provider.timing)
            t0 = time.perf_counter()
            provider.reset(x0)
            res = artn_search(provider, x0, e0, d0, p)
            wall = time.perf_counter() - t0
            disp = (res.positions - x0).astype(np.float32) if res.positions is not None \
                else np.zeros((0, 3), np.float32)
            np.savez(cache / f"{atom_id}_{event}.npz", disp=disp, status=res.status,
                     barrier=res.barrier, force_calls=res.force_calls, wall=wall,
                     calls=provider.timing["calls"] - c0["calls"])
            print(f"full {atom_id} {event}: {res.status} {res.barrier:.4f} eV, "
                  f"{res.force_calls} calls, {wall:.1f} s", flush=True)


def full_ms_per_call(big: str, frame, n: int = 10) -> float:
    """Wall time (ms) of one full-box force call now (load varies)."""
    with LammpsForces(big, POTENTIAL, root=ROOT) as provider:
        provider.quiet()
        provider(frame.positions)
        t0 = time.perf_counter()
        for _ in range(n):
            provider(frame.positions)
        return 1e3 * (time.perf_counter() - t0) / n


def local_searches(frame, todo: dict, p: dict, seed: int, radius: float, cache: Path,
                   match_tol: float) -> pd.DataFrame:
    """Local searches of ``todo`` ({atom id: [events]}) with the same directions as the
    cached full-box ones; one row each."""
    q = {**p, "local": True, "local_radius": radius, "fix_translation": False}
    shell, core_extra = local_shell(q, POTENTIAL, ROOT)
    rows = []
    for atom_id, events in todo.items():
        index = atom_id - 1
        t0 = time.perf_counter()
        cl = carve_cluster(frame.positions, frame.types, frame.cell, frame.origin, index,
                           local_radius=radius, frozen_shell=shell,
                           core_radius=None if core_extra is None else radius + core_extra)
        forces = local_provider(cl, "/tmp/artn_local_bench_cluster.data", potential=POTENTIAL,
                                masses=frame.masses, padding=q["local_padding"], root=ROOT)
        provider = ActiveSubset(forces, cl.positions, cl.n_active)
        x0 = cl.positions[:cl.n_active]
        e0, _ = provider(x0)
        setup = time.perf_counter() - t0
        act = cl.indices[:cl.n_active]
        for event in events:
            d0 = perturbation(attempt_rng(seed, 0, atom_id, event, 0), cl.n_active,
                              np.array([0]), q["perturb_norm"])
            t0 = time.perf_counter()
            provider.reset(x0)
            res = artn_search(provider, x0, e0, d0, q)
            wall = time.perf_counter() - t0 + setup / len(events)
            full = np.load(cache / f"{atom_id}_{event}.npz")
            row = {"radius": radius, "shell": shell, "cluster_atoms": len(cl.positions),
                   "active_atoms": cl.n_active, "id": atom_id, "event": event,
                   "status_local": res.status, "barrier_local": res.barrier,
                   "calls_local": res.force_calls, "wall_local": wall,
                   "status_full": str(full["status"]), "barrier_full": float(full["barrier"]),
                   "calls_full": int(full["force_calls"]), "wall_full": float(full["wall"]),
                   "mismatch": np.nan, "u_full_outside": np.nan}
            u_full = full["disp"]
            if res.positions is not None and len(u_full):
                u_loc = res.positions - x0
                row["mismatch"] = float(np.linalg.norm(u_loc - u_full[act], axis=1).max())
                out = np.ones(len(u_full), bool)
                out[act] = False
                row["u_full_outside"] = float(np.linalg.norm(u_full[out], axis=1).max())
            rows.append(row)
        forces.close()
    df = pd.DataFrame(rows)
    df["matched"] = df.mismatch < match_tol
    return df


def summarise(df: pd.DataFrame, ms_full_now: float) -> None:
    ok = df[(df.status_local == "converged") & (df.status_full == "converged")]
    diff = ok.barrier_local - ok.barrier_full
    m = ok[ok.matched]
    dm = m.barrier_local - m.barrier_full
    r = df.iloc[0]
    ms_loc = 1e3 * df.wall_local.sum() / df.calls_local.sum()
    ms_full = 1e3 * df.wall_full.sum() / df.calls_full.sum()
    print(f"R = {r.radius:g} Å active ({df.active_atoms.mean():.0f} atoms), shell "
          f"{r.shell:.2f} Å, cluster {df.cluster_atoms.mean():.0f} atoms: "
          f"converged in both {len(ok)}/{len(df)} (local {np.mean(df.status_local == 'converged'):.0%}, "
          f"full {np.mean(df.status_full == 'converged'):.0%})")
    print(f"  all converged pairs: median |dQ_local - dQ_full| = {diff.abs().median():.4f} eV "
          f"(target <= 0.02), mean signed {diff.mean():+.4f}, max {diff.abs().max():.4f}")
    print(f"  matched saddles (mismatch < tol): {len(m)}/{len(ok)} = {len(m) / max(len(ok), 1):.0%};"
          f" median |dQ| {dm.abs().median():.4f} eV, mean signed {dm.mean():+.4f}, "
          f"max {dm.abs().max():.4f}")
    print(f"  speed per search {df.wall_full.mean() / df.wall_local.mean():.1f}x "
          f"(full {df.wall_full.mean():.1f} s, local {df.wall_local.mean():.2f} s incl. set-up;"
          f" target >= 10x); per force call {ms_full / ms_loc:.1f}x ({ms_full:.1f} vs "
          f"{ms_loc:.2f} ms); force calls {df.calls_full.median():.0f} vs "
          f"{df.calls_local.median():.0f} (medians); with the full-box call timed now "
          f"({ms_full_now:.1f} ms): {ms_full_now * df.calls_full.mean() / (ms_loc * df.calls_local.mean()):.1f}x")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(ROOT / "results/s0/glass/inherent.data"))
    ap.add_argument("--replicate", type=int, nargs=3, default=[4, 3, 3])
    ap.add_argument("--atoms", type=int, default=8, help="random central atoms")
    ap.add_argument("--events", type=int, default=2, help="directions per atom")
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--radii", type=float, nargs="+", default=[10.0])
    ap.add_argument("--params", default="{}", help="JSON overrides of ARTn parameters")
    ap.add_argument("--cache", default="/tmp/artn_local_full_cache")
    ap.add_argument("--max-full", type=int, default=1000,
                    help="new full-box searches in this run at most")
    ap.add_argument("--match-tol", type=float, default=0.2, help="Å")
    ap.add_argument("--out", default=None, help="Parquet of all rows")
    ap.add_argument("--partial", action="store_true",
                    help="compare on the full-box searches cached so far")
    ap.add_argument("--only-cached", action="store_true",
                    help="run no new full-box search")
    args = ap.parse_args()

    p = make_params({"max_attempts": 1, **json.loads(args.params)})
    counts = args.replicate
    big = replicate(args.data, counts, f"/tmp/artn_local_replica_{'x'.join(map(str, counts))}.data")
    frame = read_lammps_data(big)
    atom_ids = np.sort(np.random.default_rng(args.seed).choice(frame.ids, args.atoms,
                                                               replace=False)).tolist()
    cache = Path(args.cache) / f"{'x'.join(map(str, counts))}_seed{args.seed}"
    cache.mkdir(parents=True, exist_ok=True)
    if not args.only_cached:
        full_searches(big, frame, atom_ids, args.events, p, args.seed, cache, args.max_full)
    todo: dict[int, list[int]] = {}
    for a in atom_ids:
        for e in range(args.events):
            if (cache / f"{a}_{e}.npz").exists():
                todo.setdefault(a, []).append(e)
    n_done = sum(map(len, todo.values()))
    if n_done < args.atoms * args.events and not args.partial:
        print(f"{args.atoms * args.events - n_done} full-box searches still to run: run again")
        return
    print(f"sample: {frame.n_atoms} atoms ({counts} replicas of {args.data}); "
          f"{n_done} searches ({len(todo)} atoms) of {args.atoms} atoms x {args.events} directions")
    ms_now = full_ms_per_call(big, frame)
    frames = []
    for radius in args.radii:
        df = local_searches(frame, todo, p, args.seed, radius, cache, args.match_tol)
        summarise(df, ms_now)
        frames.append(df)
    all_rows = pd.concat(frames, ignore_index=True)
    with pd.option_context("display.width", 250, "display.max_columns", 30):
        print(all_rows.drop(columns=["shell"]).round(4).to_string())
    if args.out:
        all_rows.to_parquet(args.out)


if __name__ == "__main__":
    main()
