"""Feature assembly, training protocol and metrics on synthetic data (no LAMMPS)."""

import math

import numpy as np
import pandas as pd
import pytest

from igd.learning.metrics import classification_metrics, power_factor
from igd.learning.features import (FeatureMismatchError, assemble_features, family_columns,
                                   vmsd_column)
from igd.learning.svm import grid_from_range, run_learning, select_training_atoms, train_igd

GRID = dict(log2C_grid=[0.0, 2.0], log2gamma_grid=[-4.0, -2.0], cv_folds=3)


# ------------------------------------------------------------------ power factor χ

def test_power_factor_ratio_of_tail_rates():
    x = np.arange(100.0)
    r = np.zeros(100, dtype=bool)
    r[[95, 96, 97, 99]] = True          # 4 of the top 5
    r[[0, 3]] = True                    # 2 of the bottom 5
    r[50] = True                        # middle atoms do not count
    pf = power_factor(x, r, 0.05)
    assert (pf.n_top, pf.k_top, pf.k_bottom) == (5, 4, 2)
    assert pf.chi == pytest.approx(2.0) and not pf.reciprocal and pf.status == "ok"
    # anti-correlated predictor: the paper's reciprocal rule gives the same χ
    pf_neg = power_factor(-x, r, 0.05)
    assert pf_neg.reciprocal and pf_neg.chi == pytest.approx(2.0)
    # forced orientation gives the plain ratio, < 1 here
    assert power_factor(-x, r, 0.05, orientation="increasing").chi == pytest.approx(0.5)


def test_power_factor_zero_denominator_and_undefined():
    x = np.arange(100.0)
    pf = power_factor(x, x >= 97, 0.05)
    assert math.isinf(pf.chi) and pf.status == "denominator_zero"
    r = np.zeros(100, dtype=bool)
    r[50] = True
    pf = power_factor(x, r, 0.05)
    assert math.isnan(pf.chi) and pf.status == "undefined"


def test_classification_metrics_counts():
    label = np.array([1, 1, 1, -1, -1, -1, -1, -1])
    dec = np.array([2.0, 1.0, -1.0, 0.5, -0.5, -1.0, -2.0, -3.0])
    m = classification_metrics(label, dec, chi_fraction=0.125)
    assert (m["tp"], m["fn"], m["fp"], m["tn"]) == (2, 1, 1, 4)
    assert m["accuracy"] == pytest.approx(6 / 8)
    assert m["recall"] == pytest.approx(2 / 3)
    assert m["precision"] == pytest.approx(2 / 3)
    assert m["balanced_accuracy"] == pytest.approx((2 / 3 + 4 / 5) / 2)
    # AUC: of 15 (pos, neg) pairs, the -1.0 positive ties one negative and beats two
    assert m["roc_auc"] == pytest.approx((5 + 5 + 2.5) / 15)


def test_grid_from_range():
    assert grid_from_range(-5, 15, 2) == [float(v) for v in range(-5, 16, 2)]
    assert grid_from_range(3, -15, -2)[-1] == -15.0


@pytest.mark.parametrize("name", ["config.yaml", "paper.yaml", "smoke.yaml"])
def test_config_grids_hold_the_paper_optimum(repo_root, name):
    # paper 001 Fig. 4: best CV accuracy at C = 2², γ = 2⁻⁵ — it must be a grid point
    from igd.common.config import grid, load, validate

    cfg = validate(load(repo_root / "config" / name))["learning"]
    log2C, log2gamma = grid(cfg["log2C"]), grid(cfg["log2gamma"])
    assert 2.0 in log2C and -5.0 in log2gamma
    if name == "paper.yaml":          # LIBSVM grid.py's range, at step 1
        assert (log2C[0], log2C[-1], len(log2C)) == (-5.0, 15.0, 21)
        assert (log2gamma[0], log2gamma[-1], len(log2gamma)) == (-15.0, 3.0, 19)
    if name == "config.yaml":         # the default stays cheap (~20 s on 2 cores)
        assert len(log2C) * len(log2gamma) <= 35


