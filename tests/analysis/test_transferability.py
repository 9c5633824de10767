"""Fig. 14 data (igd.analysis.transferability) on synthetic per-atom data with known answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import assert_png
from igd.dynamics.correlators import Moments
from igd.analysis.transferability import (group_reduced_vdos, pooled_atoms, transferability,
                                 vdos_matrix)


def test_group_reduced_vdos_means_and_skips_negative_groups():
    nu = np.array([0.0, 1.0, 2.0])
    g = np.array([[1.0, 1.0, 4.0], [3.0, 3.0, 8.0], [5.0, 5.0, 5.0], [100.0, 100, 100]])
    out = group_reduced_vdos(nu, g, np.array([0, 0, 1, -1]))
    a = out[out["group"] == 0]
    assert a["n"].iloc[0] == 2
    assert np.isnan(a["g_over_nu2"].iloc[0])                  # ν = 0
    assert np.allclose(a["g_over_nu2"].iloc[1:], [2.0, 6.0 / 4])
    assert np.allclose(out[out["group"] == 1]["g_over_nu2"].iloc[1:], [5.0, 1.25])
    assert set(out["group"]) == {0, 1}
    with pytest.raises(ValueError):
        group_reduced_vdos(nu, g[:, :2], np.zeros(4, int))


def synthetic(n=400, seed=0):
    rng = np.random.default_rng(seed)
    igd = rng.permutation(np.linspace(-2, 2, n))
    t = np.logspace(-2, 1, 12)
    # displacements grow with IGD: |Δr| = 0.07 (3 + igd) √t ≤ 1.1 Å (q|Δr| < π: F_s monotonic)
    d = rng.normal(size=(n, 1, 3))
    d /= np.linalg.norm(d, axis=2, keepdims=True)
    disp = d * (0.07 * (3 + igd)[:, None, None] * np.sqrt(t)[None, :, None])
    nu = np.linspace(0.1, 5, 50)
    g = np.outer(1 + igd + 2.5, nu ** 2)                    # g_i/ν² = igd + 3.5, flat
    return igd, 2 * igd + 1, nu, g, t, Moments.from_displacements(disp, 2.7)


def test_transferability_groups_bins_and_orderings():
    igd, i_bp, nu, g, t, mom = synthetic()
    igd[:7] = np.nan                                        # no IGD: left out
    table, units = transferability(igd, i_bp=i_bp, nu=nu, g_atoms=g, t=t, moments=mom,
                                   n_groups=4, n_scalar_groups=8, bin_fraction=0.025,
                                   bin_min_atoms=5)
    assert set(units) == set(table.columns) and units["msd"] == "Angstrom^2"
    v = table[table["kind"] == "vdos"]
    per = v.groupby("group").agg(n=("n", "first"), igd=("igd_mean", "first"),
                                 r=("g_over_nu2", "mean"))
    assert per["n"].sum() == 393 and per["n"].max() - per["n"].min() <= 1
    assert np.allclose(per["r"], per["igd"] + 3.5)          # mean of a linear function
    assert (np.diff(per["igd"]) > 0).all()
    ib = table[table["kind"] == "ibp"]
    assert len(ib) == 40 and ib["n"].min() >= 9             # 393 atoms / 40 bins
    assert np.allclose(ib["I_BP_mean"], 2 * ib["igd_mean"] + 1)
    assert (ib["igd_min"].to_numpy()[1:] >= ib["igd_max"].to_numpy()[:-1]).all()
    dyn = table[table["kind"] == "dynamics"]
    last = dyn[dyn["t"] == t[-1]].sort_values("group")
    assert (np.diff(last["msd"]) > 0).all() and (np.diff(last["fs"]) < 0).all()
    sc = table[table["kind"] == "scalars"].sort_values("group")
    assert len(sc) == 8 and (np.diff(sc["fs_end"]) < 0).all()
    reached = sc["tau_reached"].astype(bool).to_numpy()
    tau = sc["tau_alpha"].to_numpy()
    assert reached.any() and (np.diff(tau[reached]) < 0).all()   # faster at high IGD


def test_bin_min_atoms_raises_bin_size():
    igd, i_bp, nu, g, t, mom = synthetic(n=200)
    table, _ = transferability(igd, i_bp=i_bp, nu=nu, g_atoms=g, t=t, moments=mom,
                               n_groups=2, n_scalar_groups=2, bin_fraction=0.025,
                               bin_min_atoms=20)
    ib = table[table["kind"] == "ibp"]
    assert len(ib) == 10 and (ib["n"] == 20).all()


def tables(igd, i_bp, nu, g, mom, ids):
    vd = pd.DataFrame({"id": np.repeat(ids, nu.size), "nu": np.tile(nu, ids.size),
                       "g": g.ravel()})
    return (pd.DataFrame({"id": ids, "I_BP": i_bp}), vd,
            (ids, mom))


def test_pooled_atoms_aligns_ids_across_tables():
    igd, i_bp, nu, g, t, mom = synthetic(n=20)
    ids = np.arange(1, 21)
    hb, vd, dyn = tables(igd, i_bp, nu, g, mom, ids)
    shuffled = np.random.default_rng(1).permutation(20)
    igd_table = pd.DataFrame({"sample": "s0", "id": ids[shuffled], "igd": igd[shuffled]})
    # one sample, every table in a different order
    p_igd, p_ibp, p_nu, p_g, p_disp = pooled_atoms(
        igd_table, ["s0"], [hb.iloc[::-1]], [vd.sample(frac=1, random_state=2)],
        [(dyn[0][shuffled], dyn[1].select(shuffled))])
    assert np.allclose(p_igd, igd) and np.allclose(p_ibp, 2 * igd + 1)
    assert np.allclose(p_g, g) and np.allclose(p_nu, nu)
    assert np.allclose(p_disp.r2, dyn[1].r2) and np.allclose(p_disp.fs, dyn[1].fs)
    ids_v, nu_v, g_v = vdos_matrix(vd)
    assert np.array_equal(ids_v, ids) and g_v.shape == (20, nu.size)
    with pytest.raises(ValueError, match="atom ids of I_BP"):
        pooled_atoms(igd_table, ["s0"], [hb.iloc[1:]], [vd], [dyn])


def test_fig14_png(tmp_path):
    from igd.analysis.figures import fig14_transferability

    igd, i_bp, nu, g, t, mom = synthetic()
    table, _ = transferability(igd, i_bp=i_bp, nu=nu, g_atoms=g, t=t, moments=mom)
    fig14_transferability(table, tmp_path / "f.png", t_max=float(t[-1]), sample_set="test")
    assert_png(tmp_path / "f.png")
    slow = table.copy()
    slow["tau_reached"] = False                              # panel (f) fallback
    fig14_transferability(slow, tmp_path / "g.png", t_max=float(t[-1]))
    assert_png(tmp_path / "g.png")
