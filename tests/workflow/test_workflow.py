"""The workflow end to end on the smoke config, lint, and what a changed key reruns."""

import re

import numpy as np
import pytest
import yaml

from igd.common.io import read_metadata, read_table

from conftest import ROOT, run_snakemake

pytestmark = pytest.mark.workflow


def planned_jobs(workdir, configfile) -> dict[str, int]:
    """Rule → job count that a dry run would execute."""
    out = run_snakemake(workdir, "-n", "--configfile", configfile).stdout
    if "Nothing to be done" in out:
        return {}
    table = out.split("Job stats:")[1]
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\w+)\s+(\d+)$", table, re.M)
            if m.group(1) != "total"}


def test_lint_is_clean():
    proc = run_snakemake(ROOT, "--lint")
    assert "Congratulations" in proc.stdout + proc.stderr


def test_smoke_run_outputs(smoke_run):
    for s in ["s0", "s1"]:
        glass = smoke_run / "results" / s / "glass"
        atoms = read_table(glass / "atoms.parquet")
        assert list(atoms.columns[:6]) == ["id", "type", "element", "x", "y", "z"]
        assert len(atoms) == 500
        meta = read_metadata(glass / "atoms.parquet")
        assert meta["units"]["x"] == "Å" and meta["units"]["pe"] == "eV"
        assert meta["params"]["sample"] == s
        assert meta["provenance"]["potential_sha256"].startswith("a512753c")
        assert meta["provenance"]["lammps_version"] == 20250722
        assert "cell" in meta["box"]
        thermo = read_table(glass / "thermo.parquet")
        assert {"step", "temp", "press", "vol", "pe"} <= set(thermo.columns)
        g = read_table(glass / "rdf.parquet")
        assert {"r", "g", "g_CuCu", "g_CuZr", "g_ZrZr"} <= set(g.columns)
        meta = read_metadata(glass / "rdf.parquet")
        assert 2.5 < meta["first_peak"] < 2.9            # paper Fig. 1: first peak ≈ 2.7 Å
        assert 3.4 < meta["first_minimum"] < 4.0
        assert (glass / "inherent.data").stat().st_size > 10_000
        log = (smoke_run / "results" / "logs" / s / "glass.log").read_text()
        assert "quench:" in log and "ETA" in log and "inherent structure" in log
        assert "Loop time" in log                        # LAMMPS' own log went there too
    a0 = read_table(smoke_run / "results/s0/glass/atoms.parquet")
    a1 = read_table(smoke_run / "results/s1/glass/atoms.parquet")
    assert not np.allclose(a0["x"], a1["x"])             # samples differ by seed
    for name in ["fig01_rdf", "fig02_barriers", "fig03_dd2min", "fig03_stress_strain",
                 "fig04_cv_grid", "fig05_vdos", "fig06_dynamics", "fig08_p_active", "fig09_igd",
                 "fig10_prdf_igd", "fig11_dd2min_vs_igd", "fig12_models", "fig13_xi",
                 "fig_vmsd"]:
        png = smoke_run / "results" / "figures" / f"{name}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
    assert (smoke_run / "results" / "benchmarks" / "s0" / "glass.tsv").exists()


def test_smoke_run_predict_sample_of_another_composition(smoke_run):
    """The smoke sheet's predict row: a Cu64Zr36 glass (composition column) quenched with
    the smoke schedule, through every per-sample stage, not part of the training."""
    res = smoke_run / "results" / "cu64zr36"
    atoms = read_table(res / "glass" / "atoms.parquet")
    assert len(atoms) == 500 and (atoms["element"] == "Cu").sum() == 320
    meta = read_metadata(res / "glass" / "atoms.parquet")
    assert meta["params"]["system"]["composition"] == {"Cu": 0.64, "Zr": 0.36}
    assert meta["summary"]["fmax_eV_per_A"] <= 1e-4
    for f in ("glass/rdf.parquet", "labels.parquet", "structure.parquet", "features.parquet",
              "hessian/atoms.parquet", "dynamics/atoms.parquet", "artn/barriers.parquet"):
        assert (res / f).exists(), f
    igd = read_table(smoke_run / "results" / "learning" / "igd.parquet")
    assert "cu64zr36" not in set(igd["sample"])                     # not in the training


def _variant(workdir, edit, name):
    cfg = yaml.safe_load((workdir / "config" / "smoke.yaml").read_text())
    edit(cfg)
    (workdir / name).write_text(yaml.safe_dump(cfg))
    return name


def test_changed_parameter_reruns_only_what_depends_on_it(smoke_run):
    assert planned_jobs(smoke_run, "config/smoke.yaml") == {}
    # the variants are dumped with sorted keys: key order alone must rerun nothing
    quench = _variant(smoke_run, lambda c: c["glass"].update(quench_rate=1e14), "q.yaml")
    jobs = planned_jobs(smoke_run, quench)
    assert jobs.get("glass") == 3 and jobs.get("rdf") == 3 and jobs.get("fig01_rdf") == 1
    binning = _variant(smoke_run, lambda c: c["rdf"].update(dr=0.05), "r.yaml")
    jobs = planned_jobs(smoke_run, binning)
    # g(r) feeds the D2min cutoff, so the shear reruns too; structure and vMSD do not
    # (the smoke sheet: s0, s1 and the predict sample cu64zr36, all labelled)
    assert "glass" not in jobs and jobs.get("rdf") == 3 and jobs.get("aqs") == 9
    assert "structure" not in jobs and "vmsd" not in jobs
    upstream = {"glass", "rdf", "aqs", "vmsd", "structure", "artn_chunk", "artn_gather",
                "hessian", "dynamics", "structure_factor"}
    threshold = _variant(smoke_run, lambda c: c["shear"].update(threshold=0.1), "t.yaml")
    jobs = planned_jobs(smoke_run, threshold)
    assert jobs.get("labels") == 3 and jobs.get("features") == 3 and jobs.get("learn") == 1
    assert not upstream & set(jobs), jobs                # no simulation reruns
    smearing = _variant(smoke_run, lambda c: c["structure"].update(s2_sigma=0.25), "s.yaml")
    jobs = planned_jobs(smoke_run, smearing)
    assert jobs.get("structure") == 3 and jobs.get("learn") == 1
    assert not (upstream - {"structure"}) & set(jobs) and "labels" not in jobs, jobs


