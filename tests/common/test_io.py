"""Parquet with units and provenance; atomic writes; data-file reading errors."""

import numpy as np
import pandas as pd
import pytest

from igd.common.datafile import DataFileError, read_lammps_data
from igd.common.io import atomic_path, read_metadata, read_table, write_table


def test_table_round_trip_with_metadata(tmp_path):
    df = pd.DataFrame({"id": [1, 2], "x": [0.5, 1.5]})
    path = write_table(df, tmp_path / "t.parquet", units={"id": "", "x": "Å"},
                       params={"a": np.float64(1.5), "b": [1, 2]}, provenance={"rule": "r"})
    pd.testing.assert_frame_equal(read_table(path), df)
    meta = read_metadata(path)
    assert meta["units"] == {"id": "", "x": "Å"}
    assert meta["params"] == {"a": 1.5, "b": [1, 2]}
    assert meta["provenance"]["rule"] == "r" and "igd_version" in meta["provenance"]


def test_same_content_gives_identical_bytes(tmp_path):
    df = pd.DataFrame({"x": np.linspace(0, 1, 50)})
    a = write_table(df, tmp_path / "a.parquet", units={"x": "Å"}, params={"k": 1})
    b = write_table(df, tmp_path / "b.parquet", units={"x": "Å"}, params={"k": 1})
    assert a.read_bytes() == b.read_bytes()


def test_every_column_needs_a_unit(tmp_path):
    with pytest.raises(ValueError, match="no unit"):
        write_table(pd.DataFrame({"x": [1]}), tmp_path / "t.parquet", units={})
    assert not (tmp_path / "t.parquet").exists()


def test_atomic_path_leaves_old_file_on_failure(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("killed")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


DATA = """LAMMPS data file

3 atoms
2 atom types

0.0 10.0 xlo xhi
0.0 11.0 ylo yhi
0.0 12.0 zlo zhi
1.0 0.0 0.5 xy xz yz

Masses

1 63.546
2 91.224

Atoms # atomic

3 2 1.0 2.0 3.0 0 0 0
1 1 4.0 5.0 6.0 0 0 0
2 2 7.0 8.0 9.0 0 0 0
"""


def test_read_data_file(tmp_path):
    p = tmp_path / "d.data"
    p.write_text(DATA)
    f = read_lammps_data(p)
    assert list(f.ids) == [1, 2, 3] and list(f.types) == [1, 2, 2]
    np.testing.assert_allclose(f.positions[0], [4, 5, 6])
    np.testing.assert_allclose(f.cell, [[10, 0, 0], [1, 11, 0], [0, 0.5, 12]])
    assert f.masses == {1: 63.546, 2: 91.224}


def test_truncated_data_file_names_the_problem(tmp_path):
    p = tmp_path / "d.data"
    p.write_text(DATA.rsplit("\n", 2)[0] + "\n")
    with pytest.raises(DataFileError, match="header says 3 atoms.*has 2"):
        read_lammps_data(p)
    with pytest.raises(DataFileError, match="no such"):
        read_lammps_data(tmp_path / "missing.data")
