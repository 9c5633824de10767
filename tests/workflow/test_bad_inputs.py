"""The bad-input catalogue: each bad input fails with one clear line naming the thing.

Config keys and values (unknown/mistyped keys, negative temperature, γ_max ≤ Δγ,
composition not summing to 1, more test samples than samples) are in test_config.py;
a missing, garbled or mismatched potential file and wrong element names in
test_lammps.py and test_config.py. This file covers the rest: truncated LAMMPS data
files, stage tables from another sample or with missing atoms, LAMMPS blowing up, and a
failing rule deleting nothing but its own outputs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

from igd.common.datafile import DataFileError, read_lammps_data
from igd.common.io import write_table
from igd.learning.features import FeatureMismatchError, assemble_features_from_files

from conftest import ROOT, run_snakemake

POT = {"file": "potentials/CuZr_mm.eam.fs",
       "sha256": "a512753c2b80a63a7e15d7422f471268888eda650fc12df81fb2275680737781",
       "elements": ["Cu", "Zr"], "pair_style": "eam/fs"}


def test_config_catalogue_is_covered():
    """The config cases the issue lists exist in test_config.py's table."""
    from test_config import BAD

    for case in ["unknown top-level key", "unknown nested key", "wrong type",
                 "negative temperature", "gamma_max not above the D2min interval",
                 "composition not summing to 1", "more test samples than samples",
                 "bad element name"]:
        assert case in BAD, case


# --------------------------------------------------------------------------------------
# Truncated LAMMPS data files
# --------------------------------------------------------------------------------------

def b2_data(path, n=4, a=3.26, velocities=False):
    """A B2 CuZr crystal (2 n^3 atoms, lattice constant ``a`` Å) as a LAMMPS data file."""
    g = np.stack(np.meshgrid(*[np.arange(n)] * 3, indexing="ij"), -1).reshape(-1, 3) * a
    pos = np.concatenate([g, g + a / 2])
    types = np.repeat([1, 2], len(g))
    L = n * a
    lines = ["LAMMPS data file: B2 CuZr", "", f"{len(pos)} atoms", "2 atom types", "",
             f"0 {L} xlo xhi", f"0 {L} ylo yhi", f"0 {L} zlo zhi", "", "Masses", "",
             "1 63.546", "2 91.224", "", "Atoms # atomic", ""]
    lines += [f"{i + 1} {t} {x:.6f} {y:.6f} {z:.6f}"
              for i, (t, (x, y, z)) in enumerate(zip(types, pos))]
    if velocities:
        lines += ["", "Velocities", ""]
        lines += [f"{i + 1} 0.1 -0.2 0.3" for i in range(len(pos))]
    path.write_text("\n".join(lines) + "\n")
    return path


def _cut(path, n_chars):
    text = path.read_text()
    path.write_text(text[:len(text) - n_chars])
    return path


@pytest.mark.parametrize("where, cut, match", [
    ("in the Velocities section", 200, "Velocities section has"),
    ("inside the last velocity line", 5, "Velocities section has"),
    ("in the Atoms section", 3000, "header says 128 atoms"),
    ("in the header", None, "header lacks"),
])
def test_truncated_data_file_names_the_file(tmp_path, where, cut, match):
    path = b2_data(tmp_path / "inherent.data", velocities=True)
    if cut is None:
        path.write_text("\n".join(path.read_text().splitlines()[:6]) + "\n")
    else:
        _cut(path, cut)
    with pytest.raises(DataFileError, match=match) as err:
        read_lammps_data(path)
    msg = str(err.value)
    assert str(path) in msg and "\n" not in msg


def test_complete_data_file_still_reads(tmp_path):
    f = read_lammps_data(b2_data(tmp_path / "ok.data", velocities=True))
    assert f.n_atoms == 128 and f.masses == {1: 63.546, 2: 91.224}


@pytest.mark.lammps
def test_lammps_loading_path_names_a_truncated_file(tmp_path):
    from igd.common.lammps import load_structure, start_lammps

    path = _cut(b2_data(tmp_path / "inherent.data"), 3000)
    lmp = start_lammps(tmp_path / "lmp.log")
    try:
        with pytest.raises(DataFileError, match="LAMMPS cannot read") as err:
            load_structure(lmp, path, POT, root=ROOT)
    finally:
        lmp.close()
    msg = str(err.value)
    assert str(path) in msg and "ERROR" in msg and "\n" not in msg