# ------------------------------------------------------------------ feature assembly

def stage_tables(n=40, seed=0, temps=(25, 50)):
    rng = np.random.default_rng(seed)
    ids = np.arange(1, n + 1)
    types = rng.integers(1, 3, size=n)
    labels = pd.DataFrame({"id": ids, "type": types, "dd2min_max": rng.exponential(0.02, n),
                           "rearranged": rng.random(n) < 0.2})
    perm = rng.permutation(n)                  # stages may order atoms differently
    structure = pd.DataFrame({"id": ids[perm], "G_1.5": rng.random(n), "G_1.7": rng.random(n),
                              "S2_3.0": rng.random(n)})
    vmsd = {T: pd.DataFrame({"id": ids[rng.permutation(n)], "vmsd": rng.random(n)})
            for T in temps}
    barriers = pd.DataFrame({"id": ids, "dQ_01": rng.random(n), "dQ_02": 1 + rng.random(n)})
    atoms = pd.DataFrame({"id": ids, "type": types})
    return labels, structure, vmsd, barriers, atoms


def test_assemble_features_aligns_by_id_and_orders_columns():
    labels, structure, vmsd, barriers, atoms = stage_tables()
    table, report = assemble_features(labels, structure, {50: vmsd[50], 25: vmsd[25]},
                                      barriers, atoms, nan_policy="error",
                                      expected_counts={"G": 2, "S2": 1, "vmsd": 2, "dQ": 2})
    assert family_columns(table.columns) == ["G_1.5", "G_1.7", "S2_3.0", "vmsd_025K",
                                             "vmsd_050K", "dQ_01", "dQ_02"]
    assert vmsd_column(500) == "vmsd_500K"
    assert table["id"].tolist() == list(range(1, 41))
    assert set(table["label"]) <= {1, -1}
    np.testing.assert_array_equal(table["label"] == 1, labels["rearranged"])
    # values follow their ids, not their row positions
    row = structure.iloc[7]
    got = table.set_index("id").loc[row["id"], "G_1.7"]
    assert got == row["G_1.7"]
    v = vmsd[50].set_index("id")["vmsd"]
    np.testing.assert_array_equal(table["vmsd_050K"], v.loc[table["id"]].to_numpy())
    assert table["complete"].all() and report["n_incomplete"] == 0


@pytest.mark.parametrize("which", ["structure", "barriers", "vmsd"])
def test_assemble_features_rejects_mismatched_ids(which):
    labels, structure, vmsd, barriers, atoms = stage_tables()
    if which == "structure":
        structure = structure[structure["id"] != 13]
        name = "structure"
    elif which == "barriers":
        barriers = barriers.assign(id=barriers["id"].replace(40, 99))
        name = "barriers"
    else:
        vmsd[50] = pd.concat([vmsd[50], vmsd[50].iloc[:1]])
        name = "vmsd 50 K"
    with pytest.raises(FeatureMismatchError, match=name) as err:
        assemble_features(labels, structure, vmsd, barriers, atoms)
    if which == "structure":
        assert "[13]" in str(err.value)
    if which == "barriers":
        assert "[40]" in str(err.value) and "[99]" in str(err.value)


def test_assemble_features_rejects_mismatched_types():
    labels, structure, vmsd, barriers, atoms = stage_tables()
    atoms.loc[atoms["id"] == 5, "type"] = 3 - atoms.loc[atoms["id"] == 5, "type"]
    with pytest.raises(FeatureMismatchError, match=r"types.*\[5\]"):
        assemble_features(labels, structure, vmsd, barriers, atoms)


