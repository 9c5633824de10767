"""Validation of the ARTn local mode (carved spheres) against full-box searches.

The tiny glass replicated ``--replicate`` times (default 4×3×3 → 18 000 atoms, the
replica of the 500-atom glass closest to the paper's 19 652) is searched with the same
initial directions (same seeds: :func:`igd.artn.perturb.attempt_rng`, one attempt per
event, central-atom perturbation) on the full periodic box and on carved spheres; each
``--radii`` entry is an active radius ``R`` (one stage) or ``R:R2`` (search on the
``R`` sphere, every saddle refined on the ``R2`` sphere). Boundary: the ARTn defaults
(no frozen shell, force offset, surface tether) unless ``--params`` says otherwise, e.g.
``'{"frozen_shell": null, "local_force_offset": false, "local_tether": 0}'`` for the
exact shell. Prints, per entry:

* median |ΔQ_local − ΔQ_full| over the events converged in both (the headline, target
  ≤ 0.02 eV), and the same over *matched* pairs only — those whose saddle displacement
  fields agree (max per-atom |u_local − u_full| over the active atoms < ``--match-tol``
  Å), a different saddle is not an error of the method — with the matched fraction;
* the mean signed difference (a frozen boundary raises saddles: bias > 0), and for a
  two-stage entry the same before the refinement and the refinement's force calls;
* the Python overhead of the local searches (wall time outside LAMMPS' ``run``);
* the speed-up per search (target ≥ 10×): the full-box force call timed between the
  local searches (3 calls after each atom, median: both under the same load) × the full
  search's force calls — its Python time left out, which favours the full box — over the
  local search's wall time in this run (cluster set-up and refinement included); and the
  same from the cached full-box wall times (taken under another load). Full-box cost
  grows as N and the local one does not, so the full-box call is timed on a second,
  larger replica as well (``--clock-replicate``, default 5×3×3 → 22 500 atoms) and
  interpolated linearly to the paper's 19 652 atoms (``--paper-atoms``): the headline
  ratio at the paper's size, with the per-atom cost of both boxes printed as a check of
  the linearity.

Full-box searches (~35–60 s each) are cached per (atom, event) in ``--cache``; atoms are
a prefix of one permutation, so a larger ``--atoms`` keeps what is cached
(``--max-full`` new full searches per run)::

    .venv/bin/python benchmarks/bench_artn_local.py --atoms 16 --events 2 --radii 16
    .venv/bin/python benchmarks/bench_artn_local.py --atoms 16 --events 2 --only-cached \
        --radii 12:20 10:20
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Iterable
from contextlib import ExitStack, contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

from igd.artn.carve import local_shell
from igd.artn.lammps_forces import LammpsForces
from igd.artn.params import make_params
from igd.artn.perturb import attempt_rng, perturbation
from igd.artn.region import LocalRegion
from igd.artn.search import artn_search, refine_saddle
from igd.common.datafile import read_lammps_data
from igd.common.lammps import replicate_data

ROOT = Path(__file__).resolve().parents[1]
POTENTIAL = {"file": "potentials/CuZr_mm.eam.fs",
             "sha256": "a512753c2b80a63a7e15d7422f471268888eda650fc12df81fb2275680737781",
             "elements": ["Cu", "Zr"], "pair_style": "eam/fs"}


def replicate(data: str, counts: list[int], out: str) -> str:
    """``data`` replicated ``counts`` times, written once and reused (cached in /tmp)."""
    if not Path(out).exists():
        replicate_data(data, counts, out)
    return out


@contextmanager
def full_box(big: str, x0: np.ndarray):
    """A quiet full-box force provider at ``x0`` and its energy there."""
    with LammpsForces(big, POTENTIAL, root=ROOT) as provider:
        e0, _ = provider(x0)
        provider.quiet()
        yield provider, e0


def full_searches(big: str, frame, atom_ids, events: int, p: dict, seed: int,
                  cache: Path, max_new: int) -> None:
    """Full-box searches not yet in ``cache`` (one .npz per atom and event)."""
    todo = [(a, e) for a in atom_ids for e in range(events)
            if not (cache / f"{a}_{e}.npz").exists()][:max_new]
    if not todo:
        return
    x0 = frame.positions
    with full_box(big, x0) as (provider, e0):
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


def floor(big: str, frame, todo: dict, p: dict, seed: int, cache: Path, noise: float,
          match_tol: float) -> None:
    """The full-box searches of ``todo`` again from the IS with every coordinate moved by
    ``noise`` Å (Gaussian, seeded; far below anything physical), same directions: how
    often ARTn itself ends on another saddle, i.e. the floor of the all-pairs median that
    no local mode can go below. Cached as ``floor_{noise}_{atom}_{event}.npz``."""
    rows = []
    x0 = frame.positions + np.random.default_rng(seed).normal(scale=noise,
                                                               size=frame.positions.shape)
    with full_box(big, x0) as (provider, e0):
        for atom_id, events in todo.items():
            for event in events:
                path = cache / f"floor_{noise:g}_{atom_id}_{event}.npz"
                if not path.exists():
                    d0 = perturbation(attempt_rng(seed, 0, atom_id, event, 0), len(x0),
                                      np.array([atom_id - 1]), p["perturb_norm"])
                    provider.reset(x0)
                    res = artn_search(provider, x0, e0, d0, p)
                    disp = (res.positions - x0).astype(np.float32) \
                        if res.positions is not None else np.zeros((0, 3), np.float32)
                    np.savez(path, disp=disp, status=res.status, barrier=res.barrier)
                    print(f"floor {atom_id} {event}: {res.status} {res.barrier:.4f} eV",
                          flush=True)
                a = np.load(path)
                b = np.load(cache / f"{atom_id}_{event}.npz")
                mismatch = np.nan
                if len(a["disp"]) and len(b["disp"]):
                    mismatch = float(np.linalg.norm(a["disp"] - b["disp"], axis=1).max())
                rows.append({"status_a": str(a["status"]), "status_b": str(b["status"]),
                             "dq": float(a["barrier"]) - float(b["barrier"]),
                             "mismatch": mismatch})
    df = pd.DataFrame(rows)
    ok = df[(df.status_a == "converged") & (df.status_b == "converged")]
    m = ok[ok.mismatch < match_tol]
    same_status = (df.status_a == df.status_b).mean()
    print(f"floor (full box vs full box with {noise:g} Å of noise on the IS, same directions):"
          f" same status {same_status:.0%}; converged in both {len(ok)}/{len(df)}; median "
          f"|dQ| {ok.dq.abs().median():.4f} eV over them; same saddle {len(m)}/{len(ok)} "
          f"(median |dQ| {m.dq.abs().median():.4f} eV)")


class FullClock:
    """Times calls of a full-box ``provider`` at ``x`` between the local searches (``tick``:
    a few calls after each atom), so both see the same load of the machine; ``ms`` is
    their median."""

    def __init__(self, provider, x: np.ndarray, calls: int = 3):
        self.provider, self.x, self.calls, self.times = provider, x, calls, []

    def tick(self) -> None:
        for _ in range(self.calls):
            t0 = time.perf_counter()
            self.provider(self.x)
            self.times.append(time.perf_counter() - t0)

    @property
    def ms(self) -> float:
        return 1e3 * float(np.median(self.times)) if self.times else np.nan


def tight_full(big: str, frame, todo: dict, p: dict, cache: Path, tol: float,
               max_new: int = 1000) -> None:
    """The converged full-box saddles of ``todo`` converged further, in the full box, to
    max force ``tol`` (:func:`igd.artn.search.refine_saddle`); cached as ``tight_{tol}_…``."""
    todo = [(a, e) for a, evs in todo.items() for e in evs
            if not (cache / f"tight_{tol:g}_{a}_{e}.npz").exists()
            and str(np.load(cache / f"{a}_{e}.npz")["status"]) == "converged"][:max_new]
    if not todo:
        return
    x0 = frame.positions
    with full_box(big, x0) as (provider, e0):
        for atom_id, event in todo:
            loose = np.load(cache / f"{atom_id}_{event}.npz")
            disp = loose["disp"].astype(float)
            provider.reset(x0)
            res = refine_saddle(provider, x0, e0, x0 + disp, disp, {**p, "force_tol": tol})
            disp = (res.positions - x0).astype(np.float32)
            np.savez(cache / f"tight_{tol:g}_{atom_id}_{event}.npz", disp=disp,
                     status=res.status, barrier=res.barrier, force_calls=loose["force_calls"],
                     wall=loose["wall"], refine_calls=res.force_calls)
            print(f"tight {atom_id} {event}: {res.status} {float(loose['barrier']):.4f} -> "
                  f"{res.barrier:.4f} eV ({res.force_calls} calls)", flush=True)


def local_searches(frame, todo: dict, p: dict, seed: int, radius: float,
                   refine_radius: float | None, cache: Path, match_tol: float,
                   tight: float | None = None, clocks: Iterable[FullClock] = ()
                   ) -> pd.DataFrame:
    """Local searches of ``todo`` ({atom id: [events]}) with the same directions as the
    cached full-box ones (refined at ``refine_radius`` if given, to max force ``tight``
    if given, and then compared with the full-box saddles converged as far); one row
    each."""
    q = {**p, "local": True, "local_radius": radius, "local_refine_radius": refine_radius,
         "fix_translation": False}
    q_fine = {**q, "force_tol": tight or q["force_tol"]}
    shell, core_extra = local_shell(q, POTENTIAL, ROOT)
    kw = dict(potential=POTENTIAL, log_file=None, threads=1, root=ROOT)
    rows = []
    for atom_id, events in todo.items():
        index = atom_id - 1
        t0 = time.perf_counter()
        search = LocalRegion(frame, index, radius, shell, core_extra, q,
                             Path("/tmp/artn_local_bench_search.data"), **kw)
        fine = None if refine_radius is None else LocalRegion(
            frame, index, refine_radius, shell, core_extra, q,
            Path("/tmp/artn_local_bench_refine.data"), **kw)
        embed = None if fine is None else fine.rows_of(search.x0)
        setup = time.perf_counter() - t0
        for event in events:
            d0 = perturbation(attempt_rng(seed, 0, atom_id, event, 0), len(search.x0),
                              np.array([0]), q["perturb_norm"])
            lammps0 = sum(r.forces.timing["lammps_s"] for r in filter(None, (search, fine)))
            t0 = time.perf_counter()
            search.provider.reset(search.x0)
            res = artn_search(search.provider, search.x0, search.e0, d0, q)
            t_search = time.perf_counter() - t0
            barrier_search, calls_refine, t_refine = res.barrier, 0, 0.0
            last = search          # the region res.positions belong to
            if fine is not None and res.status == "converged":
                t1 = time.perf_counter()
                calls_search = res.force_calls
                res = fine.refine(embed, res, q_fine)
                calls_refine, res.force_calls = res.force_calls, calls_search
                t_refine = time.perf_counter() - t1
                last = fine
            lammps_s = sum(r.forces.timing["lammps_s"]
                           for r in filter(None, (search, fine))) - lammps0
            full = np.load(cache / f"{atom_id}_{event}.npz")
            barrier_full_loose = float(full["barrier"])
            if tight is not None:
                path = cache / f"tight_{tight:g}_{atom_id}_{event}.npz"
                full = np.load(path) if path.exists() else \
                    {**dict(full), "status": "not-refined", "barrier": np.nan}
            row = {"radius": radius, "refine": refine_radius or np.nan, "shell": shell,
                   "offset": bool(q["local_force_offset"]),
                   "lammps_s": lammps_s,
                   "cluster_atoms": len(search.cluster.positions),
                   "active_atoms": search.cluster.n_active,
                   "refine_atoms": np.nan if fine is None else fine.cluster.n_active,
                   "id": atom_id, "event": event,
                   "status_local": res.status, "barrier_local": res.barrier,
                   "barrier_search": barrier_search,
                   "calls_local": res.force_calls, "calls_refine": calls_refine,
                   "wall_search": t_search, "wall_refine": t_refine,
                   "wall_local": t_search + t_refine + setup / len(events),
                   "status_full": str(full["status"]), "barrier_full": float(full["barrier"]),
                   "barrier_full_loose": barrier_full_loose,
                   "calls_full": int(full["force_calls"]), "wall_full": float(full["wall"]),
                   "mismatch": np.nan, "u_full_outside": np.nan}
            u_full = full["disp"]
            if res.positions is not None and len(u_full):
                act = last.cluster.indices[:last.cluster.n_active]
                u_loc = res.positions - last.x0
                row["mismatch"] = float(np.linalg.norm(u_loc - u_full[act], axis=1).max())
                out = np.ones(len(u_full), bool)
                out[act] = False
                row["u_full_outside"] = float(np.linalg.norm(u_full[out], axis=1).max())
            rows.append(row)
        for region in filter(None, (search, fine)):
            region.close()
        for clock in clocks:
            clock.tick()
    df = pd.DataFrame(rows)
    df["matched"] = df.mismatch < match_tol
    return df


def interpolate_ms(clocks: list[tuple[int, "FullClock"]], n: int) -> float:
    """Full-box call time (ms) at ``n`` atoms, linear in the atom count between the two
    ``(atoms, clock)`` boxes (extrapolated if ``n`` is outside them)."""
    (n1, c1), (n2, c2) = clocks
    return c1.ms + (c2.ms - c1.ms) * (n - n1) / (n2 - n1)


def summarise(df: pd.DataFrame, ms_full_now: float,
              paper: tuple[int, float] | None = None) -> None:
    ok = df[(df.status_local == "converged") & (df.status_full == "converged")]
    diff = ok.barrier_local - ok.barrier_full
    m = ok[ok.matched]
    dm = m.barrier_local - m.barrier_full
    r = df.iloc[0]
    refined = np.isfinite(r.refine)
    ms_search = 1e3 * df.wall_search.sum() / df.calls_local.sum()
    ms_full = 1e3 * df.wall_full.sum() / df.calls_full.sum()
    print(f"R = {r.radius:g} Å active ({df.active_atoms.mean():.0f} atoms), shell "
          f"{r.shell:.2f} Å" + (" with force offset" if r.offset else "")
          + f", cluster {df.cluster_atoms.mean():.0f} atoms"
          + (f"; refined at {r.refine:g} Å ({df.refine_atoms.mean():.0f} active atoms)"
             if refined else "")
          + f": converged in both {len(ok)}/{len(df)} (local "
          f"{np.mean(df.status_local == 'converged'):.0%}, full "
          f"{np.mean(df.status_full == 'converged'):.0%})")
    print(f"  all converged pairs: median |dQ_local - dQ_full| = {diff.abs().median():.4f} eV "
          f"(target <= 0.02), mean signed {diff.mean():+.4f}, max {diff.abs().max():.4f}")
    print(f"  matched saddles (mismatch < tol): {len(m)}/{len(ok)} = {len(m) / max(len(ok), 1):.0%};"
          f" median |dQ| {dm.abs().median():.4f} eV, mean signed {dm.mean():+.4f}, "
          f"max {dm.abs().max():.4f}")
    if refined:
        dr = (m.barrier_search - m.barrier_full).dropna()
        ms_refine = 1e3 * df.wall_refine.sum() / max(df.calls_refine.sum(), 1)
        print(f"  before refinement (matched): median |dQ| {dr.abs().median():.4f} eV, mean "
              f"signed {dr.mean():+.4f}; refinement {df.calls_refine[df.calls_refine > 0].median():.0f}"
              f" force calls (median) at {ms_refine:.1f} ms")
    loose = df[(df.status_local == "converged") & np.isfinite(df.barrier_full_loose)]
    if not np.allclose(loose.barrier_full, loose.barrier_full_loose, equal_nan=True):
        dl = loose.barrier_local - loose.barrier_full_loose
        print(f"  vs the full-box barriers at 0.05 eV/Å instead: median |dQ| "
              f"{dl.abs().median():.4f} eV, mean signed {dl.mean():+.4f} ({len(dl)} pairs)")
    print(f"  force calls {df.calls_full.median():.0f} full vs {df.calls_local.median():.0f} "
          f"local search (medians), {ms_full:.1f} ms (full, cached) vs {ms_search:.2f} ms "
          f"per call (local search)")
    def speed(ms_call: float) -> float:
        """Full search (its force calls at ``ms_call``) over the local wall time."""
        return ms_call * 1e-3 * df.calls_full.mean() / df.wall_local.mean()

    busy = df.wall_search.sum() + df.wall_refine.sum()
    print(f"  Python overhead of the local searches: {1 - df.lammps_s.sum() / busy:.1%} of "
          f"their wall time outside LAMMPS' run (target <= 20 %)")
    print(f"  speed per search on this replica: full-box force call {ms_full_now:.1f} ms "
          f"(median, timed between the local searches) x its calls, over the local wall "
          f"(set-up and refinement included): "
          f"{speed(ms_full_now):.1f}x; from "
          f"the cached full walls (another load): "
          f"{df.wall_full.mean() / df.wall_local.mean():.1f}x")
    if paper is not None:
        n, ms = paper
        print(f"  at the paper's {n} atoms (full-box call interpolated to {ms:.1f} ms): "
              f"{speed(ms):.1f}x per search "
              f"(target >= 10x)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(ROOT / "results/s0/glass/inherent.data"))
    ap.add_argument("--replicate", type=int, nargs=3, default=[4, 3, 3])
    ap.add_argument("--clock-replicate", type=int, nargs=3, default=[5, 3, 3],
                    help="second replica whose full-box calls are timed too (interpolation "
                         "to --paper-atoms); give the --replicate counts to skip it")
    ap.add_argument("--paper-atoms", type=int, default=19652)
    ap.add_argument("--atoms", type=int, default=8, help="random central atoms")
    ap.add_argument("--events", type=int, default=2, help="directions per atom")
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--radii", nargs="*", default=["10"],
                    help="active radii (Å), R or R:R_refine (refined at R_refine)")
    ap.add_argument("--params", default="{}", help="JSON overrides of ARTn parameters")
    ap.add_argument("--cache", default="/tmp/artn_local_full_cache")
    ap.add_argument("--max-full", type=int, default=1000,
                    help="new full-box searches in this run at most")
    ap.add_argument("--match-tol", type=float, default=0.2, help="Å")
    ap.add_argument("--out", default=None, help="Parquet of all rows")
    ap.add_argument("--tight", type=float, default=None, metavar="TOL",
                    help="refine local saddles to max force TOL (eV/Å) and compare with the "
                         "full-box saddles converged to TOL as well (the refinement is the "
                         "second stage: give R:R to converge further on the search sphere)")
    ap.add_argument("--tight-max", type=int, default=1000,
                    help="new full-box tight refinements in this run at most")
    ap.add_argument("--floor", type=float, default=None, metavar="NOISE",
                    help="also rerun the full-box searches from the IS + NOISE Å of noise")
    ap.add_argument("--floor-max", type=int, default=16,
                    help="searches in the floor run at most")
    ap.add_argument("--partial", action="store_true",
                    help="compare on the full-box searches cached so far")
    ap.add_argument("--only-cached", action="store_true",
                    help="run no new full-box search")
    args = ap.parse_args()

    p = make_params({"max_attempts": 1, **json.loads(args.params)})
    counts = args.replicate
    big = replicate(args.data, counts, f"/tmp/artn_local_replica_{'x'.join(map(str, counts))}.data")
    frame = read_lammps_data(big)
    # a prefix of one permutation: more --atoms keeps the searches already cached
    atom_ids = np.sort(np.random.default_rng(args.seed).permutation(frame.ids)[:args.atoms]
                       ).tolist()
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
    if args.floor is not None:
        sub: dict[int, list[int]] = {}
        for a, evs in todo.items():
            for e in evs:
                if sum(map(len, sub.values())) < args.floor_max:
                    sub.setdefault(a, []).append(e)
        floor(big, frame, sub, p, args.seed, cache, args.floor, args.match_tol)
    if args.tight is not None:
        tight_full(big, frame, todo, p, cache, args.tight, args.tight_max)
        conv = [(a, e) for a, evs in todo.items() for e in evs
                if (cache / f"tight_{args.tight:g}_{a}_{e}.npz").exists()]
        d = np.array([float(np.load(cache / f"tight_{args.tight:g}_{a}_{e}.npz")["barrier"])
                      - float(np.load(cache / f"{a}_{e}.npz")["barrier"]) for a, e in conv])
        print(f"full-box saddles converged from 0.05 to {args.tight:g} eV/Å: barrier change "
              f"median {np.nanmedian(d):+.4f} eV, median |.| {np.nanmedian(np.abs(d)):.4f}, "
              f"range {np.nanmin(d):+.4f} … {np.nanmax(d):+.4f} ({len(d)} saddles)")
    second = None
    if args.clock_replicate != counts:
        name = "x".join(map(str, args.clock_replicate))
        second = replicate(args.data, args.clock_replicate,
                           f"/tmp/artn_local_replica_{name}.data")
        second_x = read_lammps_data(second).positions
    frames = []
    for spec in args.radii:
        radius, _, refine = spec.partition(":")
        with ExitStack() as stack:
            provider, _ = stack.enter_context(full_box(big, frame.positions))
            clocks = [(frame.n_atoms, FullClock(provider, frame.positions))]
            if second is not None:
                provider2, _ = stack.enter_context(full_box(second, second_x))
                clocks.append((len(second_x), FullClock(provider2, second_x)))
            df = local_searches(frame, todo, p, args.seed, float(radius),
                                float(refine) if refine else None, cache, args.match_tol,
                                tight=args.tight, clocks=[c for _, c in clocks])
        paper = None
        if len(clocks) == 2:
            print("full-box force call: " + "; ".join(
                f"{n} atoms {c.ms:.1f} ms ({1e3 * c.ms / n:.2f} µs/atom)" for n, c in clocks))
            paper = (args.paper_atoms, interpolate_ms(clocks, args.paper_atoms))
        summarise(df, clocks[0][1].ms, paper)
        frames.append(df)
    if not frames:
        return
    all_rows = pd.concat(frames, ignore_index=True)
    with pd.option_context("display.width", 250, "display.max_columns", 30):
        print(all_rows.drop(columns=["shell", "lammps_s"]).round(4).to_string())
    if args.out:
        all_rows.to_parquet(args.out)


if __name__ == "__main__":
    main()
