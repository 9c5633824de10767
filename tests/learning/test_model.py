"""The saved IGD model (skops): round trip, canonical bytes, trusted types, feature checks,
predictions and their scores, features without labels (no LAMMPS, no grid search)."""

import copy

import numpy as np
import pytest

from igd.learning.features import FeatureMismatchError, assemble_features, family_columns
from igd.learning.model import (IGDModel, ModelFileError, UntrustedModelError,
                                check_features, load_model, predict, prediction_metrics,
                                save_model)
from igd.learning.svm import make_pipeline, run_learning

from test_learning import stage_tables, synthetic_features


class Payload:
    """Stands for any type outside the trusted set (skops would have to construct it)."""

    def __init__(self):
        self.code = "anything"


def small_model(impute=False, n=120):
    """An IGD model fitted directly (no grid search) on one synthetic sample."""
    df = synthetic_features(n_samples=1, n=n)["s0"]
    cols = family_columns(df.columns)
    pipe = make_pipeline(impute=impute, cache_size_mb=50).set_params(svm__C=4.0,
                                                                     svm__gamma=0.1)
    pipe.fit(df[cols].to_numpy(), df["label"].to_numpy())
    return IGDModel(name="all", families=["G", "S2", "vmsd", "dQ"], feature_columns=cols,
                    pipeline=pipe, params={"nan_policy": "impute_train_median" if impute
                                           else "drop", "seed": 1, "log2C": [2.0]},
                    metrics={"accuracy": 0.9, "chi": None, "test_samples": ["s2"]},
                    provenance={"rule": "learn", "igd_version": "test"})


@pytest.mark.parametrize("impute", [False, True])
def test_round_trip_gives_identical_decision_values(tmp_path, impute):
    model = small_model(impute)
    path = save_model(model, tmp_path / "m.skops")
    back = load_model(path)
    X = synthetic_features(n_samples=2, n=200, seed=3)["s1"][model.feature_columns]
    np.testing.assert_array_equal(back.pipeline.decision_function(X.to_numpy()),
                                  model.pipeline.decision_function(X.to_numpy()))
    assert (back.name, back.families, back.feature_columns) == (
        model.name, model.families, model.feature_columns)
    assert back.params == model.params and back.metrics == model.metrics
    assert back.provenance == model.provenance
    # canonical bytes: a copy (other object ids) saved later gives the same file
    save_model(copy.deepcopy(model), tmp_path / "again.skops")
    assert (tmp_path / "again.skops").read_bytes() == path.read_bytes()


def test_loader_refuses_untrusted_types(tmp_path):
    import skops.io as sio

    # the imputer's numpy.dtype is trusted only because TRUSTED_TYPES lists it
    path = save_model(small_model(impute=True), tmp_path / "m.skops")
    with pytest.raises(UntrustedModelError, match="numpy.dtype"):
        load_model(path, trusted=())
    # any other type is refused, naming it, and nothing of the file is run
    sio.dump({"format": "igd-model", "payload": Payload()}, tmp_path / "evil.skops")
    with pytest.raises(UntrustedModelError, match="Payload"):
        load_model(tmp_path / "evil.skops")
    sio.dump({"format": "something else"}, tmp_path / "other.skops")
    with pytest.raises(ModelFileError, match="not an IGD model"):
        load_model(tmp_path / "other.skops")
    sio.dump({"format": "igd-model", "name": "all"}, tmp_path / "part.skops")
    with pytest.raises(ModelFileError, match="without"):
        load_model(tmp_path / "part.skops")
    with pytest.raises(ModelFileError, match="no such model file"):
        load_model(tmp_path / "missing.skops")
    (tmp_path / "junk.skops").write_text("not a zip")
    with pytest.raises(ModelFileError, match="not a skops model file"):
        load_model(tmp_path / "junk.skops")


def test_feature_mismatch_names_missing_and_extra_columns():
    model = small_model()
    df = synthetic_features(n_samples=1, n=50)["s0"]
    bad = df.drop(columns=["vmsd_050K"]).assign(vmsd_100K=1.0, dQ_03=0.5)
    with pytest.raises(FeatureMismatchError) as err:
        predict(model, bad)
    msg = str(err.value)
    assert "missing columns ['vmsd_050K']" in msg
    assert "extra columns ['vmsd_100K', 'dQ_03']" in msg
    # an ablation model ignores other families; columns are taken in the model's order
    vmsd = IGDModel(name="vmsd", families=["vmsd"], feature_columns=["vmsd_025K", "vmsd_050K"],
                    pipeline=None)
    assert check_features(vmsd, list(reversed(df.columns))) == ["vmsd_025K", "vmsd_050K"]
    shuffled = df[list(reversed(df.columns))]
    np.testing.assert_array_equal(predict(model, shuffled)["igd"], predict(model, df)["igd"])


def test_predict_scores_labelled_data_and_handles_unlabelled_and_nan():
    model = small_model()
    df = synthetic_features(n_samples=2, n=300, seed=5)["s1"]
    df.loc[3, "dQ_02"] = np.nan
    pred = predict(model, df)
    assert pred.columns.tolist() == ["id", "type", "label", "igd", "usable"]
    assert np.isnan(pred.loc[3, "igd"]) and not pred.loc[3, "usable"]
    assert pred["igd"].notna().sum() == 299
    m = prediction_metrics(pred, chi_fraction=0.05)
    assert m["accuracy"] > 0.95 and m["recall"] > 0.9 and m["roc_auc"] > 0.99
    assert m["n_atoms"] == 299 and m["n_excluded"] == 1
    assert m["n_rearranged"] == int((df["label"].drop(index=3) == 1).sum())
    assert m["chi"] is None or m["chi"] > 1          # None: no rearranged atom at the bottom
    unlabelled = predict(model, df.drop(columns=["label"]))
    assert "label" not in unlabelled and prediction_metrics(unlabelled) is None
    np.testing.assert_array_equal(unlabelled["igd"], pred["igd"])


def test_features_without_labels_and_learning_refuses_them():
    labels, structure, vmsd, barriers, atoms = stage_tables()
    table, report = assemble_features(None, structure, vmsd, barriers, atoms)
    with_labels, _ = assemble_features(labels, structure, vmsd, barriers, atoms)
    assert "label" not in table and "dd2min_max" not in table
    assert table.columns.tolist() == [c for c in with_labels.columns
                                      if c not in ("label", "dd2min_max")]
    assert report["n_atoms"] == 40
    with pytest.raises(FeatureMismatchError, match="atoms table"):
        assemble_features(None, structure, vmsd, barriers, None)
    with pytest.raises(FeatureMismatchError, match="types table"):
        assemble_features(None, structure.iloc[1:], vmsd, barriers, atoms)
    feats = synthetic_features()
    feats["s1"] = feats["s1"].drop(columns=["label"])
    with pytest.raises(ValueError, match=r"\['s1'\] have no labels"):
        run_learning(feats, test_samples=["s2"], log2C_grid=[0.0], log2gamma_grid=[-2.0])