def test_assemble_features_nan_policy_and_counts():
    labels, structure, vmsd, barriers, atoms = stage_tables()
    barriers.loc[barriers["id"].isin([3, 8]), "dQ_02"] = np.nan
    table, report = assemble_features(labels, structure, vmsd, barriers, atoms,
                                      nan_policy="drop")
    assert report["n_incomplete"] == 2 and report["n_incomplete_by_family"]["dQ"] == 2
    assert report["incomplete_ids"] == [3, 8]
    assert table.loc[~table["complete"], "id"].tolist() == [3, 8]
    with pytest.raises(ValueError, match="nan_policy='error'"):
        assemble_features(labels, structure, vmsd, barriers, atoms, nan_policy="error")
    with pytest.raises(FeatureMismatchError, match="feature counts"):
        assemble_features(labels, structure, vmsd, barriers, atoms,
                          expected_counts={"dQ": 24})


# ------------------------------------------------------------------ training protocol

def synthetic_features(n_samples=3, n=300, frac=0.1, seed=0, separable=True, shift=None):
    """Per-sample feature tables; rearranged atoms stand out in the vmsd features."""
    rng = np.random.default_rng(seed)
    out = {}
    for k in range(n_samples):
        lab = np.where(rng.random(n) < frac, 1, -1).astype(np.int8)
        df = pd.DataFrame({"id": np.arange(1, n + 1), "type": rng.integers(1, 3, n),
                           "label": lab})
        for c in ("G_1.5", "G_1.7", "S2_3.0", "vmsd_025K", "vmsd_050K", "dQ_01", "dQ_02"):
            df[c] = rng.normal(size=n)
        if separable:
            df.loc[lab == 1, ["vmsd_025K", "vmsd_050K"]] += 6.0
            df.loc[lab == 1, "dQ_01"] -= 6.0
        df["complete"] = True
        out[f"s{k}"] = df
    if shift is not None:                      # make one sample's scale obviously different
        s, delta = shift
        cols = family_columns(out[s].columns)
        out[s][cols] += delta
    return out


def test_training_selection_is_balanced_and_excludes_test_sample():
    feats = synthetic_features()
    labels = {s: df["label"].to_numpy() for s, df in feats.items()}
    usable = {s: np.ones(len(df), bool) for s, df in feats.items()}
    masks = select_training_atoms(labels, usable, ["s0", "s1"], seed=3)
    assert not masks["s2"].any()
    n_pos = sum(((labels[s] == 1)).sum() for s in ("s0", "s1"))
    assert sum((masks[s] & (labels[s] == 1)).sum() for s in masks) == n_pos
    assert sum((masks[s] & (labels[s] == -1)).sum() for s in masks) == n_pos
    again = select_training_atoms(labels, usable, ["s0", "s1"], seed=3)
    other = select_training_atoms(labels, usable, ["s0", "s1"], seed=4)
    assert all((again[s] == masks[s]).all() for s in masks)
    assert any((other[s] != masks[s]).any() for s in masks)


def test_separable_data_reach_full_accuracy_and_sign_convention():
    feats = synthetic_features()
    cols = family_columns(feats["s0"].columns)
    res = train_igd(feats, test_samples=["s2"], feature_columns=cols, seed=1, n_jobs=1,
                    **GRID)
    m = res.metrics
    assert m["accuracy"] >= 0.99 and m["recall"] == 1.0 and m["roc_auc"] > 0.999
    assert m["n_test"] == 300 and m["n_test_rearranged"] == (feats["s2"]["label"] == 1).sum()
    assert set(res.cv_grid.columns) >= {"log2C", "log2gamma", "mean_accuracy", "std_accuracy"}
    assert len(res.cv_grid) == 4
    assert res.best_params["log2C"] in (0.0, 2.0)
    # IGD > 0 on the defect (+1) side, for every atom of every sample
    igd = res.igd
    assert len(igd) == 900 and igd["igd"].notna().all()
    assert ((igd["igd"] > 0) == (igd["label"] == 1)).mean() > 0.99


