"""Tasks of stage 9 (PROTOCOL §9): one function per rule of ``workflow/rules/analysis.smk``.

The analyses of the IGD field (rule ``analysis``), the figures of the models and of the
field (paper Figs. 4, 8–14), the OVITO snapshots and dumps, and the report's tables.
"""

from __future__ import annotations

import json
import logging

import numpy as np
import pandas as pd

from igd.analysis import figures, model_figures, snapshots as snap
from igd.analysis.atoms_dump import atom_properties, write_lammps_dump
from igd.analysis.correlation import pooled_correlation_lengths
from igd.analysis.igd_field import (atom_sets, binned_dd2min_table, field_atoms,
                                    group_partial_rdfs, p_active_table, pool_partial_rdfs)
from igd.analysis.transferability import pooled_atoms, transferability
from igd.common.config import grid
from igd.common.io import atomic_path, read_metadata, read_table, write_json, write_table
from igd.common.job import Job
from igd.common.provenance import inherited_provenance
from igd.dynamics.tables import read_moments

log = logging.getLogger(__name__)


def _box(path: str) -> tuple[np.ndarray, np.ndarray]:
    """(cell rows a, b, c; origin) in Å of a glass atoms table (its ``box`` metadata)."""
    box = read_metadata(path)["box"]
    return np.asarray(box["cell"]), np.asarray(box.get("origin", [0.0, 0.0, 0.0]))


def _json(path: str) -> dict:
    with open(path) as fh:
        return json.load(fh)


def analysis(job: Job) -> None:
    """The IGD field against ΔD²min and in space (paper Figs. 8–11, 13), samples pooled.

    C(r) of ΔD²min, IGD and each single-family predictor (each sample normalised on its
    own, pair-count-weighted mean, ξ from the pooled curve): the learned predictors (IGD,
    igd_<model>) over the held-out samples ``test_samples`` only when
    ``analysis.xi_learned_samples`` is "test" (paper Figs. 9c, 13: the testing set; on
    training atoms they are partly fitted), over all samples when "all" (the old
    behaviour); ΔD²min, which nothing was fitted to, over all samples (more pairs, the
    same field in expectation on every glass); partial g(r) around the top
    / bottom IGD fraction of each sample (pooled by centre counts); P(IGD > 0) in
    log-spaced ΔD²min bins and ΔD²min in IGD rank bins, for the test sample(s) and for all
    samples. Atoms without an IGD (nan_policy "drop") are left out of everything.

    inputs ``igd``, ``labels`` and ``atoms`` (one per sample); params ``samples,
    test_samples, models, elements, threshold, analysis``; outputs ``correlation, xi,
    p_active, binned, prdf``.
    """
    p, a, out = job.params, job.params.analysis, job.output
    prov = inherited_provenance(job.input_paths(), rule=job.rule)
    type_names = {k + 1: e for k, e in enumerate(p.elements)}
    igd = read_table(job.input.igd)
    fields = ["dd2min", "igd"] + [f"igd_{m}" for m in p.models if m != "all"]
    per_atom, frames, prdf_rows = [], [], []
    for s, f_labels, f_atoms in zip(p.samples, job.input.labels, job.input.atoms):
        cell, origin = _box(f_atoms)
        df = field_atoms(read_table(f_atoms, columns=["id", "type", "x", "y", "z"]),
                         read_table(f_labels, columns=["id", "dd2min_max"]), igd, s, fields)
        pos = df[["x", "y", "z"]].to_numpy()
        per_atom.append(df)
        frames.append((pos, cell, origin))
        prdf_rows.append(group_partial_rdfs(
            pos, cell, df["type"].to_numpy(), df["igd"].to_numpy(),
            fraction=a["prdf_fraction"], r_max=a["prdf_r_max"], dr=a["prdf_dr"],
            type_names=type_names, origin=origin, sample=s))

    learned = [f for f in fields if f != "dd2min" and a["xi_learned_samples"] == "test"]
    held_out = [k for k, s in enumerate(p.samples) if s in set(p.test_samples)]
    corr, fits = pooled_correlation_lengths(
        {f: [df[f].to_numpy() for df in per_atom] for f in fields}, frames,
        r_max=a["corr_r_max"], dr=a["corr_dr"], fit_r_min=a["corr_fit_r_min"],
        fit_r_max=a["corr_fit_r_max"], field_samples={f: held_out for f in learned})
    for f, fit in fits.items():
        fit["samples"] = [p.samples[k] for k in fit.pop("sample_index")]
        log.info("ξ(%s) = %.3f ± %.3f Å (%d points), samples %s", f, fit["xi"],
                 fit["xi_err"], fit.get("n_points", 0), fit["samples"])
    params = {**a, "samples": p.samples, "test_samples": list(p.test_samples),
              "xi_samples": {f: fit["samples"] for f, fit in fits.items()}}
    write_table(corr, out.correlation, provenance=prov,
                units={"r": "Å", "n_pairs": "", **{f"C_{f}": "" for f in fields}},
                params=params, extra={"xi": fits})
    write_json({"xi": fits, "units": {"xi": "Å", "xi_err": "Å", "r_min": "Å", "r_max": "Å",
                                      "amplitude": "", "samples": ""},
                "params": params, "provenance": prov}, out.xi)

    prdf = pool_partial_rdfs(pd.concat(prdf_rows, ignore_index=True), type_names)
    write_table(prdf, out.prdf, provenance=prov,
                units={**{c: "" for c in prdf.columns}, "r": "Å"},
                params={"fraction": a["prdf_fraction"], "r_max": a["prdf_r_max"],
                        "dr": a["prdf_dr"], "samples": p.samples})

    sets = atom_sets(pd.concat(per_atom, ignore_index=True))
    edges = 10.0 ** np.asarray(grid(a["p_active_log10_dd2min"]))
    write_table(p_active_table(sets, edges), out.p_active, provenance=prov,
                units={"set": "", "dd2min_lo": "Å^2", "dd2min_hi": "Å^2",
                       "dd2min_mid": "Å^2", "n": "", "fraction": "", "stderr": ""},
                params={"edges_log10": a["p_active_log10_dd2min"], "threshold": p.threshold})
    write_table(binned_dd2min_table(sets, a["bin_fraction"], a["bin_min_atoms"]), out.binned,
                provenance=prov,
                units={"set": "", "bin": "", "n": "", "igd_mean": "", "igd_min": "",
                       "igd_max": "", "dd2min_mean": "Å^2", "dd2min_std": "Å^2",
                       "dd2min_sem": "Å^2"},
                params={"bin_fraction": a["bin_fraction"], "bin_min_atoms": a["bin_min_atoms"]})


