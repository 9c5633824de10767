"""The leaderboard's descriptor catalogue (igd.descriptors.catalogue), its per-atom table
(igd.descriptors.per_atom) and note (igd.descriptors.leaderboard) on a tiny sample."""

import math

import numpy as np
import pandas as pd
import pytest

from igd.descriptors.catalogue import COMPANION, descriptor_catalogue
from igd.descriptors.leaderboard import leaderboard_note
from igd.descriptors.per_atom import mean_barrier, sample_atoms

MODELS = ["all", "G", "S2"]
TEMPERATURES = ["100", "300"]


def tiny_sample(sample="s0", descriptor_columns=tuple(COMPANION)):
    """Three atoms (ids 3, 1, 2: inputs in different orders) of ``sample``."""
    atoms = pd.DataFrame({"id": [1, 2, 3], "type": [1, 2, 1], "x": [0.0, 1.0, 2.0],
                          "y": [0.0, 0.0, 0.0], "z": [0.5, 0.5, 0.5], "vx": [9.0, 9, 9]})
    labels = pd.DataFrame({"id": [3, 2, 1], "rearranged": [True, False, False],
                           "D2min": [1.0, 0.1, 0.2]})
    barriers = pd.DataFrame({"id": [1, 2, 3], "dQ_0": [1.0, np.nan, np.inf],
                             "dQ_1": [3.0, np.nan, 0.5], "n_events": [2, 0, 1]})
    hessian = pd.DataFrame({"id": [2, 3, 1], "I_BP": [0.2, 0.3, 0.1], "p_1pct": 0.0})
    igd = pd.DataFrame({"sample": [sample, sample, "other"], "id": [1, 3, 2],
                        "label": [0, 1, 0], "train": True, "test": False,
                        "igd": [-1.0, 2.0, 5.0], "igd_G": [0.1, 0.3, 0.0],
                        "igd_S2": [0.0, 0.0, 0.0]})
    des = pd.DataFrame({"id": [3, 1, 2], "type": [1, 1, 2], "vmsd": 0.01,
                        "S2_3.9": [-1.0, -2.0, -3.0]})
    for k, c in enumerate(descriptor_columns):
        des[c] = float(k)
    vmsd = {T: pd.DataFrame({"id": [2, 1, 3], "vmsd": [0.02, 0.01, 0.03], "extra": 0})
            for T in TEMPERATURES}
    return {"atoms": atoms, "labels": labels, "barriers": barriers, "hessian": hessian,
            "igd": igd, "descriptors": des, "vmsd": vmsd}


def test_mean_barrier_ignores_non_finite_entries():
    b = tiny_sample()["barriers"]
    got = mean_barrier(b)
    assert got[0] == pytest.approx(2.0)          # (1 + 3) / 2
    assert math.isnan(got[1])                    # no finite barrier
    assert got[2] == pytest.approx(0.5)          # inf ignored
    assert "n_events" in b and got.shape == (3,)  # only the dQ_ columns count


def test_sample_atoms_merges_every_input_on_the_id():
    df = sample_atoms("s0", **tiny_sample())
    assert list(df.columns) == (
        ["sample", "id", "type", "x", "y", "z", "rearranged", "mean_dQ", "I_BP",
         "igd", "igd_G", "igd_S2", "S2_3.9", *COMPANION, "vmsd_100K", "vmsd_300K"])
    assert (df["sample"] == "s0").all() and list(df["id"]) == [1, 2, 3]
    np.testing.assert_array_equal(df["rearranged"], [False, False, True])
    np.testing.assert_allclose(df["mean_dQ"], [2.0, np.nan, 0.5])
    np.testing.assert_allclose(df["I_BP"], [0.1, 0.2, 0.3])
    np.testing.assert_allclose(df["igd"], [-1.0, np.nan, 2.0])   # atom 2: other sample
    np.testing.assert_allclose(df["S2_3.9"], [-2.0, -3.0, -1.0])
    np.testing.assert_allclose(df["vmsd_300K"], [0.01, 0.02, 0.03])


def test_sample_atoms_rejects_an_atom_twice():
    t = tiny_sample()
    t["hessian"] = pd.concat([t["hessian"], t["hessian"].iloc[:1]])
    with pytest.raises(pd.errors.MergeError):
        sample_atoms("s0", **t)


def test_catalogue_of_the_merged_table():
    df = sample_atoms("s0", **tiny_sample())
    desc = descriptor_catalogue(MODELS, TEMPERATURES, df.columns)
    assert list(desc) == ["igd", "igd_G", "igd_S2", "mean_dQ", "vmsd_100K", "vmsd_300K",
                          "I_BP", *COMPANION, "S2_3.9"]
    assert desc["mean_dQ"][1] == -1 and desc["f5"][1] == -1 and desc["SF"][1] == 1
    assert desc["vmsd_300K"] == ("vMSD at 300 K (Å²)", 1)
    assert desc["S2_3.9"] == ("S2 at r_c = 3.9 Å (004), k_B", 1)
    assert desc["igd_G"] == ("SVM on the G family alone (paper 001 Fig. 12)", 1)
    assert all(s in (1, -1) for _, s in desc.values())


def test_missing_descriptor_column_is_named():
    cols = [c for c in COMPANION if c != "S_voro"]
    df = sample_atoms("s0", **tiny_sample(descriptor_columns=cols))
    with pytest.raises(ValueError, match="S_voro") as err:
        descriptor_catalogue(MODELS, TEMPERATURES, df.columns)
    assert "SF" not in str(err.value)
    with pytest.raises(ValueError, match="igd_dQ"):
        descriptor_catalogue([*MODELS, "dQ"], TEMPERATURES, df.columns)


def test_leaderboard_note():
    t = tiny_sample()
    per_atom = pd.concat([sample_atoms(s, **t) for s in ("s0", "s1")], ignore_index=True)
    note = leaderboard_note(per_atom, samples=["s0", "s1"], test_samples=["s1"],
                            chi_fraction=0.05, bin_atoms=200, min_bins=5,
                            correlation_samples="all")
    assert note.startswith("Descriptor leaderboard: 2 samples × 3 atoms; AUC and χ "
                           "(top/bottom 5 %)")
    assert "held-out sample(s) s1 (3 atoms)" in note
    assert "(≈200 atoms per bin, ≥ 5 bins, per species)" in note
    assert "on all samples;" in note
