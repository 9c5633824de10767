"""Per-atom descriptors of the companion papers (PROTOCOL §10, papers 002–004).

The per-sample driver (:func:`local_descriptors`) over the concept modules
:mod:`~igd.descriptors.voronoi` (cells, index, f5, a_i), :mod:`~igd.descriptors.flexibility`
(the two v_flex forms), :mod:`~igd.descriptors.entropy` (S_voro along the 700 K run) and
:mod:`~igd.descriptors.sf` (radial features; SF itself is fitted over all samples by
:func:`~igd.descriptors.sf.add_structural_flexibility`). Columns of its table:

=================== ============================================================ ======
column              meaning                                                       unit
=================== ============================================================ ======
``voro_volume``     Voronoi volume Ω_i of the inherent structure (IS)             Å³
``a_nn``            a_i of paper 002: mean distance to the Voronoi neighbours     Å
``vflex_002``       v_flex,i = vMSD_i(T) · a_i (paper 002, Eq. 1)                 Å³
``vflex_004``       v_flex,i = vMSD_i(T) / a_i² · Ω_i, a_i = Ω_i^{1/3} (paper 004) Å³
``p_1pct``          participation in the lowest 1 % of modes (002; Hessian stage) —
``p_025pct``        participation in the lowest 0.25 % of modes (004)             —
``SF``              structural flexibility ωᵀx_i (paper 002, :mod:`.sf`)          —
``S_voro``          time-relevant Shannon entropy of the Voronoi index (003)      —
``n_voro_states``   distinct ⟨n3,n4,n5,n6⟩ visited along the 700 K run            —
``f5``              local five-fold symmetry n5 / Σ_k n_k of the IS cell (004)    —
``n3 … n6``         Voronoi index of the IS                                       —
``S2_<rc>``         two-body excess entropy at paper 004's cutoffs                k_B
=================== ============================================================ ======
"""

from __future__ import annotations

import logging
import time
from typing import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from igd.common.datafile import read_lammps_data
from igd.descriptors.entropy import Frames, entropy_along_run
from igd.descriptors.flexibility import flexibility_volume, flexibility_volume_voronoi
from igd.descriptors.sf import radial_columns, species_radial_features
from igd.descriptors.voronoi import (VORONOI_ORDERS, VoronoiCells, five_fold_fraction,
                                     mean_neighbor_distance, voronoi_cells, voronoi_index)
from igd.structure.features import s2_column, structure_features

log = logging.getLogger(__name__)

PAPER004_S2_CUTOFFS = (3.9, 6.4, 8.8, 11.2)
"""Å, the four cutoffs of S2 in paper 004 (1st–4th troughs of g(r))."""

UNITS: dict[str, str] = {
    "id": "", "type": "", "voro_volume": "Angstrom^3", "a_nn": "Angstrom",
    "a_voro": "Angstrom", "vmsd": "Angstrom^2", "vflex_002": "Angstrom^3",
    "vflex_004": "Angstrom^3", "p_1pct": "", "p_025pct": "", "SF": "",
    "ln_vflex": "", "S_voro": "", "n_voro_states": "", "f5": "", "n3": "", "n4": "",
    "n5": "", "n6": "", "coordination": "",
}


def voronoi_table(frame, **thresholds) -> tuple[pd.DataFrame, VoronoiCells]:
    """Voronoi columns of the IS ``frame`` (:class:`igd.common.datafile.Frame`):
    ``id, type, voro_volume`` (Å³), ``a_nn``, ``a_voro`` (Å), ``coordination``,
    ``n3 … n6``, ``f5``; one row per atom in the frame's order. ``thresholds`` as
    :func:`igd.descriptors.voronoi.voronoi_cells`. Returns ``(table, cells)``."""
    t0 = time.perf_counter()
    vc = voronoi_cells(frame.positions, frame.cell, frame.origin, **thresholds)
    idx4 = voronoi_index(vc.index)
    table = pd.DataFrame({"id": frame.ids, "type": frame.types, "voro_volume": vc.volume,
                          "a_nn": mean_neighbor_distance(len(frame.ids), vc.bond_i,
                                                         vc.bond_j, vc.bond_dist),
                          "a_voro": np.cbrt(vc.volume),
                          "coordination": vc.coordination})
    for c, k in enumerate(VORONOI_ORDERS):
        table[f"n{k}"] = idx4[:, c]
    table["f5"] = five_fold_fraction(vc.index)
    log.info("Voronoi of the IS: %.2f s, volume sum %.1f of %.1f Å³",
             time.perf_counter() - t0, vc.volume.sum(), frame.volume)
    return table, vc