def test_test_atoms_never_reach_training_or_scaler():
    # The test sample is offset by +1000 in every feature: if any of its atoms entered the
    # scaler (or the training set), the fitted means would show it.
    feats = synthetic_features(shift=("s2", 1000.0))
    cols = family_columns(feats["s0"].columns)
    res = train_igd(feats, test_samples=["s2"], feature_columns=cols, seed=2, **GRID)
    igd = res.igd
    assert not igd.loc[igd["sample"] == "s2", "train"].any()
    assert igd.loc[igd["sample"] == "s2", "test"].all()
    assert not igd.loc[igd["sample"] != "s2", "test"].any()
    train_rows = np.concatenate([feats[s][cols].to_numpy()[
        igd.loc[igd["sample"] == s, "train"].to_numpy()] for s in ("s0", "s1")])
    scaler = res.pipeline.named_steps["scale"]
    np.testing.assert_allclose(scaler.mean_, train_rows.mean(axis=0))
    np.testing.assert_allclose(scaler.scale_, train_rows.std(axis=0))
    assert np.abs(scaler.mean_).max() < 10
    assert res.pipeline.named_steps["svm"].n_features_in_ == len(cols)
    assert res.metrics["n_train"] == len(train_rows)


def test_training_is_deterministic_given_seed():
    feats = synthetic_features(separable=False, seed=5)
    cols = family_columns(feats["s0"].columns)
    a = train_igd(feats, test_samples=["s0"], feature_columns=cols, seed=11, **GRID)
    b = train_igd(feats, test_samples=["s0"], feature_columns=cols, seed=11,
                  **GRID)
    pd.testing.assert_frame_equal(a.igd, b.igd)
    pd.testing.assert_frame_equal(a.cv_grid, b.cv_grid)


def test_nan_policies_in_training():
    feats = synthetic_features()
    feats["s0"].loc[[0, 1, 2], "dQ_02"] = np.nan
    feats["s2"].loc[[5], "dQ_02"] = np.nan
    cols = family_columns(feats["s0"].columns)
    dropped = train_igd(feats, test_samples=["s2"], feature_columns=cols, nan_policy="drop",
                        **GRID)
    igd = dropped.igd.set_index(["sample", "id"])
    assert igd.loc[("s2", 6), "igd"] != igd.loc[("s2", 6), "igd"]   # NaN
    assert not igd.loc[("s2", 6), "test"] and not igd.loc[("s0", 1), "train"]
    assert dropped.metrics["n_test"] == 299 and dropped.metrics["n_excluded"] == 4
    imputed = train_igd(feats, test_samples=["s2"], feature_columns=cols,
                        nan_policy="impute_train_median", **GRID)
    assert imputed.igd["igd"].notna().all() and imputed.metrics["n_test"] == 300
    imp = imputed.pipeline.named_steps["impute"]
    out = imputed.igd
    rows = np.concatenate([feats[s][cols].to_numpy()[
        out.loc[out["sample"] == s, "train"].to_numpy()] for s in ("s0", "s1")])
    np.testing.assert_allclose(imp.statistics_, np.nanmedian(rows, axis=0))
    with pytest.raises(ValueError, match="nan_policy"):
        train_igd(feats, test_samples=["s2"], feature_columns=cols, nan_policy="error",
                  **GRID)


def test_too_few_complete_atoms_names_the_nan_policy():
    """ARTn on every 100th atom only (artn.atom_stride; the 19 652-atom rehearsal's case):
    with nan_policy drop 6 complete atoms are left, too few for 3-fold CV; the error
    gives the class counts and names the setting that helps, which then trains."""
    feats = synthetic_features()
    for s in ("s0", "s1"):
        feats[s].loc[feats[s]["id"] % 100 != 1, "dQ_01"] = np.nan
    cols = family_columns(feats["s0"].columns)
    with pytest.raises(ValueError, match=r"training atoms\): too few.*594 atoms of the training "
                                         r"samples.*impute_train_median"):
        train_igd(feats, test_samples=["s2"], feature_columns=cols, nan_policy="drop", **GRID)
    res = train_igd(feats, test_samples=["s2"], feature_columns=cols,
                    nan_policy="impute_train_median", **GRID)
    assert res.igd["igd"].notna().all()
    # a model of the sparse feature alone: in a CV subsample of 30 rows dQ_01 is often all
    # NaN; the imputer keeps it (as a constant) instead of leaving no feature (the
    # rehearsal's ΔQ model)
    only = train_igd(feats, test_samples=["s2"], feature_columns=["dQ_01"], cv_max_rows=30,
                     nan_policy="impute_train_median", **GRID)
    assert only.igd["igd"].notna().all()
    assert only.pipeline.named_steps["impute"].transform(np.full((2, 1), np.nan)).shape == (2, 1)


