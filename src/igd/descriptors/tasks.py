"""Tasks of stage 10 (PROTOCOL §10, beyond the paper): one function per rule of
``workflow/rules/descriptors.smk`` — the companion papers' descriptors of one sample, SF
over all samples, the leaderboard and its figures."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from igd.common.config import grid
from igd.common.io import atomic_path, read_metadata, read_table, write_json, write_table
from igd.common.job import Job
from igd.common.provenance import inherited_provenance
from igd.descriptors.catalogue import SELF_TARGETS, descriptor_catalogue, learned_descriptors
from igd.descriptors.entropy import frames_from_table
from igd.descriptors.figures import fig_entropy as plot_entropy
from igd.descriptors.figures import fig_leaderboard as plot_leaderboard
from igd.descriptors.leaderboard import (build_leaderboard, leaderboard_markdown,
                                         leaderboard_note)
from igd.descriptors.local import local_descriptors
from igd.descriptors.per_atom import (ATOM_COLUMNS, HESSIAN_COLUMNS, LABEL_COLUMNS,
                                      VMSD_COLUMNS, sample_atoms)
from igd.descriptors.sf import add_structural_flexibility

log = logging.getLogger(__name__)

CORR_KEYS = ("corr_r_max", "corr_dr", "corr_fit_r_min", "corr_fit_r_max")
"""Entries of the ``analysis`` config section the leaderboard's ξ uses."""


def descriptors_local(job: Job) -> None:
    """Every companion-paper descriptor of one sample except SF
    (:func:`igd.descriptors.local.local_descriptors`).

    inputs ``data, vmsd, hessian, frames`` (the uniformly sampled 700 K run,
    :mod:`igd.descriptors.entropy`); params ``descriptors, structure, vflex_temperature,
    elements``; outputs ``local, radial, entropy``.
    """
    p = job.params
    d, st = p.descriptors, p.structure
    prov = inherited_provenance(job.input_paths(), rule=job.rule)
    frames = frames_from_table(read_table(job.input.frames), read_metadata(job.input.frames))
    table, radial, entropy_t, units = local_descriptors(
        job.input.data, vmsd=read_table(job.input.vmsd),
        hessian_atoms=read_table(job.input.hessian), frames=frames, s2_rcs=d["s2_rc"],
        s2_sigma=st["s2_sigma"], s2_dr=st["dr"], kernel_truncate=st["kernel_truncate"],
        radial_r=grid(d["radial"]["r"]), radial_sigma=d["radial"]["sigma"],
        radial_cutoff=d["radial"]["cutoff"], elements=p.elements,
        entropy_thresholds=d["entropy"]["voronoi"], **d["voronoi"])
    params = {**{k: v for k, v in d.items() if k not in ("svr", "leaderboard")},
              "vflex_temperature_used": p.vflex_temperature, "s2_sigma": st["s2_sigma"],
              "s2_dr": st["dr"], "sample": job.wildcards.sample,
              "entropy_frames": frames.n_frames,
              "entropy_times_ps": [float(frames.times[0]), float(frames.times[-1])]}
    write_table(table, job.output.local, provenance=prov, units=units, params=params)
    write_table(radial, job.output.radial, provenance=prov, units=units, params=params)
    write_table(entropy_t, job.output.entropy, provenance=prov, units=units, params=params)


def structural_flexibility(job: Job) -> None:
    """SF of every sample, trained on the IGD training samples
    (:func:`igd.descriptors.sf.add_structural_flexibility`).

    inputs ``local, radial`` (one per sample); params ``samples, test_samples, svr,
    seed``; outputs ``tables`` (``descriptors.parquet`` per sample), ``model`` (JSON).
    """
    p = job.params
    prov = inherited_provenance(job.input_paths(), rule=job.rule)
    local = {s: read_table(f) for s, f in zip(p.samples, job.input.local)}
    radial = {s: read_table(f) for s, f in zip(p.samples, job.input.radial)}
    tables, report = add_structural_flexibility(local, radial, test_samples=p.test_samples,
                                                seed=p.seed, **p.svr)
    for s, f_in, f_out in zip(p.samples, job.input.local, job.output.tables):
        meta = read_metadata(f_in)
        units = {**meta["units"], "SF": ""}
        write_table(tables[s], f_out, provenance=prov,
                    units={c: units.get(c, "") for c in tables[s].columns},
                    params={**meta["params"], "svr": p.svr, "test_samples": p.test_samples})
    write_json(report, job.output.model)


