"""Glasses from structure files (igd.common.glassfile, igd.glass.importing): every bad
input is an error naming the file and the problem, before any LAMMPS job; a good file
(LAMMPS data or extended XYZ) is minimised with the configured potential."""

from __future__ import annotations

import numpy as np
import pytest

from igd.common.config import load, validate
from igd.common.datafile import read_lammps_data, write_lammps_data
from igd.common.glassfile import (GlassFileError, check_frame, check_source, image_cutoffs,
                                  read_glass_file)

from conftest import ROOT

GLASS = ROOT / "tests" / "data" / "cu64zr36_relabelled.data"
"""500 atoms, 320 Cu + 180 Zr: the default run's s0 inherent structure with 70 random Zr
turned to Cu (not minimised: the import minimises it)."""


@pytest.fixture(scope="module")
def config() -> dict:
    return validate(load(ROOT / "config" / "config.yaml"))


def _edit(tmp_path, name, edit) -> str:
    lines = GLASS.read_text().splitlines()
    path = tmp_path / name
    path.write_text("\n".join(edit(lines)) + "\n")
    return str(path)


def _section(lines, name):
    return lines.index(next(ln for ln in lines if ln.startswith(name))) + 2


def _write_xyz(path, symbols, positions, side):
    lat = f'Lattice="{side} 0 0 0 {side} 0 0 0 {side}" Properties=species:S:1:pos:R:3 pbc="T T T"'
    rows = [f"{s} {x:.8f} {y:.8f} {z:.8f}" for s, (x, y, z) in zip(symbols, positions)]
    path.write_text("\n".join([str(len(rows)), lat, *rows]) + "\n")
    return path


def test_the_committed_file_is_a_good_cu64zr36(config):
    frame = check_source(GLASS, config, ROOT)
    assert frame.n_atoms == 500
    assert np.count_nonzero(frame.types == 1) == 320           # Cu64Zr36 of 500 atoms
    assert frame.masses == {1: 63.546, 2: 91.224}


def _masses(lines):
    k = _section(lines, "Masses")
    lines[k] = "1 58.69"                        # nickel's mass on the Cu type
    return lines


def _labels(lines):
    k = _section(lines, "Masses")
    lines[k + 1] = "2 91.224 # Cu"              # the Zr type named Cu
    return lines


def _third_type(lines):
    k = _section(lines, "Atoms")
    first = lines[k].split()
    lines[k] = " ".join([first[0], "3", *first[2:]])
    return lines


def _truncated(lines):
    return lines[:-20]


def _garbled(lines):
    k = _section(lines, "Atoms")
    lines[k + 5] = lines[k + 5].split()[0] + " 1 0.5"
    return lines


def _close(lines):
    k = _section(lines, "Atoms")
    a, b = lines[k].split(), lines[k + 1].split()
    b[2:5] = [f"{float(v) + 0.3:.6f}" for v in a[2:5]]      # atom 2 0.52 Å from atom 1
    lines[k + 1] = " ".join(b)
    return lines


@pytest.mark.parametrize("edit, message", [
    (_masses, r"type 1 has mass 58.69 amu, the potential's Cu has 63.546 amu"),
    (_labels, r"type 2 is named 'Cu', but type 2 of the potential is 'Zr'"),
    (_third_type, r"atom types \[3\] beyond the potential's 2 elements"),
    (_truncated, r"header says 500 atoms, (Atoms|Velocities) section has 480"),
    (_garbled, r"unreadable Atoms line|need 'id type x y z'"),
    (_close, r"atoms too close: atom \d+ and atom \d+ are 0.520 Å apart"),
])
def test_bad_lammps_files(tmp_path, config, edit, message):
    path = _edit(tmp_path, "bad.data", edit)
    with pytest.raises(GlassFileError, match=message) as err:
        check_source(path, config, ROOT)
    assert "bad.data" in str(err.value)


def test_missing_file(tmp_path, config):
    with pytest.raises(GlassFileError, match="nowhere.data: no such file"):
        check_source(tmp_path / "nowhere.data", config, ROOT)


