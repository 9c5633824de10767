"""Learning-stage figures on small synthetic tables, and the tasks of the learning and
analysis rules (features → learn → analysis → figures; snapshots switched off) end to end
on synthetic per-sample tables."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from igd.analysis import figures as fl
from igd.analysis import model_figures as mf
from igd.analysis import tasks as at
from igd.common.io import read_metadata, read_table, write_table
from igd.common.job import Job, Record, run_task
from igd.learning import tasks as lt

from conftest import PNG, assert_png  # noqa: F401


# --------------------------------------------------------------------------------------
# figure functions on synthetic tables
# --------------------------------------------------------------------------------------

@pytest.fixture()
def rng():
    return np.random.default_rng(3)


def cv_grid_table(log2C=(-1, 1, 3), log2g=(-9, -7, -5, -3)) -> pd.DataFrame:
    rows = []
    for c in log2C:
        for g in log2g:
            rows.append({"model": "all", "log2C": float(c), "log2gamma": float(g),
                         "C": 2.0 ** c, "gamma": 2.0 ** g,
                         "mean_accuracy": 0.7 - 0.01 * (c - 1) ** 2 - 0.01 * (g + 5) ** 2,
                         "std_accuracy": 0.02})
    df = pd.DataFrame(rows)
    df["rank"] = df["mean_accuracy"].rank(ascending=False, method="min").astype(int)
    return df


def test_fig04_cv_grid(tmp_path):
    out = tmp_path / "fig04.png"
    mf.fig04_cv_grid(cv_grid_table(), out)
    assert_png(out)
    # a degenerate 1 x N grid draws too; an unknown model is an error
    mf.fig04_cv_grid(cv_grid_table(log2C=(2,)), tmp_path / "fig04b.png")
    assert_png(tmp_path / "fig04b.png")
    with pytest.raises(ValueError, match="no CV grid rows"):
        mf.fig04_cv_grid(cv_grid_table(), tmp_path / "x.png", model="G")
    assert not (tmp_path / "x.png").exists()


def test_fig08_p_active(tmp_path):
    edges = np.logspace(-4, 0, 9)
    rows = []
    for name in ("test", "all"):
        frac = np.linspace(0.2, 0.9, 8)
        rows.append(pd.DataFrame({"set": name, "dd2min_lo": edges[:-1],
                                  "dd2min_hi": edges[1:],
                                  "dd2min_mid": np.sqrt(edges[1:] * edges[:-1]),
                                  "n": [0, 5, 10, 20, 20, 10, 5, 2], "fraction": frac,
                                  "stderr": 0.05}))
    out = tmp_path / "fig08.png"
    fl.fig08_p_active(pd.concat(rows), out, threshold=0.05)
    assert_png(out)


def correlation_table(fields, xis) -> tuple[pd.DataFrame, dict]:
    r = np.arange(0.05, 10, 0.1)
    df = pd.DataFrame({"r": r, "n_pairs": np.where(r > 2.2, 100, 0)})
    fits = {}
    for f, xi in zip(fields, xis):
        c = np.exp(-r / xi)
        c[r < 2.2] = np.nan
        df[f"C_{f}"] = c
        fits[f] = {"xi": xi, "xi_err": 0.1, "amplitude": 1.0, "n_points": 55,
                   "r_min": 2.5, "r_max": 8.0}
    fits[fields[-1]]["xi_err"] = None            # as JSON writes a NaN error
    return df, {"xi": fits}


def test_fig09_igd(tmp_path, rng):
    n = 400
    label = np.where(rng.random(n) < 0.2, 1, -1)
    igd = rng.normal(0.8 * label, 1.0)
    igd[:3] = np.nan                             # dropped atoms
    table = pd.DataFrame({"sample": "s2", "id": np.arange(1, n + 1), "label": label,
                          "igd": igd, "train": False, "test": True})
    corr, xi = correlation_table(["dd2min", "igd"], [3.1, 3.2])
    out = tmp_path / "fig09.png"
    fl.fig09_igd(table, corr, xi, out)
    assert_png(out)


def test_fig10_prdf_igd(tmp_path):
    r = np.arange(0.025, 8, 0.05)
    g = 1 + np.exp(-((r - 2.7) / 0.2) ** 2) * 2 - np.exp(-r)
    rows = []
    for group, scale in (("bottom", 1.2), ("top", 0.8)):
        d = {"group": group, "r": r, "g": g * scale, "n_centers": 50}
        for pair in ("CuCu", "CuZr", "ZrCu", "ZrZr"):
            d[f"g_{pair}"] = g * scale
        rows.append(pd.DataFrame(d))
    out = tmp_path / "fig10.png"
    fl.fig10_prdf_igd(pd.concat(rows, ignore_index=True), out)
    assert_png(out)


def test_fig11_dd2min_vs_igd(tmp_path, rng):
    rows = []
    for name, nb in (("test", 50), ("all", 150)):
        x = np.sort(rng.normal(0, 1, nb))
        rows.append(pd.DataFrame({"set": name, "bin": np.arange(nb), "n": 5, "igd_mean": x,
                                  "igd_min": x - 0.01, "igd_max": x + 0.01,
                                  "dd2min_mean": 0.01 * np.exp(x), "dd2min_std": 0.005,
                                  "dd2min_sem": 0.002}))
    out = tmp_path / "fig11.png"
    fl.fig11_dd2min_vs_igd(pd.concat(rows, ignore_index=True), out, threshold=0.05)
    assert_png(out)


def test_fig12_models_handles_infinite_and_undefined_chi(tmp_path):
    metrics = {
        "all": {"accuracy": 0.78, "chi": None, "chi_status": "denominator_zero",
                "chi_fraction": 0.05},
        "vmsd": {"accuracy": 0.72, "chi": 12.0, "chi_status": "ok"},
        "dQ": {"accuracy": 0.64, "chi": 3.0, "chi_status": "ok"},
        "G": {"accuracy": 0.61, "chi": None, "chi_status": "undefined"},
        "S2": {"accuracy": 0.55, "chi": 1.2, "chi_status": "ok"},
    }
    out = tmp_path / "fig12.png"
    mf.fig12_models(metrics, out, models=["all", "vmsd", "dQ", "G", "S2"])
    assert_png(out)


def test_fig13_xi(tmp_path):
    fields = ["dd2min", "igd", "igd_vmsd", "igd_dQ", "igd_G", "igd_S2"]
    corr, xi = correlation_table(fields, [3.1, 3.2, 2.9, 2.5, 2.0, 1.9])
    xi["xi"]["igd_S2"]["xi"] = None               # a failed fit is skipped, not fatal
    out = tmp_path / "fig13.png"
    fl.fig13_xi(corr, xi, out)
    assert_png(out)


# --------------------------------------------------------------------------------------
# the rules' tasks end to end (features → learn → analysis → figures), no Snakemake
# --------------------------------------------------------------------------------------

def run_job(task, rule: str, input: dict, output: dict, params: dict | None = None,
            log: Path | str = "log.txt", wildcards: dict | None = None) -> None:
    """Run a rule's task as Snakemake would (igd.common.job.run_task), then restore the
    root logger and the excepthook that run_task's log setup replaces."""
    root = logging.getLogger()
    handlers, level, hook = list(root.handlers), root.level, sys.excepthook
    job = Job(rule=rule, input=Record(input), output=Record(output),
              params=Record(params or {}), wildcards=Record(wildcards or {}), log=str(log))
    try:
        run_task(task, job)
    finally:
        for h in list(root.handlers):
            root.removeHandler(h)
            if h not in handlers:
                h.close()
        for h in handlers:
            root.addHandler(h)
        root.setLevel(level)
        sys.excepthook = hook


