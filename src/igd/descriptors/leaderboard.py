"""One leaderboard of per-atom glassy-defect descriptors (PROTOCOL §10, beyond the paper).

Every descriptor is scored on the same atoms by the same numbers:

* ``roc_auc`` and power factor ``chi`` (top / bottom ``chi_fraction``) for the
  rearrangement labels of the held-out sample(s) (:func:`igd.learning.metrics.power_factor`,
  orientation ``"increasing"`` on the oriented descriptor, so χ < 1 and AUC < 0.5 mean
  the descriptor ranks rearranged atoms *low*);
* binned Pearson r with the mean ΔQ and with I_BP, Cu and Zr separately: atoms sorted by
  the descriptor, cut into bins of ≈ ``bin_atoms`` atoms (paper 004: ~200; at least
  ``min_bins`` bins), r between the bin means (:func:`igd.analysis.correlation.binned_by_rank`);
* Spearman ρ with the mean ΔQ and with I_BP over all atoms of the chosen samples;
* correlation length ξ from C(r) ∝ exp(−r/ξ) (:mod:`igd.analysis.correlation`), C(r) per sample,
  pooled by pair counts.

Sign convention: each descriptor is multiplied by its ``sign`` (+1 or −1) first, so
*larger = more defect-like* (more likely to rearrange, lower barrier, softer). E.g. mean
ΔQ and the five-fold fraction f5 enter with −1. Correlations are computed with the oriented
descriptor, so a good descriptor has r, ρ < 0 with the mean ΔQ and > 0 with I_BP.

The per-descriptor numbers are :mod:`igd.descriptors.scoring`; the descriptors scored,
:mod:`igd.descriptors.catalogue`; the per-atom table, :mod:`igd.descriptors.per_atom`.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from igd.analysis.correlation import pooled_correlation_lengths
from igd.descriptors.scoring import binned_pearson, classification_scores, spearman

UNITS: dict[str, str] = {
    "descriptor": "", "source": "", "sign": "", "n_test": "", "roc_auc": "", "chi": "",
    "pearson_dQ_Cu": "", "pearson_dQ_Zr": "", "pearson_IBP_Cu": "", "pearson_IBP_Zr": "",
    "spearman_dQ": "", "spearman_IBP": "", "xi": "Angstrom", "xi_err": "Angstrom",
    "n_corr": "", "reason": "",
}


def build_leaderboard(atoms: pd.DataFrame, descriptors: Mapping[str, tuple[str, int]],
                      boxes: Mapping[str, tuple[np.ndarray, np.ndarray]], *,
                      test_samples: Sequence[str], correlation_samples: str = "all",
                      chi_fraction: float = 0.05, bin_atoms: int = 200, min_bins: int = 5,
                      corr_r_max: float = 10.0, corr_dr: float = 0.1,
                      corr_fit_r_min: float = 2.5, corr_fit_r_max: float = 8.0,
                      elements: Sequence[str] = ("Cu", "Zr"),
                      self_targets: Mapping[str, str] | None = None,
                      learned: Sequence[str] = ()
                      ) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str]]:
    """Driver: the leaderboard of ``descriptors`` on the per-atom table ``atoms``.

    ``atoms``: one row per atom of every sample, columns ``sample, id, type, x, y, z``
    (Å, IS positions), ``rearranged`` (bool), ``mean_dQ`` (eV), ``I_BP`` and one column
    per descriptor. ``descriptors`` {column: (source text, sign ±1)}. ``boxes`` {sample:
    (cell (3, 3), origin (3,)) in Å}. ``test_samples``
    score AUC/χ; ``correlation_samples`` "all" or "test" choose the atoms of the
    correlations and ξ. ``self_targets`` {column: "dQ" | "IBP"} marks a descriptor that
    *is* a target (its correlation with itself is ±1 by construction; stated in
    ``reason``). ``learned`` columns (descriptors fitted on the training samples: the SVMs,
    SF) get their C(r) and ξ from the test samples only (their C(r) on training atoms is
    partly fitted; :func:`igd.analysis.correlation.pooled_correlation_lengths`). Returns ``(board, corr, units)``: one row per descriptor (columns in
    :data:`UNITS`) and the pooled C(r) table.
    """
    self_targets = dict(self_targets or {})
    test = atoms["sample"].isin(list(test_samples)).to_numpy()
    corr_sel = (np.ones(len(atoms), bool) if correlation_samples == "all" else test)
    if correlation_samples not in ("all", "test"):
        raise ValueError("correlation_samples must be 'all' or 'test'")
    sub = atoms[corr_sel]
    types = sub["type"].to_numpy()
    rows = []
    for col, (source, sign) in descriptors.items():
        reasons = []
        x_all = sign * atoms[col].to_numpy(dtype=float)
        auc, chi, n_test, why = classification_scores(
            x_all[test], atoms["rearranged"].to_numpy(bool)[test], chi_fraction)
        if why:
            reasons.append(why)
        x = sign * sub[col].to_numpy(dtype=float)
        row = {"descriptor": col, "source": source, "sign": int(sign), "n_test": n_test,
               "roc_auc": auc, "chi": chi}
        for tname, tcol in (("dQ", "mean_dQ"), ("IBP", "I_BP")):
            y = sub[tcol].to_numpy(dtype=float)
            for k, el in enumerate(elements, start=1):
                r, nb = binned_pearson(x[types == k], y[types == k], bin_atoms=bin_atoms,
                                       min_bins=min_bins)
                row[f"pearson_{tname}_{el}"] = r
                if not np.isfinite(r):
                    reasons.append(f"binned r({tname}, {el}) undefined ({nb} bins)")
            row[f"spearman_{tname}"] = spearman(x, y)
            if self_targets.get(col) == tname:
                reasons.append(f"is the {tname} target itself")
        row["n_corr"] = int(np.isfinite(x).sum())
        if row["n_corr"] == 0:
            reasons.append("no finite value")
        row["reason"] = "; ".join(reasons)
        rows.append(row)
    board = pd.DataFrame(rows)

    samples = [s for s in dict.fromkeys(sub["sample"])]
    fields = {c: [descriptors[c][1] * sub.loc[sub["sample"] == s, c].to_numpy(float)
                  for s in samples] for c in descriptors}
    pos = {s: sub.loc[sub["sample"] == s, ["x", "y", "z"]].to_numpy(float) for s in samples}
    held_out = [k for k, s in enumerate(samples) if s in set(test_samples)]
    corr, fits = pooled_correlation_lengths(fields, [(pos[s], *boxes[s]) for s in samples],
                                            r_max=corr_r_max, dr=corr_dr,
                                            fit_r_min=corr_fit_r_min,
                                            fit_r_max=corr_fit_r_max,
                                            field_samples={c: held_out for c in learned
                                                           if c in descriptors})
    board["xi"] = [fits[c]["xi"] for c in descriptors]
    board["xi_err"] = [fits[c]["xi_err"] for c in descriptors]
    for k, c in enumerate(descriptors):
        if not np.isfinite(board.at[k, "xi"]):
            board.at[k, "reason"] = "; ".join(filter(None, [board.at[k, "reason"],
                                                            "exponential fit of C(r) failed"]))
    board = board[list(UNITS)]
    return board, corr, dict(UNITS)


def leaderboard_markdown(board: pd.DataFrame, *, digits: int = 3,
                         note: str | None = None) -> str:
    """The leaderboard as a GitHub Markdown table (sorted by ROC AUC, NaN last)."""
    b = board.sort_values("roc_auc", ascending=False, na_position="last")
    cols = ["descriptor", "sign", "roc_auc", "chi", "pearson_dQ_Cu", "pearson_dQ_Zr",
            "pearson_IBP_Cu", "pearson_IBP_Zr", "spearman_dQ", "spearman_IBP", "xi",
            "reason"]
    head = ["descriptor", "sign", "AUC", "χ", "r(ΔQ) Cu", "r(ΔQ) Zr", "r(I_BP) Cu",
            "r(I_BP) Zr", "ρ(ΔQ)", "ρ(I_BP)", "ξ (Å)", "note"]

    def fmt(v):
        if isinstance(v, (float, np.floating)):
            if not np.isfinite(v):
                return "∞" if v == np.inf else "—"
            return f"{v:.{digits}f}"
        return str(v).replace("|", "/")

    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for _, r in b.iterrows():
        cells = [f"`{r['descriptor']}`", "+" if r["sign"] > 0 else "−"]
        cells += [fmt(r[c]) for c in cols[2:]]
        lines.append("| " + " | ".join(cells) + " |")
    text = "\n".join(lines) + "\n"
    if note:
        text = note.rstrip() + "\n\n" + text
    return text


def leaderboard_note(per_atom: pd.DataFrame, *, samples: Sequence[str],
                     test_samples: Sequence[str], chi_fraction: float, bin_atoms: int,
                     min_bins: int, correlation_samples: str,
                     learned: Sequence[str] = ()) -> str:
    """The paragraph above the Markdown leaderboard: what was scored on which atoms.

    ``per_atom`` the table of every sample (column ``sample``; equal-sized samples),
    the other arguments as :func:`build_leaderboard`.
    """
    n_test = int(per_atom["sample"].isin(test_samples).sum())
    return (f"Descriptor leaderboard: {len(samples)} samples × "
            f"{len(per_atom) // len(samples)} atoms; AUC and χ (top/bottom "
            f"{100 * chi_fraction:g} %) for rearrangement on the held-out sample(s) "
            f"{', '.join(test_samples)} ({n_test} atoms); binned Pearson r (≈"
            f"{bin_atoms} atoms per bin, ≥ {min_bins} bins, per species) and "
            f"Spearman ρ with the mean ΔQ and I_BP on {correlation_samples} samples; "
            "ξ from C(r) ∝ exp(−r/ξ) pooled over those samples"
            + (f" (for the learned {', '.join(learned)}: over the held-out sample(s) only)"
               if learned else "") + ". Sign: each descriptor is "
            "multiplied by `sign` so that larger = more defect-like (good descriptors: "
            "AUC > 0.5, r/ρ with ΔQ < 0, with I_BP > 0).")
