"""Where do the two sides of an ARTn saddle relax to? The data behind ``artn.search.relax_final``.

For the saddles the default run accepts (its searches replayed: same seeds, same
directions, attempts until the first converged one, the connectivity check off), both
sides are relaxed fully by FIRE (``final_push`` off the saddle along ∓v, to
``final_force_tol``), every FIRE point's energy above E_IS and largest atom distance from
the IS recorded; each side's FIRE minimum is then minimised on by L-BFGS to max |F| <
``--tight`` eV/Å (the IS's own tolerance is 1e-4 eV/Å) to see whether it is a minimum of
its own or only an unconverged point of the IS's basin. The "back" side is the one
towards the IS (−v with v pointing away from it). Writes one JSON line per saddle
(``--out``, appended: a killed run resumes) and prints the distributions and, for
candidate tolerances (ΔE, d), how each side would be classified and after how many calls
the back side's early exit would decide.

    nice -n 19 .venv/bin/python benchmarks/bench_artn_backside.py \\
        --data /work/bare/results/s0/glass/inherent.data --sample s0 --atoms 30 \\
        --out backside.jsonl
    .venv/bin/python benchmarks/bench_artn_backside.py --report backside.jsonl [...]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

from igd.artn.lammps_forces import LammpsForces
from igd.artn.params import make_params
from igd.artn.perturb import attempt_rng, perturbation
from igd.artn.provider import max_atom_force
from igd.artn.relax import relax
from igd.artn.search import artn_search
from igd.common.config import sample_index
from igd.common.datafile import read_lammps_data

ROOT = Path(__file__).resolve().parents[1]
POTENTIAL = {"file": "potentials/CuZr_mm.eam.fs",
             "sha256": "a512753c2b80a63a7e15d7422f471268888eda650fc12df81fb2275680737781",
             "elements": ["Cu", "Zr"], "pair_style": "eam/fs"}
SEED = 20261121  # config/config.yaml seed: the default run's directions


def max_dist(x: np.ndarray, x0: np.ndarray) -> float:
    return float(np.sqrt(((x - x0) ** 2).sum(axis=1)).max())


def side(prov, x_start, x0, e0, p, tight: float, tight_below: float) -> dict:
    """FIRE to final_force_tol recording (ΔE, d, max|F|) at every point, then L-BFGS on
    if the FIRE minimum is closer to the IS than ``tight_below`` (Å)."""
    traj = []
    calls0 = prov.timing["calls"]

    def watch(x, e, f):
        traj.append((e - e0, max_dist(x, x0), max_atom_force(f)))
        return False

    xm, em, _, ok = relax(prov, x_start, p, watch)
    fire_calls = prov.timing["calls"] - calls0
    out = {"traj": traj, "fire_ok": bool(ok), "fire_calls": fire_calls,
           "dE": em - e0, "d": max_dist(xm, x0),
           "d_notrans": max_dist(xm - (xm - x0).mean(axis=0), x0)}
    if out["d"] > tight_below:
        return out

    def fun(q):
        e, f = prov(q.reshape(xm.shape))
        return e, -f.ravel()

    calls0 = prov.timing["calls"]
    r = minimize(fun, xm.ravel(), jac=True, method="L-BFGS-B",
                 options={"gtol": tight / 10, "ftol": 1e-16, "maxfun": 2000, "maxiter": 2000,
                          "maxcor": 30})
    xt = r.x.reshape(xm.shape)
    et, ft = prov(xt)
    return {**out, "tight_dE": et - e0, "tight_d": max_dist(xt, x0),
            "tight_fmax": max_atom_force(ft), "tight_calls": prov.timing["calls"] - calls0,
            "n_moved_tight": int((np.sqrt(((xt - x0) ** 2).sum(axis=1)) > 0.1).sum())}


def collect(args) -> None:
    frame = read_lammps_data(args.data)
    p = make_params({"relax_final": False})
    rng = np.random.default_rng(args.pick_seed + sample_index(args.sample))
    atom_ids = np.sort(rng.choice(frame.ids, args.atoms, replace=False))
    out = Path(args.out)
    done = set()
    if out.exists():
        done = {(r["sample"], r["id"], r["event"]) for r in map(json.loads, out.open())}
    x0 = frame.positions
    with LammpsForces(args.data, POTENTIAL, root=ROOT) as prov:
        e0, f0 = prov(x0)
        prov.quiet()
        for atom_id in atom_ids:
            for event in range(args.events):
                if (args.sample, int(atom_id), event) in done:
                    continue
                for attempt in range(int(p["max_attempts"])):
                    d0 = perturbation(attempt_rng(SEED, sample_index(args.sample), atom_id,
                                                  event, attempt), len(x0),
                                      np.array([atom_id - 1]), p["perturb_norm"])
                    prov.reset(x0)
                    res = artn_search(prov, x0, e0, d0, p)
                    if res.status == "converged":
                        break
                row = {"sample": args.sample, "id": int(atom_id),
                       "type": int(frame.types[atom_id - 1]), "event": event,
                       "attempt": attempt, "status": res.status,
                       "is_fmax": max_atom_force(f0)}
                if res.status == "converged":
                    xs, v = res.positions, res.eigenvector
                    back = -1.0 if v.ravel() @ (xs - x0).ravel() > 0 else 1.0
                    row.update(barrier=res.barrier, calls=res.force_calls,
                               saddle_d=res.max_disp, eigenvalue=res.eigenvalue,
                               saddle_fmax=res.max_force)
                    row["back"] = side(prov, xs + back * p["final_push"] * v, x0, e0, p,
                                       args.tight, np.inf)
                    row["fwd"] = side(prov, xs - back * p["final_push"] * v, x0, e0, p,
                                      args.tight, args.tight_below)
                with out.open("a") as fh:
                    fh.write(json.dumps(row) + "\n")
                print(row["sample"], row["id"], event, row["status"],
                      {k: round(row[k][q], 4) for k in ("back", "fwd") if k in row
                       for q in ("dE", "d", "tight_d") if q in row[k]}
                      if "back" in row else "", flush=True)


def decide(traj, de_tol: float, d_tol: float, f_tol: float) -> tuple[str, int]:
    """The decision of :func:`igd.artn.connect.check_connected` on a recorded FIRE path
    and its force calls: the first point within (|ΔE| ≤ de_tol, d ≤ d_tol), below
    E_IS − de_tol, or at max |F| < f_tol ("elsewhere"); else "undecided"."""
    for i, (de, d, fmax) in enumerate(traj):
        if abs(de) <= de_tol and d <= d_tol:
            return "within", i + 1
        if de < -de_tol:
            return "below", i + 1
        if fmax < f_tol:
            return "elsewhere", i + 1
    return "undecided", len(traj)


def report(args) -> None:
    rows = [r for f in args.report for r in map(json.loads, open(f))]
    ok = [r for r in rows if r["status"] == "converged"]
    print(f"{len(rows)} events, {len(ok)} with a saddle; samples "
          f"{sorted({r['sample'] for r in rows})}")
    for name in ("back", "fwd"):
        dE = np.array([r[name]["dE"] for r in ok])
        d = np.array([r[name]["d"] for r in ok])
        td = np.array([r[name].get("tight_d", np.inf) for r in ok])
        tdE = np.array([r[name].get("tight_dE", np.inf) for r in ok])
        calls = np.array([r[name]["fire_calls"] for r in ok])
        def q(a):
            a = a[np.isfinite(a)]
            return " ".join(f"{v:.4g}" for v in np.quantile(a, [0, .1, .25, .5, .75, .9, 1])) \
                + f" (n {len(a)})" if len(a) else "-"
        print(f"\n{name} side (FIRE to {make_params()['final_force_tol']} eV/Å), quantiles "
              f"0/10/25/50/75/90/100 %:")
        print(f"  ΔE above E_IS (eV): {q(dE)}")
        print(f"  max atom distance from IS (Å): {q(d)}")
        print(f"  FIRE calls: {q(calls)}")
        print(f"  after L-BFGS (inf: not minimised on, FIRE end > --tight-below): ΔE {q(tdE)}")
        print(f"  after L-BFGS: d {q(td)}")
        print(f"  FIRE d < 0.1 Å: {np.mean(d < 0.1):.1%}; tight d < 0.01 Å (the IS itself): "
              f"{np.mean(td < 0.01):.1%}; tight ΔE < 1 meV: {np.mean(tdE < 1e-3):.1%}")
    is_back = np.array([r["back"].get("tight_d", np.inf) < 0.01 for r in ok])
    is_fwd = np.array([r["fwd"].get("tight_d", np.inf) < 0.01 for r in ok])
    print(f"\ntight minimiser reaches the IS: back {is_back.mean():.1%}, forward "
          f"{is_fwd.mean():.1%}, both {np.mean(is_back & is_fwd):.1%}, neither "
          f"{np.mean(~is_back & ~is_fwd):.1%}")
    for name, m in (("reaches the IS", is_back), ("does not", ~is_back)):
        sel = [r for r, k in zip(ok, m) if k]
        if sel:
            print(f"back side {name} (tight): {len(sel)} saddles, median ΔQ "
                  f"{np.median([r['barrier'] for r in sel]):.3f} eV, median eigenvalue "
                  f"{np.median([r['eigenvalue'] for r in sel]):.3f} eV/Å², median max "
                  f"displacement at the saddle {np.median([r['saddle_d'] for r in sel]):.2f} Å")
    f_tol = make_params()["final_force_tol"]
    print("\ncandidate tolerances, the check's decision on the back side's FIRE path:")
    print("  dE_tol  d_tol   connected  median/90% calls to decide  agree with tight=IS  "
          "fwd within (full FIRE min)")
    for de_tol in args.de_tols:
        for d_tol in args.d_tols:
            dec = [decide(r["back"]["traj"], de_tol, d_tol, f_tol) for r in ok]
            conn = np.array([reason == "within" for reason, _ in dec])
            calls = np.array([c for _, c in dec])
            fwd = np.array([abs(r["fwd"]["dE"]) <= de_tol and r["fwd"]["d"] <= d_tol
                            for r in ok])
            print(f"  {de_tol:6.3f}  {d_tol:5.2f}   {conn.mean():7.1%}    "
                  f"{np.median(calls):5.0f} / {np.quantile(calls, .9):5.0f}          "
                  f"{np.mean(conn == is_back):7.1%}        {fwd.mean():6.1%}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data")
    ap.add_argument("--sample", default="s0", help="sample name: its index seeds the searches")
    ap.add_argument("--atoms", type=int, default=30)
    ap.add_argument("--events", type=int, default=2)
    ap.add_argument("--pick-seed", type=int, default=7, help="seeds the choice of atoms")
    ap.add_argument("--tight", type=float, default=1e-4, help="eV/Å, L-BFGS tolerance")
    ap.add_argument("--tight-below", type=float, default=1.0,
                    help="Å, minimise the forward side on only if its FIRE end is closer")
    ap.add_argument("--out", default="backside.jsonl")
    ap.add_argument("--report", nargs="*", help="JSON-lines files to summarise instead")
    ap.add_argument("--de-tols", type=float, nargs="*", default=[0.005, 0.01, 0.02, 0.05])
    ap.add_argument("--d-tols", type=float, nargs="*", default=[0.1, 0.2, 0.3, 0.5, 1.0])
    args = ap.parse_args()
    if args.report:
        report(args)
    else:
        collect(args)


if __name__ == "__main__":
    main()
