"""AQS driver bookkeeping on the tiny glass."""

from pathlib import Path

import numpy as np
import pytest

from igd.common.datafile import read_lammps_data
from igd.labels.aqs import CURVE_UNITS, PER_ATOM_UNITS, TRACE_UNITS, _steps, run_aqs


POTENTIAL = {"file": "potentials/CuZr_mm.eam.fs",
             "sha256": "a512753c2b80a63a7e15d7422f471268888eda650fc12df81fb2275680737781",
             "elements": ["Cu", "Zr"], "pair_style": "eam/fs"}
ROOT = Path(__file__).resolve().parents[2]
STEP, NSTEPS, PER = 2e-3, 4, 2  # 4 AQS steps of 0.2 %, ΔD²min over 2 of them
TILT = {"xy": ("xy", 1), "yz": ("yz", 2), "zx": ("xz", 2)}


@pytest.fixture(scope="module")
def aqs_runs(tiny_glass, tmp_path_factory):
    log_dir = tmp_path_factory.mktemp("aqs")
    return {d: run_aqs(tiny_glass, d, potential=POTENTIAL, root=ROOT, strain_step=STEP,
                       strain_max=NSTEPS * STEP, d2min_interval=PER * STEP,
                       d2min_cutoff=3.7, ftol=1e-8, trace_atoms=[1, 2, 3],
                       log_file=log_dir / f"{d}.log")
            for d in ("xy", "yz", "zx")}


@pytest.mark.lammps
@pytest.mark.parametrize("direction", ["xy", "yz", "zx"])
def test_aqs_bookkeeping(aqs_runs, tiny_glass, direction):
    per_atom, curve, trace = aqs_runs[direction]
    n = read_lammps_data(tiny_glass).n_atoms
    assert list(per_atom.columns) == list(PER_ATOM_UNITS)
    assert list(curve.columns) == list(CURVE_UNITS)
    assert list(trace.columns) == list(TRACE_UNITS)
    # per atom: every atom once, finite non-negative maxima at one of the window ends
    np.testing.assert_array_equal(per_atom["id"], np.arange(1, n + 1))
    assert np.all(np.isfinite(per_atom["dd2min_max"])) and (per_atom["dd2min_max"] >= 0).all()
    windows = np.arange(1, NSTEPS // PER + 1) * PER * STEP
    assert np.isin(per_atom["strain_at_max"].round(12), windows.round(12)).all()
    assert per_atom["dd2min_max"].max() > 1e-6  # the glass responds non-affinely
    assert per_atom["dd2min_max"].max() < 1.0   # no atom lost across the boundary (~L²)
    # curve: states 0..N, strictly increasing strain, converged minima, finite numbers
    np.testing.assert_array_equal(curve["step"], np.arange(NSTEPS + 1))
    np.testing.assert_allclose(curve["strain"], np.arange(NSTEPS + 1) * STEP)
    assert np.all(np.diff(curve["strain"]) > 0)
    assert curve["converged"].all() and (curve["fmax"] <= 1e-8).all()
    assert np.isfinite(curve[["stress", "pe", "fnorm"]].to_numpy()).all()
    # elastic start: stress rises with strain at a shear modulus of tens of GPa
    modulus = (curve["stress"].iloc[1] - curve["stress"].iloc[0]) / STEP
    assert 10 < modulus < 60
    # trace: the requested atoms, one row per window each, maxima consistent
    assert len(trace) == 3 * len(windows)
    for atom, t in trace.groupby("id"):
        assert t["dd2min"].max() == pytest.approx(
            per_atom.set_index("id").loc[atom, "dd2min_max"], rel=1e-6)
        assert np.all(np.diff(t["strain"]) > 0)


@pytest.mark.lammps
def test_directions_shear_different_planes(aqs_runs, tiny_glass):
    frame = read_lammps_data(tiny_glass)
    for d, (tilt, k) in TILT.items():
        curve = aqs_runs[d][1]
        final = curve.iloc[-1]
        # exactly the tilt of this direction changed, by γ·L
        assert final[tilt] == pytest.approx(NSTEPS * STEP * frame.cell[k, k], rel=1e-9)
        for other in {"xy", "xz", "yz"} - {tilt}:
            assert final[other] == 0.0
    # different stress components (residual stress of the IS differs) and responses
    s0 = [aqs_runs[d][1]["stress"].iloc[0] for d in TILT]
    assert len(set(np.round(s0, 6))) == 3
    dd = [aqs_runs[d][0]["dd2min_max"].to_numpy() for d in TILT]
    assert not np.allclose(dd[0], dd[1]) and not np.allclose(dd[1], dd[2])


def test_steps_must_be_whole():
    assert _steps(1e-5, 0.05, 1e-4) == (5000, 10)
    with pytest.raises(ValueError, match="whole"):
        _steps(1e-5, 0.05, 1.5e-5)
    with pytest.raises(ValueError, match="positive"):
        _steps(0.0, 0.05, 1e-4)


def test_run_aqs_rejects_unknown_direction(tiny_glass):
    with pytest.raises(ValueError, match="direction"):
        run_aqs(tiny_glass, "xx", potential=POTENTIAL, strain_step=1e-3, strain_max=1e-2,
                d2min_interval=1e-3, d2min_cutoff=3.7)


@pytest.mark.lammps
def test_stress_ignores_velocities_in_data_file(aqs_runs, tiny_glass, tmp_path):
    # a data file written after MD carries velocities; the AQS stress is the T = 0 virial
    text = Path(tiny_glass).read_text()
    text = text.split("\nVelocities")[0].rstrip("\n")  # drop any velocities it has
    ids = read_lammps_data(tiny_glass).ids
    hot = "\n".join(f"{i} 3.0 -2.0 1.5" for i in ids)
    data = tmp_path / "hot.data"
    data.write_text(f"{text}\n\nVelocities\n\n{hot}\n")
    _, curve, _ = run_aqs(data, "xy", potential=POTENTIAL, root=ROOT, strain_step=STEP,
                          strain_max=STEP, d2min_interval=STEP, d2min_cutoff=3.7, ftol=1e-8)
    ref = aqs_runs["xy"][1]
    assert curve["stress"].iloc[0] == pytest.approx(ref["stress"].iloc[0], abs=1e-6)
    assert curve["stress"].iloc[1] == pytest.approx(ref["stress"].iloc[1], abs=1e-5)


def test_trace_atom_choice():
    from igd.labels.aqs import _pick_trace_ids

    ids = np.arange(1, 11)
    dd = np.array([0.5, 0.0, 0.3, 0.1, 0.2, 0.9, 0.05, 0.01, 0.02, 0.03])
    # int 3: the two largest jumps (ids 6, 1) and one atom of median rank
    picked = _pick_trace_ids(ids, dd, 3)
    assert list(picked[:2]) == [6, 1] and picked.size == 3
    assert dd[picked[2] - 1] < 0.1
    np.testing.assert_array_equal(_pick_trace_ids(ids, dd, [4, 2]), [4, 2])
    assert _pick_trace_ids(ids, dd, None).size == 0
    with pytest.raises(ValueError, match="not in the system"):
        _pick_trace_ids(ids, dd, [11])