def test_box_too_small_names_the_cutoff(tmp_path, config):
    """A 16-atom B2 cell (6.5 Å) is narrower than the potential's 7.6 Å range; a box of
    the right size but narrower than the ARTn local sphere (paper: 20 Å radius) names
    that cutoff."""
    a, n = 3.26, 2
    g = np.stack(np.meshgrid(*[np.arange(n)] * 3, indexing="ij"), -1).reshape(-1, 3) * a
    small = _write_xyz(tmp_path / "b2.xyz", ["Cu"] * len(g) + ["Zr"] * len(g),
                       np.concatenate([g, g + a / 2]), n * a)
    with pytest.raises(GlassFileError, match=r"b2.xyz: box too small: .* 6.52 Å is not above "
                                             r"7.\d+ Å, needed by the potential range"):
        check_source(small, config, ROOT)
    paper = validate(load(ROOT / "config" / "paper.yaml"))
    cutoffs = image_cutoffs(paper, ROOT)
    frame = read_glass_file(GLASS, ["Cu", "Zr"], paper["potential"]["masses"])
    with pytest.raises(GlassFileError, match=r"needed by the artn.search.local_radius"):
        check_frame(frame, GLASS, cutoffs)


def test_extxyz_maps_names_and_rotates_the_cell(tmp_path, config):
    """An extended XYZ of the committed glass with the species swapped in the file order
    and a rotated cell: read with the potential's types, the same pair distances."""
    ref = read_lammps_data(GLASS)
    symbols = np.array(["Cu", "Zr"])[ref.types - 1]
    side = ref.cell[0, 0]
    rot = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    path = tmp_path / "glass.xyz"
    pos = (ref.positions - ref.origin) @ rot.T
    cell = ref.cell @ rot.T
    lat = " ".join(f"{v:.10f}" for v in cell.ravel())
    rows = [f"{s} {x:.10f} {y:.10f} {z:.10f}" for s, (x, y, z) in zip(symbols[::-1], pos[::-1])]
    path.write_text("\n".join([str(len(rows)), f'Lattice="{lat}" '
                               'Properties=species:S:1:pos:R:3 pbc="T T T"', *rows]) + "\n")
    frame = check_source(path, config, ROOT)
    assert np.array_equal(np.sort(frame.types), np.sort(ref.types))
    assert np.allclose(np.abs(np.linalg.det(frame.cell)), ref.volume)
    assert np.allclose(frame.cell, np.tril(frame.cell))          # LAMMPS' orientation
    d_ref = np.linalg.norm(ref.positions[1] - ref.positions[0])
    d = np.linalg.norm(frame.positions[-2] - frame.positions[-1])
    assert d == pytest.approx(d_ref, abs=1e-8)


def test_extxyz_with_another_element(tmp_path, config):
    path = _write_xyz(tmp_path / "al.xyz", ["Al", "Cu"], [[0, 0, 0], [2.5, 0, 0]], 20.0)
    with pytest.raises(GlassFileError, match=r"al.xyz: particle types \['Al'\] are not elements"):
        check_source(path, config, ROOT)


def test_write_read_roundtrip(tmp_path):
    ref = read_lammps_data(GLASS)
    ref.cell[1, 0] = 0.7                                   # triclinic
    back = read_lammps_data(write_lammps_data(tmp_path / "r.data", ref))
    assert np.allclose(back.positions, ref.positions, atol=1e-12)
    assert np.allclose(back.cell, ref.cell) and back.masses == ref.masses


@pytest.mark.lammps
def test_import_minimises_with_the_potential(tmp_path, config):
    """The committed file with a 0.05 Å random shake: minimised below the force
    tolerance; per-atom table and data file as rule glass writes them."""
    from igd.glass.importing import import_glass

    rng = np.random.default_rng(3)
    frame = read_lammps_data(GLASS)
    frame.positions += rng.normal(scale=0.05, size=frame.positions.shape)
    shaken = write_lammps_data(tmp_path / "shaken.data", frame)
    out = tmp_path / "inherent.data"
    atoms, summary = import_glass(shaken, out, config=config, log_file=tmp_path / "log",
                                  root=ROOT)
    assert summary["fmax_eV_per_A"] <= config["glass"]["minimize"]["fmax_tolerance"]
    assert summary["n_atoms"] == 500 and len(atoms) == 500
    assert list(atoms.columns) == ["id", "type", "element", "x", "y", "z", "pe"]
    assert (atoms["element"] == "Cu").sum() == 320
    assert summary["energy_eV_per_atom"] == pytest.approx(atoms["pe"].mean(), abs=1e-9)
    assert read_lammps_data(out).n_atoms == 500