# --------------------------------------------------------------------------------------
# Stage tables from another sample, with missing atoms, or disagreeing on types
# --------------------------------------------------------------------------------------

N = 12


def _stage_files(root, sample="s0", *, n=N, types=None, sample_of=None):
    """Minimal labels/structure/vmsd/barriers/atoms tables of one sample under ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    sample_of = sample_of or {}
    ids = np.arange(1, n + 1)
    types = np.tile([1, 2], n // 2) if types is None else types
    rng = np.random.default_rng(0)
    tables = {
        "labels": pd.DataFrame({"id": ids, "type": types, "dd2min_max": rng.random(n),
                                "rearranged": rng.random(n) > 0.5}),
        "structure": pd.DataFrame({"id": ids, "G_1.5": rng.random(n),
                                   "S2_3": -rng.random(n)}),
        "vmsd": pd.DataFrame({"id": ids, "vmsd": rng.random(n) * 0.01}),
        "barriers": pd.DataFrame({"id": ids, "dQ_1": rng.random(n)}),
        "atoms": pd.DataFrame({"id": ids, "type": types}),
    }
    paths = {}
    for name, df in tables.items():
        p = root / f"{name}.parquet"
        write_table(df, p, units={c: "" for c in df.columns},
                    params={"sample": sample_of.get(name, sample)})
        paths[name] = p
    return paths


def _assemble(p, sample="s0"):
    return assemble_features_from_files(p["labels"], p["structure"], {100.0: p["vmsd"]},
                                        p["barriers"], p["atoms"], sample=sample)


def test_consistent_stage_files_assemble(tmp_path):
    table, report = _assemble(_stage_files(tmp_path))
    assert list(table["id"]) == list(range(1, N + 1)) and report["n_incomplete"] == 0
    assert {"G_1.5", "S2_3", "vmsd_100K", "dQ_1"} <= set(table.columns)


def test_table_of_another_sample_is_named(tmp_path):
    p = _stage_files(tmp_path, sample_of={"structure": "s1"})
    with pytest.raises(FeatureMismatchError, match="sample s1, not of s0") as err:
        _assemble(p)
    assert str(p["structure"]) in str(err.value)


def test_missing_atoms_are_named_with_their_ids(tmp_path):
    p = _stage_files(tmp_path)
    df = pd.read_parquet(p["barriers"])
    write_table(df[~df["id"].isin([3, 7])], p["barriers"], units={c: "" for c in df.columns},
                params={"sample": "s0"})
    with pytest.raises(FeatureMismatchError, match=r"2 id\(s\) missing \[3, 7\]") as err:
        _assemble(p)
    assert str(p["barriers"]) in str(err.value) and "\n" not in str(err.value)


def test_duplicate_and_disagreeing_atoms_are_named(tmp_path):
    p = _stage_files(tmp_path)
    df = pd.read_parquet(p["vmsd"])
    write_table(pd.concat([df, df.iloc[[4]]]), p["vmsd"], units={"id": "", "vmsd": ""},
                params={"sample": "s0"})
    with pytest.raises(FeatureMismatchError, match=r"duplicate atom ids \[5\]") as err:
        _assemble(p)
    assert str(p["vmsd"]) in str(err.value)
    q = _stage_files(tmp_path / "b")
    atoms = pd.read_parquet(q["atoms"])
    atoms.loc[atoms["id"] == 2, "type"] = 1
    write_table(atoms, q["atoms"], units={"id": "", "type": ""}, params={"sample": "s0"})
    with pytest.raises(FeatureMismatchError, match=r"type of 1 atom\(s\), ids \[2\]") as err:
        _assemble(q)
    assert str(q["atoms"]) in str(err.value)


# --------------------------------------------------------------------------------------
# LAMMPS blowing up
# --------------------------------------------------------------------------------------

@pytest.mark.lammps
def test_lost_atoms_raise_with_the_lammps_message(tmp_path):
    from igd.vmsd.md import run_vmsd

    data = b2_data(tmp_path / "b2.data")
    log = tmp_path / "vmsd.log"
    with pytest.raises(Exception, match="ERROR: Lost atoms"):
        run_vmsd(data, potential=POT, temperature=1000.0, duration_ps=10.0,
                 timestep_ps=0.2, sample_every_ps=2.0, seed=5, log_file=log, root=ROOT,
                 ensemble="nvt")
    assert "ERROR: Lost atoms" in log.read_text()           # LAMMPS' own log has it too
    # under the default NPT the box blows up first: still LAMMPS' own error, in its log
    with pytest.raises(Exception, match="ERROR"):
        run_vmsd(data, potential=POT, temperature=1000.0, duration_ps=10.0,
                 timestep_ps=0.2, sample_every_ps=2.0, seed=5, log_file=log, root=ROOT)
    assert "ERROR" in log.read_text()


def _overlapping(tmp_path):
    """A B2 crystal with atom 2 moved onto atom 1: infinite/NaN energy."""
    path = b2_data(tmp_path / "overlap.data")
    lines = path.read_text().splitlines()
    k = lines.index("Atoms # atomic") + 2
    first, second = lines[k].split(), lines[k + 1].split()
    lines[k + 1] = " ".join(second[:2] + first[2:5])
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.lammps
def test_non_finite_energy_is_an_error(tmp_path):
    from igd.common.lammps import LammpsRunError, check_finite, load_structure, start_lammps

    lmp = start_lammps(tmp_path / "lmp.log")
    try:
        load_structure(lmp, _overlapping(tmp_path), POT, root=ROOT)
        lmp.command("run 0")
        with pytest.raises(LammpsRunError, match="overlap check: LAMMPS state is not finite"):
            check_finite(lmp, "overlap check")
    finally:
        lmp.close()


@pytest.mark.lammps
def test_vmsd_refuses_a_nan_trajectory(tmp_path):
    from igd.vmsd.md import run_vmsd

    with pytest.raises(Exception, match="not finite"):
        run_vmsd(_overlapping(tmp_path), potential=POT, temperature=100.0, duration_ps=0.02,
                 timestep_ps=0.002, sample_every_ps=0.01, seed=5,
                 log_file=tmp_path / "v.log", root=ROOT, ensemble="nvt")
    # the default NPT: LAMMPS stops on the non-numeric pressure before our check
    with pytest.raises(Exception, match="ERROR: Non-numeric pressure|not finite"):
        run_vmsd(_overlapping(tmp_path), potential=POT, temperature=100.0, duration_ps=0.02,
                 timestep_ps=0.002, sample_every_ps=0.01, seed=5,
                 log_file=tmp_path / "v.log", root=ROOT)


def test_uncaught_error_lands_in_the_rule_log(tmp_path):
    """A rule script's uncaught exception (e.g. LAMMPS' message) goes to its log."""
    log = tmp_path / "rule.log"
    code = textwrap.dedent(f"""
        from igd.common.logs import setup
        setup({str(log)!r})
        raise Exception("ERROR: Lost atoms: original 500 current 55")
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode != 0
    text = log.read_text()
    assert "CRITICAL" in text and "ERROR: Lost atoms: original 500 current 55" in text
    assert "Traceback" in text