def fig04(job: Job) -> None:
    """Paper Fig. 4: CV accuracy over the (C, γ) grid of the full model (input ``cv_grid``)."""
    model_figures.fig04_cv_grid(read_table(job.input.cv_grid), job.output.figure, model="all")


def fig08(job: Job) -> None:
    """Paper Fig. 8c: P(predicted active) vs ΔD²min (input ``p_active``; param ``threshold``)."""
    figures.fig08_p_active(read_table(job.input.p_active), job.output.figure,
                           threshold=job.params.threshold)


def fig09(job: Job) -> None:
    """Paper Fig. 9b, c: IGD distribution and C(r) (inputs ``igd, correlation, xi``)."""
    inp = job.input
    figures.fig09_igd(read_table(inp.igd), read_table(inp.correlation), _json(inp.xi),
                      job.output.figure)


def fig10(job: Job) -> None:
    """Paper Fig. 10: partial g(r) around the top / bottom IGD atoms (input ``prdf``)."""
    figures.fig10_prdf_igd(read_table(job.input.prdf), job.output.figure)


def fig11(job: Job) -> None:
    """Paper Fig. 11b: ΔD²min in IGD rank bins (input ``binned``; param ``threshold``)."""
    figures.fig11_dd2min_vs_igd(read_table(job.input.binned), job.output.figure,
                                threshold=job.params.threshold)


def fig12(job: Job) -> None:
    """Paper Fig. 12: accuracy and χ per model (input ``metrics``; param ``models``)."""
    model_figures.fig12_models(_json(job.input.metrics), job.output.figure,
                               models=job.params.models)


def fig13(job: Job) -> None:
    """Paper Fig. 13: C(r) and ξ of the single-family predictors (inputs ``correlation,
    xi``; param ``models``)."""
    figures.fig13_xi(read_table(job.input.correlation), _json(job.input.xi),
                     job.output.figure, models=job.params.models)


def snapshots(job: Job) -> None:
    """OVITO atom snapshots of one sample (paper Figs. 8a/b, 9a, 11a).

    inputs ``igd, labels, atoms``; params ``sample, threshold, snapshot`` (the config's
    ``learning.analysis.snapshot``); outputs ``fig08, fig09a, fig11a`` (PNG). With
    ``snapshot.enabled`` false nothing is rendered: each PNG only says that the snapshots
    were skipped and how to enable them (:func:`igd.analysis.snapshots.skipped_snapshot`),
    and a warning is logged.
    """
    p, s, out = job.params, job.params.snapshot, job.output
    if not s["enabled"]:
        log.warning("OVITO snapshots skipped (learning.analysis.snapshot.enabled: false): "
                    "%s, %s and %s only say so", out.fig08, out.fig09a, out.fig11a)
        for path, title in ((out.fig08, "Fig. 8a, b: rearranged atoms and ΔD²min"),
                            (out.fig09a, "Fig. 9a: IGD of every atom"),
                            (out.fig11a, "Fig. 11a: IGD map and athermal events")):
            snap.skipped_snapshot(path, f"{title}, sample {p.sample}")
        return
    atoms = read_table(job.input.atoms, columns=["id", "type", "x", "y", "z"])
    cell, origin = _box(job.input.atoms)
    labels = read_table(job.input.labels, columns=["id", "dd2min_max"])
    igd = read_table(job.input.igd)
    igd = igd[igd["sample"] == p.sample][["id", "label", "igd"]]
    df = (atoms.merge(labels.rename(columns={"dd2min_max": "dd2min"}), on="id",
                      validate="1:1")
          .merge(igd, on="id", validate="1:1"))          # atoms without an IGD are not drawn
    common = dict(origin=origin, radius_scale=s["radius_scale"], size=s["pixels"],
                  sample=p.sample)
    snap.fig08_snapshots(df, cell, out.fig08, slab=s["slab"], axis=s["axis"],
                         threshold=p.threshold, **common)
    snap.fig09a_igd_snapshot(df, cell, out.fig09a, corner=s["corner"], **common)
    snap.fig11a_snapshots(df, cell, out.fig11a, slab=s["slab"], axis=s["axis"],
                          threshold=p.threshold, bubble_max=s["bubble_max"], **common)