def _box(atoms_file: str) -> tuple[np.ndarray, np.ndarray]:
    """(cell (3, 3), origin (3,)) in Å of a ``glass/atoms.parquet`` table's metadata."""
    box = read_metadata(atoms_file)["box"]
    return np.asarray(box["cell"]), np.asarray(box.get("origin", [0.0, 0.0, 0.0]))


def leaderboard(job: Job) -> None:
    """One table scoring every per-atom descriptor on the same atoms
    (:func:`igd.descriptors.leaderboard.build_leaderboard`), its pooled C(r) and a
    Markdown version.

    inputs ``descriptors, labels, barriers, hessian, atoms`` (one per sample), ``vmsd``
    (sample-major × temperature), ``igd``; params ``samples, temperatures, models,
    test_samples, elements, leaderboard, chi_fraction, analysis``; outputs ``table,
    markdown, correlation``.
    """
    p, i = job.params, job.input
    lb, a = p.leaderboard, p.analysis
    prov = inherited_provenance(job.input_paths(), rule=job.rule)
    igd = read_table(i.igd)
    n_T = len(p.temperatures)
    rows, boxes = [], {}
    for k, s in enumerate(p.samples):
        boxes[s] = _box(i.atoms[k])
        rows.append(sample_atoms(
            s, atoms=read_table(i.atoms[k], columns=ATOM_COLUMNS),
            labels=read_table(i.labels[k], columns=LABEL_COLUMNS),
            barriers=read_table(i.barriers[k]),
            hessian=read_table(i.hessian[k], columns=HESSIAN_COLUMNS), igd=igd,
            descriptors=read_table(i.descriptors[k]),
            vmsd={T: read_table(i.vmsd[k * n_T + j], columns=VMSD_COLUMNS)
                  for j, T in enumerate(p.temperatures)}))
    per_atom = pd.concat(rows, ignore_index=True)
    desc = descriptor_catalogue(p.models, p.temperatures, per_atom.columns)
    learned = learned_descriptors(desc) if a["xi_learned_samples"] == "test" else []
    board, corr, units = build_leaderboard(
        per_atom, desc, boxes, test_samples=p.test_samples,
        correlation_samples=lb["correlation_samples"], chi_fraction=p.chi_fraction,
        bin_atoms=lb["bin_atoms"], min_bins=lb["min_bins"], corr_r_max=a["corr_r_max"],
        corr_dr=a["corr_dr"], corr_fit_r_min=a["corr_fit_r_min"],
        corr_fit_r_max=a["corr_fit_r_max"], elements=p.elements, self_targets=SELF_TARGETS,
        learned=learned)
    for _, r in board.iterrows():
        log.info("%-12s AUC %.3f chi %.2f rho(dQ) %+.3f xi %.2f %s", r["descriptor"],
                 r["roc_auc"], r["chi"], r["spearman_dQ"], r["xi"], r["reason"])
    params = {"test_samples": p.test_samples, "chi_fraction": p.chi_fraction, **lb,
              "corr": {k: a[k] for k in CORR_KEYS}, "samples": p.samples,
              "xi_learned_samples": a["xi_learned_samples"]}
    write_table(board, job.output.table, provenance=prov, units=units, params=params,
                extra={"sign_convention": "descriptor × sign: larger = more defect-like"})
    write_table(corr, job.output.correlation,
                units={c: ("Angstrom" if c == "r" else "") for c in corr.columns},
                params=params, provenance=prov)
    note = leaderboard_note(per_atom, samples=p.samples, test_samples=p.test_samples,
                            chi_fraction=p.chi_fraction, bin_atoms=lb["bin_atoms"],
                            min_bins=lb["min_bins"],
                            correlation_samples=lb["correlation_samples"], learned=learned)
    with atomic_path(job.output.markdown) as tmp:
        tmp.write_text(leaderboard_markdown(board, note=note))


def fig_leaderboard(job: Job) -> None:
    """The leaderboard figure (:func:`igd.descriptors.figures.fig_leaderboard`).

    input ``table``; output ``figure``."""
    plot_leaderboard(read_table(job.input.table), job.output.figure)


def fig_entropy(job: Job) -> None:
    """S(t) along the 700 K run (:func:`igd.descriptors.figures.fig_entropy`).

    inputs ``entropy`` (one per sample); params ``samples``; output ``figure``."""
    plot_entropy({s: read_table(f) for s, f in zip(job.params.samples, job.input.entropy)},
                 job.output.figure)