# --------------------------------------------------------------------------------------
# A failing rule deletes only its own outputs
# --------------------------------------------------------------------------------------

def _files(root):
    out = {}
    for p in (root / "results").rglob("*"):
        rel = str(p.relative_to(root))
        if p.is_file() and "/logs/" not in f"/{rel}" and "/benchmarks/" not in f"/{rel}":
            out[rel] = p.stat().st_mtime_ns
    return out


@pytest.mark.workflow
def test_failing_rule_deletes_only_its_own_output(smoke_run, tmp_path):
    work = tmp_path / "run"
    shutil.copytree(smoke_run, work, symlinks=True)             # copy2 keeps the mtimes
    shutil.rmtree(work / ".snakemake" / "locks", ignore_errors=True)
    # the structure table of s0 replaced by that of s1: "an input from another sample"
    shutil.copy2(work / "results/s1/structure.parquet", work / "results/s0/structure.parquet")
    os.utime(work / "results/s0/structure.parquet")             # newer than features
    before = _files(work)
    target = "results/s0/features.parquet"
    proc = run_snakemake(work, target, "--cores", "1", "--configfile", "config/smoke.yaml",
                         "--rerun-triggers", "mtime", check=False, timeout=600)
    assert proc.returncode != 0
    assert "features" in proc.stdout + proc.stderr
    log = (work / "results/logs/s0/features.log").read_text()
    assert "results/s0/structure.parquet: a table of sample s1, not of s0" in log
    after = _files(work)
    assert target not in after                                  # its own output: deleted
    lost = sorted(set(before) - set(after) - {target})
    assert not lost, f"a failing rule deleted other files: {lost}"
    changed = [p for p in after if before.get(p) != after[p]]
    assert not changed, f"a failing rule touched other files: {changed}"
