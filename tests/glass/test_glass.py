"""The glass stage on the smoke schedule: a dense, minimised, periodic 500-atom glass."""

import numpy as np
import pytest

from igd.common.datafile import read_lammps_data
from igd.glass.quench import phase_steps
from igd.common.neighbors import neighbor_pairs

pytestmark = pytest.mark.lammps


def test_schedule_steps():
    g = {"timestep": 0.002, "heat_time": 10.0, "equilibrate_time": 20.0, "t_melt": 2000.0,
         "t_final": 1.0, "quench_rate": 1e13}
    assert phase_steps(g) == {"heat": 5000, "equilibrate": 10000, "quench": 99950}


def test_glass_is_dense_minimised_and_periodic(tiny_glass_run):
    data, atoms, thermo, summary = tiny_glass_run
    assert len(atoms) == 500
    assert (atoms["element"] == "Cu").sum() == 250 and (atoms["element"] == "Zr").sum() == 250
    assert list(atoms["id"]) == list(range(1, 501))
    # a Cu50Zr50 glass of this potential is ~7.1-7.2 g/cm^3 and ~ -4.85 eV/atom
    assert 6.9 < summary["density_g_cm3"] < 7.4
    assert -4.90 < summary["energy_eV_per_atom"] < -4.78
    assert summary["fmax_eV_per_A"] < 1e-4
    np.testing.assert_allclose(atoms["pe"].sum() / 500, summary["energy_eV_per_atom"], rtol=1e-10)
    cell = np.array(summary["box_cell"])
    assert np.allclose(cell, np.diag(np.diag(cell)))              # iso barostat: still cubic
    assert np.ptp(np.diag(cell)) < 1e-8 and 19.5 < cell[0, 0] < 21.5
    # periodic: no two atoms closer than 2 Å, across the boundary included
    frame = read_lammps_data(data)
    pairs = neighbor_pairs(frame.positions, frame.cell, 2.0, origin=frame.origin)
    assert len(pairs) == 0
    np.testing.assert_allclose(frame.positions, atoms[["x", "y", "z"]].to_numpy(), atol=1e-6)


def test_thermo_follows_the_schedule(tiny_glass_run, smoke_config):
    _, _, thermo, _ = tiny_glass_run
    assert list(thermo.columns[:3]) == ["step", "time", "phase"]
    assert set(thermo["phase"]) == {"heat", "equilibrate", "quench"}
    hot = thermo[thermo["phase"] == "equilibrate"]["temp"]
    hot = hot.iloc[len(hot) // 2:]                     # after the thermostat caught up
    assert 1700 < hot.mean() < 2300
    assert thermo["temp"].iloc[-1] < 150
    assert np.all(np.diff(thermo["step"]) > 0)
