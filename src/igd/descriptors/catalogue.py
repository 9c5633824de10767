"""The descriptors scored by the leaderboard: column → (description, sign).

``sign`` (+1 or −1) orients each descriptor so that larger = more defect-like
(:mod:`igd.descriptors.leaderboard`). The catalogue is the IGD SVM and its single-family
SVMs (paper 001), the mean ARTn barrier, the vMSD at every temperature, I_BP (paper 003),
the companion-paper descriptors of :mod:`igd.descriptors.local` (:data:`COMPANION`) and S2
at paper 004's cutoffs (the ``S2_<rc>`` columns present).
"""

from __future__ import annotations

from typing import Iterable, Sequence

from igd.learning.features import vmsd_column

Catalogue = dict[str, tuple[str, int]]
"""{column: (description, sign ±1)}, in leaderboard order."""

COMPANION: Catalogue = {
    "vflex_002": ("v_flex = vMSD·a_i, a_i mean Voronoi-neighbour distance (002)", 1),
    "vflex_004": ("v_flex = vMSD/a_i²·Ω_i, a_i = Ω_i^(1/3) (004)", 1),
    "p_1pct": ("participation in the lowest 1 % of modes (002)", 1),
    "p_025pct": ("participation in the lowest 0.25 % of modes (004)", 1),
    "SF": ("structural flexibility ωᵀx, linear L2-loss SVR (002)", 1),
    "S_voro": ("time-relevant Voronoi-index Shannon entropy, 700 K (003)", 1),
    "f5": ("local five-fold symmetry n5/Σn_k (004 baseline)", -1),
}
"""The companion papers' descriptors of the ``descriptors.parquet`` tables."""

SELF_TARGETS = {"mean_dQ": "dQ", "I_BP": "IBP"}
"""Descriptors that are themselves a correlation target of the leaderboard."""


def descriptor_catalogue(models: Sequence[str], temperatures: Sequence[str | float],
                         columns: Iterable[str]) -> Catalogue:
    """The catalogue for the IGD ``models`` (``"all"`` is the IGD itself, the others its
    single-family SVMs ``igd_<model>``), the vMSD ``temperatures`` (K) and the per-atom
    table's ``columns`` (which give the ``S2_<rc>`` entries).

    Raises ValueError naming every catalogued column missing from ``columns``.
    """
    columns = list(columns)
    desc: Catalogue = {"igd": ("IGD SVM, all four families (paper 001)", 1)}
    desc.update({f"igd_{m}": (f"SVM on the {m} family alone (paper 001 Fig. 12)", 1)
                 for m in models if m != "all"})
    desc["mean_dQ"] = ("mean ARTn barrier ΔQ (eV)", -1)
    desc.update({vmsd_column(T): (f"vMSD at {T} K (Å²)", 1) for T in temperatures})
    desc["I_BP"] = ("per-atom boson-peak intensity (paper 003)", 1)
    desc.update(COMPANION)
    desc.update({c: (f"S2 at r_c = {c[3:]} Å (004), k_B", 1)
                 for c in columns if c.startswith("S2_")})
    missing = [c for c in desc if c not in columns]
    if missing:
        raise ValueError(f"descriptor columns missing from the inputs: {missing}")
    return desc


def learned_descriptors(catalogue: Iterable[str]) -> list[str]:
    """The catalogue's columns fitted on the training samples: the IGD SVM, its
    single-family SVMs and SF (an SVR). Their ξ on training atoms is partly fitted, so the
    leaderboard takes it on the held-out samples (``learning.analysis.xi_learned_samples``).
    """
    return [c for c in catalogue if c == "igd" or c.startswith("igd_") or c == "SF"]