def local_descriptors(data_file, *, vmsd: pd.DataFrame, hessian_atoms: pd.DataFrame,
                      frames: Frames | None = None, s2_rcs: Sequence[float],
                      s2_sigma: float, s2_dr: float, kernel_truncate: float = 5.0,
                      radial_r: Sequence[float], radial_sigma: float, radial_cutoff: float,
                      elements: Sequence[str] = ("Cu", "Zr"), edge_threshold: float = 0.0,
                      face_threshold: float = 0.0, relative_face_threshold: float = 0.0,
                      entropy_thresholds: Mapping[str, float] | None = None
                      ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict[str, str]]:
    """Stage driver: every per-atom descriptor of one sample except SF.

    ``data_file`` the IS (LAMMPS data); ``vmsd`` table ``id, vmsd`` (Å², at the v_flex
    temperature); ``hessian_atoms`` ``id, p_1pct, p_025pct`` (passed through);
    ``frames`` the uniformly sampled 700 K run (:class:`igd.descriptors.entropy.Frames`)
    for S_voro with the Voronoi ``entropy_thresholds`` (default: those of the IS) — None
    skips the entropy (NaN). The IS's Voronoi columns use ``edge_threshold`` (Å),
    ``face_threshold`` (Å²), ``relative_face_threshold``. S2 at ``s2_rcs`` (Å)
    with smearing ``s2_sigma`` and grid ``s2_dr`` (Å) as the structure stage. Radial
    features for SF on ``radial_r`` (Å), width ``radial_sigma``, cutoff ``radial_cutoff``.

    Returns ``(table, radial, entropy_t, units)``: ``table`` one row per atom by id
    (columns in the module docstring, with ``ln_vflex`` = ln vflex_002, the SF target);
    ``radial`` ``id, type, Gs_<el>_<r>…``; ``entropy_t`` ``t, S_mean, S_mean_<el>`` (the
    atom-averaged S(t)).
    """
    thresholds = {"edge_threshold": edge_threshold, "face_threshold": face_threshold,
                  "relative_face_threshold": relative_face_threshold}
    frame = read_lammps_data(data_file)
    ids, types = frame.ids, frame.types
    species = list(range(1, len(elements) + 1))
    table, vc = voronoi_table(frame, **thresholds)

    v = vmsd.set_index("id")["vmsd"].reindex(ids).to_numpy(dtype=float)
    table["vmsd"] = v
    table["vflex_002"] = flexibility_volume(v, table["a_nn"].to_numpy())
    table["vflex_004"] = flexibility_volume_voronoi(v, vc.volume)
    with np.errstate(divide="ignore", invalid="ignore"):
        table["ln_vflex"] = np.log(table["vflex_002"].to_numpy())
    h = hessian_atoms.set_index("id").reindex(ids)
    for col in ("p_1pct", "p_025pct"):
        table[col] = h[col].to_numpy(dtype=float) if col in h.columns else np.nan

    # S2 at paper 004's cutoffs, same estimator as the structure stage
    rcs = [float(x) for x in s2_rcs]
    s2 = structure_features(frame.positions, frame.cell, types, origin=frame.origin,
                            mus=[], L=1.0, g_cutoff=max(rcs) + kernel_truncate * s2_sigma,
                            s2_rcs=rcs, sigma=s2_sigma, dr=s2_dr,
                            kernel_truncate=kernel_truncate, species=species)
    for c in s2.columns:
        table[c] = s2[c].to_numpy()

    # time-relevant Shannon entropy along the 700 K run
    entropy_t = pd.DataFrame({"t": [], "S_mean": []})
    table["S_voro"] = np.nan
    table["n_voro_states"] = np.nan
    if frames is not None:
        table["S_voro"], table["n_voro_states"], entropy_t = entropy_along_run(
            frames, ids, types, elements=elements, **(entropy_thresholds or thresholds))

    rad = species_radial_features(frame.positions, frame.cell, types, r_grid=radial_r,
                                  sigma=radial_sigma, cutoff=radial_cutoff,
                                  species=species, origin=frame.origin)
    radial = pd.DataFrame(rad, columns=radial_columns(radial_r, elements))
    radial.insert(0, "type", types)
    radial.insert(0, "id", ids)
    units = {**UNITS, **{c: "kB" for c in s2.columns}, **{c: "" for c in radial.columns},
             "t": "ps", **{c: "" for c in entropy_t.columns if c != "t"}}
    return table, radial, entropy_t, units


def s2_columns(rcs: Iterable[float]) -> list[str]:
    """Names ``S2_<rc>`` of the S2 columns (as :func:`igd.structure.features.s2_column`)."""
    return [s2_column(float(x)) for x in rcs]