def test_run_learning_models_share_training_set():
    feats = synthetic_features()
    res = run_learning(feats, test_samples=["s2"], seed=0, **GRID)
    assert list(res.metrics) == ["all", "vmsd", "dQ", "G", "S2"]
    for m in res.metrics.values():
        assert {"accuracy", "recall", "precision", "balanced_accuracy", "roc_auc", "chi",
                "C", "gamma"} <= set(m)
    assert {"sample", "id", "igd", "train", "igd_vmsd", "igd_S2"} <= set(res.igd.columns)
    np.testing.assert_array_equal(res.igd["igd"], res.igd["igd_all"])
    assert res.metrics["vmsd"]["accuracy"] > 0.95       # informative family
    assert res.metrics["S2"]["accuracy"] < 0.95          # pure noise family
    assert res.models["G"].metrics["n_train"] == res.models["all"].metrics["n_train"]
    assert (res.models["G"].igd["train"] == res.models["all"].igd["train"]).all()
    assert set(res.cv_grid["model"]) == set(res.metrics)


def test_cv_subsample_then_refit_on_full_training_set():
    feats = synthetic_features()
    cols = family_columns(feats["s0"].columns)
    res = train_igd(feats, test_samples=["s2"], feature_columns=cols, cv_max_rows=30,
                    **GRID)
    assert res.metrics["cv_rows"] == 30
    # the final SVM saw the whole training set (scaler statistics count all of it)
    assert res.pipeline.named_steps["scale"].n_samples_seen_ == res.metrics["n_train"] > 30
    assert res.metrics["accuracy"] >= 0.99


def test_outputs_write_with_units(tmp_path):
    import json

    from igd.common.io import read_table, write_json, write_table
    from igd.learning.metrics import json_safe_metrics
    from igd.learning.features import feature_units
    from igd.learning.model import load_model, model_from_training, save_model
    from igd.learning.svm import CV_UNITS

    labels, structure, vmsd, barriers, atoms = stage_tables()
    table, _ = assemble_features(labels, structure, vmsd, barriers, atoms)
    write_table(table, tmp_path / "features.parquet", units=feature_units(table.columns))
    assert read_table(tmp_path / "features.parquet").columns.tolist() == table.columns.tolist()

    res = run_learning(synthetic_features(), test_samples=["s2"],
                       models={"all": ("G", "S2", "vmsd", "dQ"), "G": ("G",)}, **GRID)
    write_table(res.igd, tmp_path / "igd.parquet", units=res.units)
    write_table(res.cv_grid, tmp_path / "cv.parquet", units=CV_UNITS)
    write_json(res.metrics, tmp_path / "metrics.json")
    metrics = json.loads((tmp_path / "metrics.json").read_text(),
                         parse_constant=lambda c: pytest.fail(f"non-JSON constant {c}"))
    assert set(metrics) == {"all", "G"}
    assert json_safe_metrics({"chi": math.inf, "x": {"y": math.nan}}) == {
        "chi": None, "x": {"y": None}}
    save_model(model_from_training(res.models["all"], families=["G", "S2", "vmsd", "dQ"],
                                   params={}, metrics=res.metrics["all"], provenance={}),
               tmp_path / "all.skops")
    pipe = load_model(tmp_path / "all.skops").pipeline
    cols = res.models["all"].feature_columns
    X = synthetic_features()["s2"][cols].to_numpy()
    np.testing.assert_allclose(pipe.decision_function(X),
                               res.igd.loc[res.igd["sample"] == "s2", "igd"])
