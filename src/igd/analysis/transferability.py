"""Transferability of the IGD to vibrations and 700 K dynamics (paper 001 Fig. 14).

* :func:`vdos_matrix`: the per-atom VDOS N·g_i(ν) of every atom (rule ``hessian``'s
  ``atom_vdos.parquet``, :func:`igd.hessian.vdos.atom_vdos_table`) as an (N, K) array.
* :func:`group_reduced_vdos`: reduced VDOS ⟨N·g_i(ν)⟩/ν² averaged over atom groups.
* :func:`transferability` (driver of rule ``fig14``): atoms grouped by IGD rank → reduced
  VDOS, MSD / α2 / F_s (700 K) per group, α2max and τ_α per (finer) group, and I_BP in
  IGD bins of a fixed fraction of the atoms; one long table with a ``kind`` column.

Units: ν in THz, g in 1/THz (N·g_i sums to N·g, so its atom mean is the total g(ν)),
g/ν² in 1/THz³, t in ps, MSD in Å², I_BP in 1/THz³; IGD dimensionless.
"""

from __future__ import annotations

import logging
from typing import Sequence

import numpy as np
import pandas as pd

from igd.analysis.correlation import binned_by_rank, group_by_rank, rank_bins
from igd.dynamics.correlators import Moments, group_dynamics

log = logging.getLogger(__name__)

UNITS: dict[str, str] = {
    "kind": "", "group": "", "n": "", "igd_mean": "", "igd_min": "", "igd_max": "",
    "nu": "THz", "g_over_nu2": "1/THz^3", "t": "ps", "msd": "Angstrom^2", "alpha2": "",
    "fs": "", "I_BP_mean": "1/THz^3", "I_BP_sem": "1/THz^3", "tau_alpha": "ps",
    "tau_reached": "", "alpha2_max": "", "t_alpha2_max": "ps", "fs_end": ""}
"""Units of the columns of :func:`transferability`'s table."""