TEMPS = ["100", "300"]
N_ATOMS = 160
BOX = 13.0


def write_sample(d: Path, s: str, k: int) -> dict[str, Path]:
    """Synthetic per-sample tables of the PROTOCOL §11 contract, with a latent softness
    that drives vMSD, barriers, G and the labels (so a model can learn something)."""
    rng = np.random.default_rng(100 + k)
    n = N_ATOMS
    ids = np.arange(1, n + 1)
    types = np.where(ids <= n // 2, 1, 2)
    soft = rng.normal(0, 1, n)
    pos = rng.random((n, 3)) * BOX
    cell = np.eye(3) * BOX
    paths = {"atoms": d / s / "glass" / "atoms.parquet", "labels": d / s / "labels.parquet",
             "structure": d / s / "structure.parquet",
             "barriers": d / s / "artn" / "barriers.parquet",
             "vmsd": [d / s / "vmsd" / f"{T}K.parquet" for T in TEMPS]}
    atoms = pd.DataFrame({"id": ids, "type": types,
                          "element": np.where(types == 1, "Cu", "Zr"),
                          "x": pos[:, 0], "y": pos[:, 1], "z": pos[:, 2],
                          "pe": rng.normal(-4.8, 0.1, n)})
    write_table(atoms, paths["atoms"], units={"id": "", "type": "", "element": "",
                                               "x": "Å", "y": "Å", "z": "Å", "pe": "eV"},
                extra={"box": {"cell": cell.tolist(), "origin": [0.0, 0.0, 0.0]}})
    dd = 0.02 * np.exp(1.2 * soft + rng.normal(0, 0.8, n))
    write_table(pd.DataFrame({"id": ids, "type": types, "dd2min_max": dd,
                              "rearranged": dd > 0.05}), paths["labels"],
                units={"id": "", "type": "", "dd2min_max": "Å^2", "rearranged": ""})
    st = {"id": ids}
    for mu in (1.5, 2.5, 3.5):
        st[f"G_{mu}"] = 10 + soft * 0.3 + rng.normal(0, 1, n)
    for rc in (3.0, 4.0):
        st[f"S2_{rc}"] = -2 + rng.normal(0, 1, n)
    write_table(pd.DataFrame(st), paths["structure"], units={c: "" for c in st})
    for T, p in zip(TEMPS, paths["vmsd"]):
        v = 1e-4 * float(T) * np.exp(0.4 * soft + rng.normal(0, 0.2, n))
        write_table(pd.DataFrame({"id": ids, "vmsd": v}), p,
                    units={"id": "", "vmsd": "Å^2"})
    dq = np.sort(rng.gamma(2.0, 0.3 * np.exp(-0.3 * soft)[:, None], size=(n, 4)), axis=1)
    dq[0, -1] = np.nan                            # one failed ARTn search
    bar = {"id": ids, **{f"dQ_{j + 1:02d}": dq[:, j] for j in range(4)}}
    write_table(pd.DataFrame(bar), paths["barriers"], units={c: "eV" for c in bar} | {"id": ""})
    return paths


def test_learning_scripts_end_to_end(tmp_path):
    samples = ["s0", "s1", "s2"]
    res = tmp_path / "results"
    inputs = {s: write_sample(res, s, k) for k, s in enumerate(samples)}
    logs = tmp_path / "logs"

    # rule features, per sample
    for s in samples:
        i = inputs[s]
        run_job(lt.features, "features",
                dict(labels=str(i["labels"]), structure=str(i["structure"]),
                     vmsd=[str(p) for p in i["vmsd"]], barriers=str(i["barriers"]),
                     atoms=str(i["atoms"])),
                dict(features=str(res / s / "features.parquet")),
                dict(temperatures=TEMPS, nan_policy="drop",
                     expected_counts={"G": 3, "S2": 2, "vmsd": 2}),
                log=logs / f"features_{s}.log", wildcards=dict(sample=s))
        f = read_table(res / s / "features.parquet")
        assert list(f.columns[:3]) == ["id", "type", "label"]
        assert set(f["label"]) <= {1, -1} and (~f["complete"]).sum() == 1
        assert {"vmsd_100K", "vmsd_300K", "dQ_04", "G_1.5", "S2_4.0"} <= set(f.columns)
        meta = read_metadata(res / s / "features.parquet")
        assert meta["units"]["dQ_01"] == "eV" and meta["features_report"]["n_incomplete"] == 1
    assert "1 incomplete" in (logs / "features_s0.log").read_text()

    # rule learn
    models = ["all", "vmsd", "dQ", "G", "S2"]
    learn_dir = res / "learning"
    out = Record(metrics=str(learn_dir / "metrics.json"), igd=str(learn_dir / "igd.parquet"),
                 cv_grid=str(learn_dir / "cv_grid.parquet"),
                 model=str(learn_dir / "igd_model.skops"),
                 models=[str(learn_dir / f"model_{m}.skops") for m in models[1:]])
    params = dict(samples=samples, models=models, test_samples=["s2"], log2C=[0.0, 2.0],
                  log2gamma=[-3.0], cv_folds=3, cv_max_rows=None, nan_policy="drop",
                  chi_fraction=0.05, cache_size_mb=100, seed=5)
    run_job(lt.learn, "learn",
            dict(features=[str(res / s / "features.parquet") for s in samples]), out, params,
            log=logs / "learn.log")
    metrics = json.loads((learn_dir / "metrics.json").read_text())
    assert set(metrics) == set(models)            # write_json sorts the keys
    for m in models:
        assert {"accuracy", "recall", "precision", "roc_auc", "chi", "C", "gamma"} <= set(
            metrics[m])
        assert 0 <= metrics[m]["accuracy"] <= 1 and metrics[m]["log2C"] in (0.0, 2.0)
    igd = read_table(learn_dir / "igd.parquet")
    assert {"sample", "id", "igd", "train", "test", "igd_vmsd"} <= set(igd.columns)
    assert len(igd) == 3 * N_ATOMS and igd["train"].dtype == bool
    assert not igd.loc[igd["sample"] == "s2", "train"].any()
    assert igd["igd"].isna().sum() == 3                   # one dropped atom per sample
    assert metrics["all"]["roc_auc"] > 0.6                # the latent softness is learnable
    cv = read_table(learn_dir / "cv_grid.parquet")
    assert len(cv) == 2 * len(models)
    from igd.learning.model import load_model

    pipe = load_model(learn_dir / "model_vmsd.skops").pipeline
    f2 = read_table(res / "s2" / "features.parquet")
    ok = f2["complete"].to_numpy()
    dec = pipe.decision_function(f2.loc[ok, ["vmsd_100K", "vmsd_300K"]].to_numpy())
    np.testing.assert_allclose(dec, igd.loc[igd["sample"] == "s2", "igd_vmsd"].to_numpy()[ok])

    # rule predict: the saved IGD model on the held-out sample gives learn's IGD and metrics
    pout = Record(predicted=str(res / "s2/learning/predicted.parquet"),
                  metrics=str(res / "s2/learning/metrics.json"))
    run_job(lt.predict, "predict", dict(features=str(res / "s2/features.parquet"),
                                        model=str(learn_dir / "igd_model.skops")),
            pout, dict(chi_fraction=0.05), log=logs / "predict.log", wildcards=dict(sample="s2"))
    pred = read_table(pout.predicted)
    np.testing.assert_allclose(pred["igd"], igd.loc[igd["sample"] == "s2", "igd"])
    pm = json.loads((res / "s2/learning/metrics.json").read_text())
    assert pm["labelled"] and pm["metrics"]["roc_auc"] == pytest.approx(
        metrics["all"]["roc_auc"])

    # rule analysis
    analysis = {"corr_r_max": 6.0, "corr_dr": 0.25, "corr_fit_r_min": 1.0,
                "corr_fit_r_max": 5.0, "prdf_fraction": 0.1, "prdf_r_max": 6.0,
                "prdf_dr": 0.1, "bin_fraction": 0.0025, "bin_min_atoms": 5,
                "p_active_log10_dd2min": {"start": -4.0, "stop": 1.0, "step": 0.5},
                "xi_learned_samples": "test"}
    aout = Record(correlation=str(learn_dir / "correlation.parquet"),
                  xi=str(learn_dir / "xi.json"), p_active=str(learn_dir / "p_active.parquet"),
                  binned=str(learn_dir / "binned_dd2min.parquet"),
                  prdf=str(learn_dir / "prdf_igd.parquet"))
    run_job(at.analysis, "analysis",
            dict(igd=str(learn_dir / "igd.parquet"),
                 labels=[str(inputs[s]["labels"]) for s in samples],
                 atoms=[str(inputs[s]["atoms"]) for s in samples]),
            aout, dict(samples=samples, test_samples=["s2"], models=models, elements=["Cu", "Zr"],
                       threshold=0.05,
                       analysis=analysis), log=logs / "analysis.log")
    corr = read_table(learn_dir / "correlation.parquet")
    assert {"r", "n_pairs", "C_dd2min", "C_igd", "C_igd_S2"} <= set(corr.columns)
    assert "C_igd_all" not in corr.columns
    assert read_metadata(learn_dir / "correlation.parquet")["units"]["r"] == "Å"
    xi = json.loads((learn_dir / "xi.json").read_text())
    assert set(xi["xi"]) == {"dd2min", "igd", "igd_vmsd", "igd_dQ", "igd_G", "igd_S2"}
    binned = read_table(learn_dir / "binned_dd2min.parquet")
    test_bins = binned[binned["set"] == "test"]
    assert test_bins["n"].sum() == N_ATOMS - 1 and test_bins["n"].min() >= 5
    p_act = read_table(learn_dir / "p_active.parquet")
    assert set(p_act["set"]) == {"test", "all"}
    assert p_act.loc[p_act["set"] == "all", "n"].sum() == 3 * (N_ATOMS - 1)
    prdf = read_table(learn_dir / "prdf_igd.parquet")
    assert set(prdf["group"]) == {"top", "bottom"}
    assert prdf.loc[prdf["group"] == "top", "n_centers"].iloc[0] == 3 * 16
    far = prdf[(prdf["r"] > 4) & (prdf["group"] == "top")]
    assert 0.7 < far["g"].mean() < 1.3                     # ideal gas → g ≈ 1

    # figure rules
    figs = tmp_path / "figures"
    jobs = {
        "fig04": (dict(cv_grid=str(learn_dir / "cv_grid.parquet")), {}),
        "fig08": (dict(p_active=aout.p_active), dict(threshold=0.05)),
        "fig09": (dict(igd=out.igd, correlation=aout.correlation, xi=aout.xi), {}),
        "fig10": (dict(prdf=aout.prdf), {}),
        "fig11": (dict(binned=aout.binned), dict(threshold=0.05)),
        "fig12": (dict(metrics=out.metrics), dict(models=models)),
        "fig13": (dict(correlation=aout.correlation, xi=aout.xi), dict(models=models)),
    }
    for rule, (inp, par) in jobs.items():
        png = figs / f"{rule}.png"
        run_job(getattr(at, rule), rule, inp, dict(figure=str(png)), par,
                log=logs / f"{rule}.log")
        assert_png(png)


def test_metrics_frame_and_html_table():
    from igd.analysis.model_figures import html_table, metrics_frame

    metrics = {"all": {"accuracy": 0.75, "recall": 0.5, "chi": None,
                       "chi_status": "denominator_zero"},
               "vmsd": {"accuracy": 0.7, "recall": 0.6, "chi": 3.0}}
    df = metrics_frame(metrics)
    assert list(df["model"]) == ["all", "vmsd"]
    assert df.loc[0, "paper_accuracy_pct"] == 78.4 and df.loc[1, "paper_accuracy_pct"] == 72.5
    assert df.loc[1, "chi"] == 3.0 and df.loc[0, "chi_status"] == "denominator_zero"
    page = html_table(df, "Test metrics")
    assert page.startswith("<!DOCTYPE html>") and page.count("<tr") == 3   # header + 2 rows
    assert "0.75" in page and "denominator_zero" in page and "}}" not in page


def test_snapshots_switched_off_write_notes_without_ovito(tmp_path, monkeypatch):
    """learning.analysis.snapshot.enabled false: no OVITO (its import would fail), three
    PNGs that say the snapshots were skipped and how to enable them, a logged warning."""
    monkeypatch.setitem(sys.modules, "ovito", None)          # any OVITO import fails
    i = write_sample(tmp_path / "results", "s1", 1)
    igd = tmp_path / "results" / "learning" / "igd.parquet"
    write_table(pd.DataFrame({"sample": "s1", "id": np.arange(1, N_ATOMS + 1),
                              "label": 1, "igd": 0.5}), igd,
                units={"sample": "", "id": "", "label": "", "igd": ""})
    figs = tmp_path / "figures"
    out = {k: str(figs / f"{k}.png") for k in ("fig08", "fig09a", "fig11a")}
    log = tmp_path / "snapshots.log"
    snapshot = {"enabled": False, "slab": 3.5, "axis": 2, "corner": 0.125,
                "bubble_max": 1.2, "radius_scale": 0.9, "pixels": 300}
    run_job(at.snapshots, "snapshots",
            dict(igd=str(igd), labels=str(i["labels"]), atoms=str(i["atoms"])), out,
            dict(sample="s1", threshold=0.05, snapshot=snapshot), log=log)
    for path in out.values():
        assert_png(Path(path))
    text = log.read_text()
    assert "WARNING" in text and "snapshot.enabled: false" in text
    from igd.analysis.snapshots import SKIPPED

    assert "apt-get install libvulkan1 mesa-vulkan-drivers" in SKIPPED
    assert "bin/setup as root" in SKIPPED and "enabled: false" in SKIPPED
