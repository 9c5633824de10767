"""The science of rule analysis (igd.analysis.igd_field) on analytic cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from igd.analysis.correlation import rank_bins
from igd.analysis.igd_field import (atom_sets, binned_dd2min_table, field_atoms,
                                    group_partial_rdfs, p_active_table, pool_partial_rdfs)

TYPES = {1: "Cu", 2: "Zr"}


def partials(sample: str, group: str, g: float, n_cu: int, n_zr: int) -> pd.DataFrame:
    """Two r bins of constant partials: g, g_CuX = 2g, g_ZrX = 3g (NaN without Zr centres)."""
    zr = np.nan if n_zr == 0 else 3 * g
    return pd.DataFrame({"r": [0.5, 1.5], "g": g, "g_CuCu": 2 * g, "g_CuZr": 2 * g,
                         "g_ZrCu": zr, "g_ZrZr": zr, "group": group, "sample": sample,
                         "n_centers": n_cu + n_zr, "n_Cu": n_cu, "n_Zr": n_zr})


def test_pool_partial_rdfs_weights_by_centres_of_the_first_type():
    raw = pd.concat([partials("s0", "bottom", 1.0, 2, 0), partials("s0", "top", 4.0, 1, 1),
                     partials("s1", "bottom", 2.0, 1, 2), partials("s1", "top", 1.0, 0, 3)],
                    ignore_index=True)
    out = pool_partial_rdfs(raw, TYPES)
    assert list(out["group"].unique()) == ["bottom", "top"]      # order of appearance
    assert list(out.columns) == ["group", "r", "g", "g_CuCu", "g_CuZr", "g_ZrCu", "g_ZrZr",
                                 "n_centers"]
    b, t = out[out["group"] == "bottom"], out[out["group"] == "top"]
    assert b["r"].tolist() == [0.5, 1.5]
    # total g by centres: bottom (2·1 + 3·2)/5, top (2·4 + 3·1)/5
    np.testing.assert_allclose(b["g"], 8 / 5)
    np.testing.assert_allclose(t["g"], 11 / 5)
    # g_Cu* by Cu centres: bottom (2·2 + 1·4)/3, top (1·8 + 0·2)/1
    np.testing.assert_allclose(b["g_CuZr"], 8 / 3)
    np.testing.assert_allclose(t["g_CuCu"], 8.0)
    # g_Zr* by Zr centres; s0's NaN (no Zr centre) weighs nothing: bottom 6, top (12 + 9)/4
    np.testing.assert_allclose(b["g_ZrCu"], 6.0)
    np.testing.assert_allclose(t["g_ZrZr"], 21 / 4)
    assert b["n_centers"].tolist() == [5, 5] and t["n_centers"].tolist() == [5, 5]


def test_pool_partial_rdfs_without_centres_of_a_type_is_nan():
    raw = pd.concat([partials("s0", "top", 1.0, 2, 0), partials("s1", "top", 3.0, 2, 0)],
                    ignore_index=True)
    out = pool_partial_rdfs(raw, TYPES)
    assert out["g_ZrCu"].isna().all() and out["g_ZrZr"].isna().all()
    np.testing.assert_allclose(out["g"], 2.0)
    np.testing.assert_allclose(out["g_CuCu"], 4.0)


def test_group_partial_rdfs_takes_the_extreme_igd_atoms():
    rng = np.random.default_rng(4)
    n, box = 200, 12.0
    pos = rng.random((n, 3)) * box
    types = np.where(np.arange(n) < 150, 1, 2)
    igd = np.linspace(-1, 1, n)                  # top 10 %: the last 20 atoms (all Zr)
    raw = group_partial_rdfs(pos, np.eye(3) * box, types, igd, fraction=0.1, r_max=5.0,
                             dr=0.5, type_names=TYPES, sample="s7")
    bottom, top = raw[raw["group"] == "bottom"], raw[raw["group"] == "top"]
    assert len(bottom) == len(top) == 10
    assert (raw["n_centers"] == 20).all() and (raw["sample"] == "s7").all()
    assert (bottom["n_Cu"] == 20).all() and (bottom["n_Zr"] == 0).all()
    assert (top["n_Cu"] == 0).all() and (top["n_Zr"] == 20).all()
    assert 0.6 < top.loc[top["r"] > 3, "g"].mean() < 1.4          # ideal gas: g ≈ 1


def test_field_atoms_joins_and_drops_non_finite():
    atoms = pd.DataFrame({"id": [3, 1, 2], "type": [1, 2, 1], "x": 0.0, "y": 0.0, "z": 0.0})
    labels = pd.DataFrame({"id": [1, 2, 3], "dd2min_max": [0.1, np.nan, 0.3]})
    igd = pd.DataFrame({"sample": ["s0", "s0", "s1", "s1"], "id": [1, 3, 1, 2],
                        "igd": [1.0, -1.0, 5.0, 6.0], "test": False})
    df = field_atoms(atoms, labels, igd, "s0", ["dd2min", "igd"])
    assert sorted(df["id"]) == [1, 3] and (df["sample"] == "s0").all()
    assert df.set_index("id").loc[3, "dd2min"] == 0.3 and df.index.tolist() == [0, 1]
    # an atom without a row in the IGD table is left out
    assert field_atoms(atoms, labels.fillna(0.2), igd, "s0", ["igd"])["id"].tolist() == [3, 1]


def test_p_active_and_binned_tables_per_set():
    n = 40
    atoms = pd.DataFrame({"dd2min": np.logspace(-3, 0, n), "igd": np.linspace(-1, 1, n),
                          "test": np.arange(n) < 10})
    sets = atom_sets(atoms)
    assert len(sets["test"]) == 10 and len(sets["all"]) == n
    pa = p_active_table(sets, np.array([1e-3, 1e-2, 1e-1, 1.0 + 1e-9]))
    assert pa["set"].tolist() == ["test"] * 3 + ["all"] * 3
    assert pa.loc[pa["set"] == "all", "n"].sum() == n
    assert pa.loc[pa["set"] == "test", "fraction"].iloc[0] == 0.0      # lowest ΔD²min: IGD < 0
    assert pa["fraction"].iloc[-1] == 1.0
    b = binned_dd2min_table(sets, 0.0025, 5)
    # 400 bins asked; at least 5 atoms per bin: 2 bins of the test set, 8 of all
    assert (b["set"] == "test").sum() == rank_bins(10, 0.0025, 5) == 2
    assert (b["set"] == "all").sum() == 8 and (b["n"] == 5).all()
    assert list(b.columns) == ["set", "bin", "n", "igd_mean", "igd_min", "igd_max",
                               "dd2min_mean", "dd2min_std", "dd2min_sem"]
    assert b.loc[b["set"] == "all", "dd2min_mean"].is_monotonic_increasing  # both rise
    first = atoms.iloc[:5]
    assert b.iloc[0]["dd2min_mean"] == pytest.approx(first["dd2min"].mean())
    # an empty set is skipped
    assert set(binned_dd2min_table({"test": atoms.iloc[:0], "all": atoms}, 0.1, 5)["set"]) \
        == {"all"}