def ovito_dump(job: Job) -> None:
    """Every per-atom property of one sample as a LAMMPS text dump for OVITO
    (:func:`igd.analysis.atoms_dump.atom_properties`).

    inputs ``atoms, labels, igd, features, hessian, dynamics``; output ``dump``.
    """
    inp, sample = job.input, job.wildcards.sample
    cell, origin = _box(inp.atoms)
    igd = read_table(inp.igd)
    table, units = atom_properties(
        read_table(inp.atoms), labels=read_table(inp.labels),
        igd=igd[igd["sample"] == sample], features=read_table(inp.features),
        hessian=read_table(inp.hessian), dynamics=read_table(inp.dynamics),
        times_ps=read_metadata(inp.dynamics)["times_ps"])
    write_lammps_dump(table, cell, job.output.dump, origin=origin)
    log.info("%s: %d atoms, %d columns; units: %s", sample, len(table), table.shape[1],
             "; ".join(f"{c} [{u}]" for c, u in units.items() if u))


def fig14(job: Job) -> None:
    """Transferability of the IGD by IGD group (paper Fig. 14) and its table
    (:func:`igd.analysis.transferability.transferability`).

    inputs ``igd`` and ``hessian, vdos, dynamics`` (one per sample of params ``samples``,
    whose dynamics times and q must agree); params ``samples, transfer_set, groups,
    scalar_groups, bin_fraction, bin_min_atoms``; outputs ``table, figure``.
    """
    p, inp = job.params, job.input
    meta = read_metadata(inp.dynamics[0])
    t, dyn = read_moments(inp.dynamics)
    igd, i_bp, nu, g_atoms, moments = pooled_atoms(
        read_table(inp.igd), p.samples, [read_table(f) for f in inp.hessian],
        [read_table(f) for f in inp.vdos], [(ids, m) for ids, _types, m in dyn])
    q = moments.q
    table, units = transferability(igd, i_bp=i_bp, nu=nu, g_atoms=g_atoms, t=t,
                                   moments=moments, n_groups=p.groups,
                                   n_scalar_groups=p.scalar_groups,
                                   bin_fraction=p.bin_fraction,
                                   bin_min_atoms=p.bin_min_atoms)
    write_table(table, job.output.table, units=units,
                provenance=inherited_provenance(job.input_paths(), rule=job.rule),
                params={"samples": p.samples, "set": p.transfer_set, "groups": p.groups,
                        "scalar_groups": p.scalar_groups, "bin_fraction": p.bin_fraction,
                        "bin_min_atoms": p.bin_min_atoms, "q": q,
                        "temperature": meta["params"].get("temperature")})
    label = ("all samples" if p.transfer_set == "all"
             else "test sample " + ", ".join(p.samples))
    figures.fig14_transferability(table, job.output.figure, t_max=float(t[-1]), q=q,
                                  temperature=float(meta["params"]["temperature"]),
                                  sample_set=label)


def report_tables(job: Job) -> None:
    """The metrics and the leaderboard as HTML tables for the report (inputs ``metrics,
    leaderboard``; param ``test_samples``; outputs ``metrics, leaderboard``)."""
    pages = {
        job.output.metrics: model_figures.html_table(
            model_figures.metrics_frame(_json(job.input.metrics)),
            "Test metrics of the IGD model and its ablations",
            f"held-out sample(s) {job.params.test_samples}; rates are fractions; χ empty "
            "when its denominator is zero (chi_status)."),
        job.output.leaderboard: model_figures.html_table(
            read_table(job.input.leaderboard), "Descriptor leaderboard",
            "descriptor × sign: larger = more defect-like; see "
            "results/learning/leaderboard.md."),
    }
    for path, page in pages.items():
        with atomic_path(path) as tmp:
            tmp.write_text(page)
