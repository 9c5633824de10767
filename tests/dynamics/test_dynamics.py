"""MSD, α2, F_s, τ_α, S(q) (igd.dynamics: correlators, sq, tables) on
synthetic data, and the 700 K driver (igd.dynamics.md)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from igd.dynamics import correlators as co
from igd.dynamics import md
from igd.dynamics import sq as sf
from igd.dynamics import tables as tb
from igd.common.datafile import read_lammps_data

POTENTIAL = {"file": "potentials/CuZr_mm.eam.fs",
             "sha256": "a512753c2b80a63a7e15d7422f471268888eda650fc12df81fb2275680737781",
             "elements": ["Cu", "Zr"], "pair_style": "eam/fs"}
ROOT = Path(__file__).resolve().parents[2]


def gaussian_disp(n, sigmas, seed=0):
    """(n, K, 3) displacements, each Cartesian component N(0, σ_k²)."""
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, len(sigmas), 3)) * np.asarray(sigmas)[None, :, None]


# ----------------------------------------------------------------------------- averages

def test_gaussian_displacements():
    sig = np.array([0.1, 0.3, 0.6])
    d = gaussian_disp(200_000, sig)
    m = co.msd(d)
    np.testing.assert_allclose(m, 3 * sig ** 2, rtol=0.01)
    np.testing.assert_allclose(co.alpha2(d), 0, atol=0.02)
    q = 2.7
    np.testing.assert_allclose(co.fs(d, q), np.exp(-q * q * 3 * sig ** 2 / 6), atol=0.004)


def test_two_population_mixture():
    n, f, s1, s2 = 200_000, 0.2, 1.0, 0.3
    fast = np.zeros(n, bool)
    fast[: int(f * n)] = True
    d = gaussian_disp(n, [1.0])
    d[fast] *= s1
    d[~fast] *= s2
    expected = (f * s1 ** 4 + (1 - f) * s2 ** 4) / (f * s1 ** 2 + (1 - f) * s2 ** 2) ** 2 - 1
    assert expected == pytest.approx(1.7909, abs=1e-4)
    assert co.alpha2(d)[0] == pytest.approx(expected, rel=0.03)
    # each population alone is Gaussian; masks and index arrays both select
    assert co.alpha2(d, fast)[0] == pytest.approx(0, abs=0.03)
    assert co.alpha2(d, np.flatnonzero(~fast))[0] == pytest.approx(0, abs=0.03)
    assert co.msd(d, fast)[0] == pytest.approx(3 * s1 ** 2, rel=0.01)
    q = 2.7
    fs_exp = f * np.exp(-q * q * s1 ** 2 / 2) + (1 - f) * np.exp(-q * q * s2 ** 2 / 2)
    assert co.fs(d, q)[0] == pytest.approx(fs_exp, abs=0.004)


def test_alpha2_exact_two_shell():
    # half the atoms at |Δr| = 1, half at 0: ⟨r⁴⟩ = 1/2, ⟨r²⟩ = 1/2 → 3·0.5/(5·0.25) − 1 = 0.2
    d = np.zeros((4, 2, 3))
    d[:2, 1, 0] = 1.0
    assert co.alpha2(d)[1] == pytest.approx(0.2)
    assert np.isnan(co.alpha2(d)[0])                 # t = 0: undefined, NaN not 0/0 warning
    assert co.fs(d, 2.0)[1] == pytest.approx(0.5 + 0.5 * np.sin(2.0) / 2.0)
    with pytest.raises(ValueError):
        co.msd(d, np.zeros(4, bool))


def test_tau_alpha_exponential():
    tau = 3.7
    t = np.geomspace(0.01, 1000, 121)                 # 20 points per decade
    f = np.exp(-t / tau)
    est, ok = co.tau_alpha(t, f)
    assert ok and est == pytest.approx(tau, rel=2e-3)
    # F linear in log t is interpolated exactly
    f_lin = 1 - 0.1 * np.log(t / t[0])
    t_exact = t[0] * np.exp((1 - np.exp(-1)) / 0.1)
    assert co.tau_alpha(t, f_lin)[0] == pytest.approx(t_exact, rel=1e-12)
    # stack of curves: one never decays → NaN and flag False
    taus, reached = co.tau_alpha(t, np.stack([f, np.full_like(t, 0.9), np.exp(-t / 50)]))
    assert reached.tolist() == [True, False, True]
    assert np.isnan(taus[1]) and taus[2] == pytest.approx(50, rel=2e-3)


def test_com_drift_removed():
    rng = np.random.default_rng(3)
    d = gaussian_disp(50, [0.1, 0.2])
    masses = rng.choice([63.546, 91.224], size=50)
    d -= (masses[:, None, None] * d).sum(0) / masses.sum()   # zero COM motion
    drift = np.array([[0.5, -1.0, 2.0], [1.0, 2.0, -3.0]])
    back = co.remove_com_drift(d + drift[None], masses)
    np.testing.assert_allclose(back, d, atol=1e-12)
    np.testing.assert_allclose((masses[:, None, None] * back).sum(0), 0, atol=1e-10)
    # the unweighted variant removes the plain mean
    np.testing.assert_allclose(co.remove_com_drift(d + drift[None]).mean(0), 0, atol=1e-12)


def test_log_time_grid():
    t = md.log_time_grid(0.002, 100.0, 10, 0.002)
    steps = t / 0.002
    np.testing.assert_allclose(steps, np.rint(steps))
    assert t[0] == pytest.approx(0.002) and t[-1] == pytest.approx(100.0)
    assert np.all(np.diff(t) > 0)
    assert 40 <= len(t) <= 48                             # 4.7 decades × 10, minus duplicates


def test_displacement_table_roundtrip():
    d = gaussian_disp(5, [0.1, 0.2, 0.3])
    df = tb.displacement_table(np.arange(1, 6), np.ones(5, int), d)
    assert list(df.columns[:5]) == ["id", "type", "dx_000", "dy_000", "dz_000"]
    ids, back = tb.displacements_from_table(df)
    np.testing.assert_array_equal(ids, np.arange(1, 6))
    np.testing.assert_array_equal(back, d)


# ----------------------------------------------------------------------------- S(q)

def test_wave_vectors_triclinic():
    cell = np.array([[10.0, 0, 0], [2.0, 9.0, 0], [1.0, -1.5, 11.0]])
    k = sf.wave_vectors(cell, 3.0)
    n = k @ cell.T / (2 * np.pi)                          # k·a_i / 2π must be integers
    np.testing.assert_allclose(n, np.rint(n), atol=1e-9)
    assert np.all(np.linalg.norm(k, axis=1) <= 3.0 + 1e-12)
    keys = {tuple(v) for v in np.rint(n).astype(int)}
    assert len(keys) == len(k) and not any(tuple(-np.array(v)) in keys for v in keys)


def test_structure_factor_lattice_and_gas():
    a, m = 2.0, 5
    cells = np.stack(np.meshgrid(*[np.arange(m)] * 3, indexing="ij"), -1).reshape(-1, 3)
    pos = a * cells + 0.3                                 # simple cubic, N = 125
    bragg = 2 * np.pi / a * np.array([[1.0, 0, 0], [1, 1, 0], [0, 2, 1]])
    np.testing.assert_allclose(sf.structure_factor_k(pos, bragg), len(pos), rtol=1e-10)
    off = 2 * np.pi / (a * m) * np.array([[3.0, 4, 0], [1, 0, 0]])  # not reciprocal-lattice
    np.testing.assert_allclose(sf.structure_factor_k(pos, off), 0, atol=1e-9)
    # ideal gas: S(q) = 1
    rng = np.random.default_rng(0)
    box = 12.0
    gas = rng.uniform(0, box, size=(1000, 3))
    s = sf.structure_factor(gas, np.eye(3) * box, q_max=6.0, dq=0.5)
    sel = s["q"] > 2                                    # ~3000 k-vectors, each S ~ Exp(1)
    assert abs(np.average(s["S"][sel], weights=s["n_k"][sel]) - 1) < 0.06
    # partials of two random species combine to the total (x_a S_aa + 2√(x_a x_b) S_ab + …)
    types = rng.integers(1, 3, size=len(gas))
    sp = sf.structure_factor(gas, np.eye(3) * box, q_max=4.0, dq=0.5, types=types,
                             type_names={1: "Cu", 2: "Zr"})
    xa = np.mean(types == 1)
    recon = xa * sp["S_CuCu"] + 2 * np.sqrt(xa * (1 - xa)) * sp["S_CuZr"] \
        + (1 - xa) * sp["S_ZrZr"]
    np.testing.assert_allclose(recon, sp["S"], rtol=1e-10)
    # subsampling caps the k-vectors per bin and is reproducible
    s1 = sf.structure_factor(gas, np.eye(3) * box, q_max=6.0, dq=0.5, max_k_per_bin=20, seed=1)
    s2 = sf.structure_factor(gas, np.eye(3) * box, q_max=6.0, dq=0.5, max_k_per_bin=20, seed=1)
    assert s1["n_k"].max() == 20 and s1.equals(s2)


def test_glass_structure_factor_peak(tiny_glass):
    frame = read_lammps_data(tiny_glass)
    s = sf.structure_factor(frame.positions, frame.cell, q_max=5.0, dq=0.1)
    assert 2.4 < s["q"][s["S"].idxmax()] < 3.0            # main peak near 2.7 Å⁻¹


# ----------------------------------------------------------------------------- LAMMPS

@pytest.mark.lammps
def test_run_dynamics_short(tiny_glass, tmp_path):
    dt = 0.002
    times = md.log_time_grid(dt, 0.2, 10, dt)
    atoms, times_df, units = md.run_dynamics(
        tiny_glass, potential=POTENTIAL, temperature=700.0, pressure=0.0, tdamp=0.2,
        pdamp=2.0, timestep=dt, times_ps=times, seed=7, root=ROOT,
        log_file=tmp_path / "lmp.log")
    frame = read_lammps_data(tiny_glass)
    np.testing.assert_array_equal(atoms["id"], frame.ids)
    np.testing.assert_array_equal(atoms["type"], frame.types)
    assert set(units) >= set(atoms.columns) | set(times_df.columns)
    np.testing.assert_allclose(times_df["t"], times)
    ids, d = tb.displacements_from_table(atoms)
    assert d.shape == (500, len(times), 3)
    masses = np.array([frame.masses[t] for t in frame.types])
    np.testing.assert_allclose((masses[:, None, None] * d).sum(0) / masses.sum(), 0, atol=1e-10)
    assert np.abs(d).max() < 2.0                           # unwrapped: no box-length jumps
    m = co.msd(d)
    assert m[1] / m[0] == pytest.approx(4.0, rel=0.05)     # ballistic at 2 and 4 fs
    assert times_df["temp"].iloc[0] == pytest.approx(700, rel=0.1)
    # same seed → same trajectory
    atoms2, _, _ = md.run_dynamics(
        tiny_glass, potential=POTENTIAL, temperature=700.0, pressure=0.0, tdamp=0.2,
        pdamp=2.0, timestep=dt, times_ps=times[:3], seed=7, root=ROOT)
    np.testing.assert_allclose(atoms2.iloc[:, 2:11].to_numpy(), atoms.iloc[:, 2:11].to_numpy(),
                               atol=1e-9)


def test_group_dynamics_and_is_sq(tiny_glass):
    t = np.geomspace(0.1, 100, 31)
    sig = 0.05 * np.sqrt(t)
    d = gaussian_disp(4000, sig)
    d[:2000] *= 4.0                                        # a fast half
    fast = np.zeros(4000, bool)
    fast[:2000] = True
    curves, summary, units = co.group_dynamics(t, d, 2.7, {"fast": fast, "slow": ~fast,
                                                           "all": None})
    assert set(units) >= set(curves.columns) | set(summary.columns)
    s = summary.set_index("group")
    assert s.loc["fast", "tau_reached"] and s.loc["fast", "n_atoms"] == 2000
    assert s.loc["fast", "tau_alpha"] < s.loc["all", "tau_alpha"]
    # slow group: ⟨r²⟩ = 3σ² = 0.0075 t → F_s = exp(−q² 0.0075 t/6) = 1/e at t = 109.7 > 100
    assert not s.loc["slow", "tau_reached"] and np.isnan(s.loc["slow", "tau_alpha"])
    assert s.loc["all", "alpha2_max"] > 0.5 > abs(s.loc["fast", "alpha2_max"])
    sq, sq_units = sf.is_structure_factor(tiny_glass, q_max=4.0, dq=0.1)
    assert {"q", "S", "S_CuCu", "S_CuZr", "S_ZrZr", "n_k"} <= set(sq.columns) <= set(sq_units)
