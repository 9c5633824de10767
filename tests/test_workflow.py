"""The workflow end to end on the smoke config, lint, and what a changed key reruns."""

import re

import numpy as np
import pytest
import yaml

from igd.io import read_metadata, read_table

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
        peak = read_metadata(glass / "rdf.parquet")["first_peak"]
        assert 2.5 < peak < 2.9                          # paper Fig. 1: first peak ≈ 2.7 Å
        assert (glass / "inherent.data").stat().st_size > 10_000
        log = (smoke_run / "results" / "logs" / s / "glass.log").read_text()
        assert "quench:" in log and "ETA" in log and "inherent structure" in log
        assert "Loop time" in log                        # LAMMPS' own log went there too
    a0 = read_table(smoke_run / "results/s0/glass/atoms.parquet")
    a1 = read_table(smoke_run / "results/s1/glass/atoms.parquet")
    assert not np.allclose(a0["x"], a1["x"])             # samples differ by seed
    png = smoke_run / "results" / "figures" / "fig01_rdf.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (smoke_run / "results" / "benchmarks" / "s0" / "glass.tsv").exists()


def _variant(workdir, edit, name):
    cfg = yaml.safe_load((workdir / "config" / "smoke.yaml").read_text())
    edit(cfg)
    (workdir / name).write_text(yaml.safe_dump(cfg))
    return name


def test_changed_parameter_reruns_only_what_depends_on_it(smoke_run):
    assert planned_jobs(smoke_run, "config/smoke.yaml") == {}
    quench = _variant(smoke_run, lambda c: c["glass"].update(quench_rate=1e14), "q.yaml")
    jobs = planned_jobs(smoke_run, quench)
    assert jobs.get("glass") == 2 and jobs.get("rdf") == 2 and jobs.get("fig01_rdf") == 1
    binning = _variant(smoke_run, lambda c: c["rdf"].update(dr=0.05), "r.yaml")
    jobs = planned_jobs(smoke_run, binning)
    assert "glass" not in jobs and jobs.get("rdf") == 2
