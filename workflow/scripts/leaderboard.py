"""Rules leaderboard, fig_leaderboard, fig_entropy: one table scoring every per-atom
descriptor (IGD, single-family SVMs, mean ΔQ, vMSD(T), I_BP, the companion-paper
descriptors) on the same atoms, and its figures."""

import logging

import numpy as np
import pandas as pd

from igd.common.io import read_metadata, read_table, write_table
from igd.descriptors.leaderboard import (build_leaderboard, fig_entropy, fig_leaderboard,
                             leaderboard_markdown)
from igd.learning.svm import vmsd_column
from igd.common.logs import setup
from igd.common.provenance import inherited_provenance

sm = snakemake  # noqa: F821
setup(sm.log[0])
PROV = inherited_provenance(sm.input, rule=sm.rule)
log = logging.getLogger("leaderboard")
p = sm.params

if sm.rule == "fig_leaderboard":
    fig_leaderboard(read_table(sm.input.table), sm.output[0])
elif sm.rule == "fig_entropy":
    fig_entropy({s: read_table(f) for s, f in zip(p.samples, sm.input.entropy)},
                sm.output[0])
else:
    lb, a = p.leaderboard, p.analysis
    igd = read_table(sm.input.igd)
    n_T = len(p.temperatures)
    rows, boxes = [], {}
    for k, s in enumerate(p.samples):
        atoms = read_table(sm.input.atoms[k], columns=["id", "type", "x", "y", "z"])
        box = read_metadata(sm.input.atoms[k])["box"]
        boxes[s] = (np.asarray(box["cell"]), np.asarray(box.get("origin", [0.0, 0.0, 0.0])))
        df = atoms.copy()
        df.insert(0, "sample", s)
        lab = read_table(sm.input.labels[k], columns=["id", "rearranged"])
        bar = read_table(sm.input.barriers[k])
        dq = bar[[c for c in bar.columns if c.startswith("dQ_")]].to_numpy(float)
        with np.errstate(all="ignore"):
            mean_dq = np.where(np.isfinite(dq).any(axis=1), np.nanmean(
                np.where(np.isfinite(dq), dq, np.nan), axis=1), np.nan)
        hes = read_table(sm.input.hessian[k], columns=["id", "I_BP"])
        des = read_table(sm.input.descriptors[k]).drop(columns=["type"])
        des = des.drop(columns=[c for c in ("vmsd",) if c in des.columns])
        g = igd[igd["sample"] == s].drop(columns=["sample", "label", "train", "test"])
        df = (df.merge(lab, on="id", validate="1:1")
              .merge(pd.DataFrame({"id": bar["id"], "mean_dQ": mean_dq}), on="id",
                     validate="1:1")
              .merge(hes, on="id", validate="1:1")
              .merge(g, on="id", how="left", validate="1:1")
              .merge(des, on="id", how="left", validate="1:1"))
        for j, T in enumerate(p.temperatures):
            v = read_table(sm.input.vmsd[k * n_T + j], columns=["id", "vmsd"])
            df = df.merge(v.rename(columns={"vmsd": vmsd_column(T)}), on="id",
                          validate="1:1")
        rows.append(df)
    per_atom = pd.concat(rows, ignore_index=True)

    desc = {"igd": ("IGD SVM, all four families (paper 001)", 1)}
    desc.update({f"igd_{m}": (f"SVM on the {m} family alone (paper 001 Fig. 12)", 1)
                 for m in p.models if m != "all"})
    desc["mean_dQ"] = ("mean ARTn barrier ΔQ (eV)", -1)
    desc.update({vmsd_column(T): (f"vMSD at {T} K (Å²)", 1) for T in p.temperatures})
    desc["I_BP"] = ("per-atom boson-peak intensity (paper 003)", 1)
    desc.update({
        "vflex_002": ("v_flex = vMSD·a_i, a_i mean Voronoi-neighbour distance (002)", 1),
        "vflex_004": ("v_flex = vMSD/a_i²·Ω_i, a_i = Ω_i^(1/3) (004)", 1),
        "p_1pct": ("participation in the lowest 1 % of modes (002)", 1),
        "p_025pct": ("participation in the lowest 0.25 % of modes (004)", 1),
        "SF": ("structural flexibility ωᵀx, linear L2-loss SVR (002)", 1),
        "S_voro": ("time-relevant Voronoi-index Shannon entropy, 700 K (003)", 1),
        "f5": ("local five-fold symmetry n5/Σn_k (004 baseline)", -1),
    })
    desc.update({c: (f"S2 at r_c = {c[3:]} Å (004), k_B", 1)
                 for c in per_atom.columns if c.startswith("S2_")})
    missing = [c for c in desc if c not in per_atom.columns]
    if missing:
        raise ValueError(f"descriptor columns missing from the inputs: {missing}")
    board, corr, units = build_leaderboard(
        per_atom, desc, boxes, test_samples=p.test_samples,
        correlation_samples=lb["correlation_samples"], chi_fraction=p.chi_fraction,
        bin_atoms=lb["bin_atoms"], min_bins=lb["min_bins"], corr_r_max=a["corr_r_max"],
        corr_dr=a["corr_dr"], corr_fit_r_min=a["corr_fit_r_min"],
        corr_fit_r_max=a["corr_fit_r_max"], elements=p.elements,
        self_targets={"mean_dQ": "dQ", "I_BP": "IBP"})
    for _, r in board.iterrows():
        log.info("%-12s AUC %.3f chi %.2f rho(dQ) %+.3f xi %.2f %s", r["descriptor"],
                 r["roc_auc"], r["chi"], r["spearman_dQ"], r["xi"], r["reason"])
    params = {"test_samples": p.test_samples, "chi_fraction": p.chi_fraction, **lb,
              "corr": {k: a[k] for k in ("corr_r_max", "corr_dr", "corr_fit_r_min",
                                         "corr_fit_r_max")},
              "samples": p.samples}
    write_table(board, sm.output.table, provenance=PROV, units=units, params=params,
                extra={"sign_convention": "descriptor × sign: larger = more defect-like"})
    write_table(corr, sm.output.correlation,
                units={c: ("Angstrom" if c == "r" else "") for c in corr.columns},
                params=params, provenance=PROV)
    n_test = int(per_atom["sample"].isin(p.test_samples).sum())
    note = (f"Descriptor leaderboard: {len(p.samples)} samples × "
            f"{len(per_atom) // len(p.samples)} atoms; AUC and χ (top/bottom "
            f"{100 * p.chi_fraction:g} %) for rearrangement on the held-out sample(s) "
            f"{', '.join(p.test_samples)} ({n_test} atoms); binned Pearson r (≈"
            f"{lb['bin_atoms']} atoms per bin, ≥ {lb['min_bins']} bins, per species) and "
            f"Spearman ρ with the mean ΔQ and I_BP on {lb['correlation_samples']} samples; "
            "ξ from C(r) ∝ exp(−r/ξ) pooled over those samples. Sign: each descriptor is "
            "multiplied by `sign` so that larger = more defect-like (good descriptors: "
            "AUC > 0.5, r/ρ with ΔQ < 0, with I_BP > 0).")
    from igd.common.io import atomic_path

    with atomic_path(sm.output.markdown) as tmp:
        tmp.write_text(leaderboard_markdown(board, note=note))