def test_smoke_run_labels_and_features(smoke_run, smoke_config):
    res = smoke_run / "results"
    for s in ["s0", "s1"]:
        labels = read_table(res / s / "labels.parquet")
        assert list(labels.columns[:4]) == ["id", "type", "dd2min_max", "rearranged"]
        assert labels["rearranged"].dtype == bool and len(labels) == 500
        assert np.isfinite(labels["dd2min_max"]).all()
        frac = read_metadata(res / s / "labels.parquet")["rearranged_fraction"]
        assert 0 < frac < 1
        for d in ["xy", "yz", "zx"]:
            curve = read_table(res / s / "shear" / f"{d}_curve.parquet")
            assert np.all(np.diff(curve["strain"]) > 0)
            per_atom = read_table(res / s / "shear" / f"{d}.parquet")
            assert list(per_atom.columns) == ["id", "dd2min_max", "strain_at_max"]
            cutoff = read_metadata(res / s / "shear" / f"{d}.parquet")["params"]["d2min_cutoff_used"]
            assert 3.4 < cutoff < 4.0                    # first minimum of g(r)
        st = read_table(res / s / "structure.parquet")
        assert st.shape == (500, 1 + 31 + 25) and np.isfinite(st.to_numpy()).all()
        assert st.columns[1] == "G_1.5" and st.columns[-1] == "S2_15.0"
        temps = [100, 300, 500]
        means = [read_table(res / s / "vmsd" / f"{t}K.parquet")["vmsd"].mean() for t in temps]
        assert np.all(np.diff(means) > 0) and 0.001 < means[0] < 0.1


def test_smoke_run_artn_vibrations_and_learning(smoke_run):
    res = smoke_run / "results"
    for s in ["s0", "s1"]:
        events = read_table(res / s / "artn" / "events.parquet")
        assert {"id", "event", "status", "barrier", "force_calls"} <= set(events.columns)
        # the search converges in most attempts; the connectivity check (the default)
        # accepts a part of those and decides every one it ran on
        assert events["status"].isin(["converged", "not-connected"]).mean() > 0.5
        checked = events[events["status"].isin(["converged", "not-connected"])]
        assert (checked["connect_calls"] > 0).all() and checked["back_energy"].notna().all()
        ok = events[events["status"] == "converged"]
        assert (ok["barrier"] > 0).all() and ok["force_calls"].median() < 1000
        assert (ok["back_distance"] <= 0.3).all() and (ok["back_energy"].abs() <= 0.02).all()
        barriers = read_table(res / s / "artn" / "barriers.parquet")
        assert len(barriers) == 500 and barriers["searched"].sum() == 50    # atom_stride 10
        assert barriers.loc[~barriers["searched"], "dQ_01"].isna().all()      # never a silent 0
        # a connected saddle within max_attempts 4 for a good part of them (48 % in the
        # smoke run of df33ceb; 78 % of the default run's events within 4 attempts)
        assert barriers.loc[barriers["searched"], "dQ_01"].notna().mean() > 0.3
        vd = read_table(res / s / "hessian" / "vdos.parquet")
        assert {"nu", "g", "g_over_nu2"} <= set(vd.columns)
        assert abs(np.trapezoid(vd["g"], vd["nu"]) - 1) < 0.02
        ha = read_table(res / s / "hessian" / "atoms.parquet")
        assert {"id", "I_BP", "p_1pct", "p_025pct"} <= set(ha.columns) and len(ha) == 500
        np.testing.assert_allclose(ha["p_1pct"].sum(), 1.0, rtol=1e-6)
        dyn = read_table(res / s / "dynamics" / "atoms.parquet")
        assert dyn.columns[0] == "id" and len(dyn) == 500 and dyn.shape[1] > 10
        feats = read_table(res / s / "features.parquet")
        assert list(feats.columns[:3]) == ["id", "type", "label"]
        assert set(feats["label"]) <= {-1, 1}
        n_g = sum(c.startswith("G_") for c in feats.columns)
        n_s2 = sum(c.startswith("S2_") for c in feats.columns)
        n_v = sum(c.startswith("vmsd_") for c in feats.columns)
        n_q = sum(c.startswith("dQ_") for c in feats.columns)
        assert (n_g, n_s2, n_v, n_q) == (31, 25, 3, 1)
    import json

    metrics = json.loads((res / "learning" / "metrics.json").read_text())
    for model in ["all", "vmsd", "dQ", "G", "S2"]:
        m = metrics["models"][model] if "models" in metrics else metrics[model]
        for key in ["accuracy", "recall", "precision", "roc_auc", "C", "gamma"]:
            assert key in m, (model, key)
        assert 0 <= m["accuracy"] <= 1
    igd = read_table(res / "learning" / "igd.parquet")
    assert {"sample", "id", "igd", "train"} <= set(igd.columns)
    assert not igd.loc[igd["sample"] == "s1", "train"].any()           # held-out sample
    assert igd.loc[igd["sample"] == "s0", "train"].any()