def vdos_matrix(table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ids, nu, g (N, K)) from a per-atom VDOS table (:func:`igd.hessian.vdos.atom_vdos_table`)."""
    wide = table.pivot(index="id", columns="nu", values="g").sort_index()
    return wide.index.to_numpy(), wide.columns.to_numpy(float), wide.to_numpy(float)


def group_reduced_vdos(nu: np.ndarray, g_atoms: np.ndarray,
                       groups: np.ndarray) -> pd.DataFrame:
    """Reduced VDOS per group: mean over the group's atoms of g_i(ν)/ν².

    ``g_atoms`` (N, K) per-atom VDOS on ``nu`` (K,) (normalised as N·g_i, 1/THz);
    ``groups`` (N,) integer group of each atom (negative = left out). Returns ``group, n,
    nu, g_over_nu2`` (1/THz³; NaN at ν = 0).
    """
    nu = np.asarray(nu, dtype=float)
    g_atoms = np.asarray(g_atoms, dtype=float)
    groups = np.asarray(groups)
    if g_atoms.shape != (groups.size, nu.size):
        raise ValueError(f"g_atoms {g_atoms.shape} does not match ({groups.size}, {nu.size})")
    rows = []
    with np.errstate(divide="ignore", invalid="ignore"):
        inv_nu2 = np.where(nu > 0, 1.0 / nu ** 2, np.nan)
    for k in np.unique(groups[groups >= 0]):
        sel = groups == k
        rows.append(pd.DataFrame({"group": int(k), "n": int(sel.sum()), "nu": nu,
                                  "g_over_nu2": g_atoms[sel].mean(axis=0) * inv_nu2}))
    return pd.concat(rows, ignore_index=True)


def _igd_stats(igd: np.ndarray, groups: np.ndarray) -> pd.DataFrame:
    df = pd.DataFrame({"group": groups, "igd": igd})
    df = df[df["group"] >= 0].groupby("group")["igd"]
    return pd.DataFrame({"n": df.size(), "igd_mean": df.mean(), "igd_min": df.min(),
                         "igd_max": df.max()}).reset_index()


def transferability(igd: np.ndarray, *, i_bp: np.ndarray, nu: np.ndarray,
                    g_atoms: np.ndarray, t: np.ndarray, moments: Moments,
                    n_groups: int = 5, n_scalar_groups: int = 10,
                    bin_fraction: float = 0.025, bin_min_atoms: int = 5,
                    ) -> tuple[pd.DataFrame, dict[str, str]]:
    """Fig. 14 data: atoms (pooled, one row each) grouped by IGD rank.

    Per-atom inputs on the same atoms: ``igd`` (N,), ``i_bp`` (N,) 1/THz³, ``g_atoms``
    (N, K) N·g_i(ν) on ``nu`` (K,) THz, ``moments`` the per-atom origin-averaged
    displacement moments at 700 K (:class:`igd.dynamics.correlators.Moments`, (N, T)) on
    the lags ``t`` (T,) ps. Atoms with a non-finite IGD are left out.

    Returns ``(table, units)``, ``table`` in long form with ``kind``:

    * ``vdos``: ``group, n, igd_*, nu, g_over_nu2`` for ``n_groups`` groups (0 = lowest IGD);
    * ``dynamics``: ``group, n, igd_*, t, msd, alpha2, fs`` for the same groups;
    * ``scalars``: ``group, n, igd_*, tau_alpha, tau_reached, alpha2_max, t_alpha2_max,
      fs_end`` (F_s at the last time) for ``n_scalar_groups`` groups (τ_α NaN where F_s
      stays above 1/e);
    * ``ibp``: ``group, n, igd_*, I_BP_mean, I_BP_sem`` in bins of ``bin_fraction`` of the
      atoms (paper 2.5 %), raised so that each bin has ≥ ``bin_min_atoms`` atoms.
    """
    igd = np.asarray(igd, dtype=float)
    ok = np.isfinite(igd)
    n = int(ok.sum())
    if n < max(n_groups, n_scalar_groups):
        raise ValueError(f"{n} atoms with an IGD for {max(n_groups, n_scalar_groups)} groups")
    igd, i_bp = igd[ok], np.asarray(i_bp, dtype=float)[ok]
    g_atoms, moments = np.asarray(g_atoms, dtype=float)[ok], moments.select(ok)
    parts = []

    groups = group_by_rank(igd, n_groups)
    stats = _igd_stats(igd, groups)
    v = group_reduced_vdos(nu, g_atoms, groups).drop(columns="n").merge(stats, on="group")
    parts.append(v.assign(kind="vdos"))
    curves, _, _ = group_dynamics(t, moments, {k: groups == k for k in range(n_groups)})
    parts.append(curves.merge(stats, on="group").assign(kind="dynamics"))

    fine = group_by_rank(igd, n_scalar_groups)
    fc, summary, _ = group_dynamics(t, moments, {k: fine == k for k in range(n_scalar_groups)})
    summary["fs_end"] = fc.groupby("group")["fs"].last().reindex(summary["group"]).to_numpy()
    summary = summary.drop(columns="n_atoms").merge(_igd_stats(igd, fine), on="group")
    parts.append(summary.assign(kind="scalars"))

    n_bins = rank_bins(n, bin_fraction, bin_min_atoms)
    b = binned_by_rank(igd, i_bp, 1.0 / max(1, n_bins))
    b = b.rename(columns={"bin": "group", "x_mean": "igd_mean", "x_min": "igd_min",
                          "x_max": "igd_max", "y_mean": "I_BP_mean", "y_sem": "I_BP_sem"})
    parts.append(b.drop(columns="y_std").assign(kind="ibp"))

    table = pd.concat(parts, ignore_index=True)
    cols = ["kind", "group", "n", "igd_mean", "igd_min", "igd_max"]
    table = table[cols + [c for c in UNITS if c in table and c not in cols]]
    table["tau_reached"] = table["tau_reached"].astype("boolean")
    log.info("transferability: %d atoms, %d groups, %d scalar groups, %d I_BP bins",
             n, n_groups, n_scalar_groups, n_bins)
    return table, {c: UNITS[c] for c in table.columns}


def pooled_atoms(igd: pd.DataFrame, samples: Sequence[str], i_bp: Sequence[pd.DataFrame],
                 vdos: Sequence[pd.DataFrame],
                 dynamics: Sequence[tuple[np.ndarray, Moments]],
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, Moments]:
    """Align per-sample tables on atom ids and pool the samples.

    ``igd``: the learning table (``sample, id, igd``); per sample the hessian atoms table
    (``id, I_BP``), the per-atom VDOS table (``hessian/atom_vdos.parquet``) and the
    dynamics moments ``(ids, Moments)`` (:func:`igd.dynamics.tables.read_moments`).
    Returns ``(igd, i_bp, nu, g_atoms, moments)`` with one row per pooled atom.
    """
    out_igd, out_ibp, out_g, out_d, nu0 = [], [], [], [], None
    for s, hb, vd, (ids_d, mom) in zip(samples, i_bp, vdos, dynamics):
        ids_g, nu, g = vdos_matrix(vd)
        if nu0 is not None and not np.allclose(nu, nu0):
            raise ValueError(f"{s}: per-atom VDOS grid differs from the first sample's")
        nu0 = nu
        d = igd[igd["sample"] == s].set_index("id")["igd"]
        h = hb.set_index("id")["I_BP"]
        ids = np.sort(ids_d)
        for name, other in (("I_BP", h.index), ("per-atom VDOS", ids_g),
                            ("IGD", d.index)):
            if set(other) != set(ids):
                raise ValueError(f"{s}: atom ids of {name} and the dynamics table differ")
        order_d = np.argsort(ids_d)
        out_igd.append(d.loc[ids].to_numpy(float))
        out_ibp.append(h.loc[ids].to_numpy(float))
        out_g.append(g[np.searchsorted(ids_g, ids)])
        out_d.append(mom.select(order_d))
    return (np.concatenate(out_igd), np.concatenate(out_ibp), nu0, np.concatenate(out_g),
            Moments.concat(out_d))
