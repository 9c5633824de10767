"""Structural features G_i(μ), S2,i(r_c): analytic cases, invariances, limits, convergence."""

from itertools import product

import numpy as np
import pandas as pd
import pytest

from igd.common.datafile import read_lammps_data
from igd.common.io import read_table, write_table
from igd.common.neighbors import iter_pairs, neighbor_pairs
from igd.structure.features import (DEFAULTS, UNITS, feature_units, g_column, gaussian_tail,
                           s2_column, s2_from_density,
                           structure_features, structure_table)

MUS = DEFAULTS["mus"]
RCS = DEFAULTS["s2_rcs"]
PAPER = {k: DEFAULTS[k] for k in ("mus", "L", "g_cutoff", "s2_rcs", "sigma", "dr")}


@pytest.fixture(scope="module")
def glass(tiny_glass):
    return read_lammps_data(tiny_glass)


@pytest.fixture(scope="module")
def glass_features(glass):
    return structure_features(glass.positions, glass.cell, glass.types, origin=glass.origin,
                              **PAPER)


def fcc(a, reps=1):
    """Conventional fcc cell (4 atoms) replicated reps³ times: positions, cubic cell."""
    basis = np.array([[0, 0, 0], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5]])
    cells = np.array(list(product(range(reps), repeat=3)))
    pos = (cells[:, None, :] + basis[None]).reshape(-1, 3) * a
    return pos, np.eye(3) * a * reps


def fcc_shells(a, r_max):
    """(distance, count) of the fcc neighbour shells below r_max, by brute force."""
    n = int(np.ceil(r_max / a)) + 1
    pos, _ = fcc(a)
    shifts = np.array(list(product(range(-n, n + 1), repeat=3))) * a
    d = np.linalg.norm((shifts[:, None, :] + pos[None]).reshape(-1, 3), axis=1)
    d = np.round(d[(d > 0) & (d < r_max)], 9)
    return np.unique(d, return_counts=True)


def s2_isolated_shells(shells, counts, rho, sigma, rc):
    """Closed form of S2 (k_B) when every shell is a peak narrower than its gaps and r_c."""
    inner = shells < rc
    d, n = shells[inner], counts[inner]
    peaks = n * (np.log(n / (4 * np.pi * rho * d**2)) - 0.5 * np.log(2 * np.pi * np.e * sigma**2)
                 + sigma**2 / d**2)
    return -0.5 * (peaks.sum() - n.sum() + 4 / 3 * np.pi * rho * rc**3)


# --- neighbour search -------------------------------------------------------------------

def test_chunked_pairs_equal_the_whole_neighbour_search():
    """Chunked iter_pairs gives the pairs of neighbor_pairs, triclinic, cutoff > box, any chunking."""
    rng = np.random.default_rng(3)
    cell = np.array([[6.0, 0, 0], [2.0, 5.5, 0], [-1.0, 1.5, 7.0]])
    pos = rng.uniform(-3, 12, (20, 3))
    ref = neighbor_pairs(pos, cell, 9.0, origin=(1, 2, 3))
    got = [np.c_[c[p.i], p.j, p.dist] for c, p in
           iter_pairs(pos, cell, 9.0, origin=(1, 2, 3), chunk_size=7)]
    got = np.vstack(got)
    want = np.c_[ref.i, ref.j, ref.dist]
    key = lambda x: x[np.lexsort((x[:, 2], x[:, 1], x[:, 0]))]  # noqa: E731
    assert got.shape == want.shape and len(want) > 20 * 100
    np.testing.assert_allclose(key(got), key(want), atol=1e-12)


# --- G ------------------------------------------------------------------------------------

@pytest.mark.parametrize("d", [2.0, 4.37, 9.9])
def test_g_two_atoms_at_known_distance(d):
    cell = np.eye(3) * 60.0                      # images 60 − d > g_cutoff away
    pos = np.array([[10.0, 10.0, 10.0], [10.0 + d * 0.6, 10.0 + d * 0.8, 10.0]])
    df = structure_features(pos, cell, [1, 2], mus=MUS, L=3.5, g_cutoff=18.0, s2_rcs=[],
                            sigma=0.2, dr=0.005)
    want = np.exp(-((d - np.asarray(MUS)) / 3.5) ** 2)
    # linear interpolation of the Gaussian on the grid: error <= dr²/(4 L²) = 5e-7
    np.testing.assert_allclose(df.to_numpy()[0], want, atol=6e-7)
    np.testing.assert_allclose(df.to_numpy()[1], want, atol=6e-7)
    assert list(df.columns) == [g_column(m) for m in MUS]


def test_g_counts_every_periodic_image_triclinic():
    """One atom in the (triclinic) primitive fcc cell: G is the fcc lattice sum, equal to
    that of the 4-atom cubic cell; both cells are far smaller than the 12 Å cutoff."""
    a = 3.6
    shells, counts = fcc_shells(a, 12.0)
    want = (counts[:, None] * np.exp(-((shells[:, None] - np.asarray(MUS)) / 3.5) ** 2)).sum(0)
    prim = 0.5 * a * np.array([[0, 1, 1], [1, 0, 1], [1, 1, 0]])
    kw = dict(mus=MUS, L=3.5, g_cutoff=12.0, s2_rcs=[3.0, 5.0], sigma=0.1, dr=0.01)
    one = structure_features(np.array([[0.3, -0.2, 0.1]]), prim, [1], **kw)
    pos, cube = fcc(a)
    four = structure_features(pos, cube, [1, 1, 1, 1], **kw)
    np.testing.assert_allclose(one.to_numpy()[0, :31], want, rtol=1e-5)
    for row in four.to_numpy():
        np.testing.assert_allclose(row, one.to_numpy()[0], rtol=1e-5, atol=1e-8)


def test_g_truncation_negligible(glass, glass_features):
    """Cutoff max μ + 3L = 18 Å versus 24 Å: the change is the analytic uniform-density
    tail (≤ 0.02 of G ≈ 270 at μ = 7.5 Å) and nearly the same for all atoms."""
    far = structure_features(glass.positions, glass.cell, glass.types, origin=glass.origin,
                             **{**PAPER, "g_cutoff": 24.0, "s2_rcs": []})
    cols = [g_column(m) for m in MUS]
    diff = far[cols].to_numpy() - glass_features[cols].to_numpy()
    tail = gaussian_tail(np.asarray(MUS), 3.5, 18.0, glass.n_atoms / glass.volume)
    assert tail[-1] < 0.02 and tail[-1] / far[cols[-1]].mean() < 1e-4
    assert np.all(diff >= -1e-9)
    assert np.all(diff.max(axis=0) <= 1.5 * tail + 1e-9)
    assert np.all(diff.std(axis=0) <= 1e-3 * far[cols].to_numpy().std(axis=0))


# --- invariances (tiny glass; cutoffs exceed half its 20.8 Å box) ------------------------------

def test_invariant_to_atom_order(glass, glass_features):
    perm = np.random.default_rng(0).permutation(glass.n_atoms)
    df = structure_features(glass.positions[perm], glass.cell, glass.types[perm],
                            origin=glass.origin, **PAPER)
    np.testing.assert_allclose(df.to_numpy(), glass_features.to_numpy()[perm],
                               rtol=1e-10, atol=1e-9)


def test_invariant_to_translation_across_boundary(glass, glass_features):
    shift = np.array([7.3, -11.9, 15.2])                  # many atoms cross the boundary
    df = structure_features(glass.positions + shift, glass.cell, glass.types,
                            origin=glass.origin, **PAPER)
    np.testing.assert_allclose(df.to_numpy(), glass_features.to_numpy(), rtol=1e-9,
                               atol=1e-8)


def test_invariant_to_box_replication(glass, glass_features):
    reps = np.array(list(product(range(2), repeat=3)))
    pos = (glass.positions[None] + (reps @ glass.cell)[:, None]).reshape(-1, 3)
    types = np.tile(glass.types, len(reps))
    some = np.r_[0:40, 3 * glass.n_atoms:3 * glass.n_atoms + 40]   # copies 0 and 3
    df = structure_features(pos, 2 * glass.cell, types, origin=glass.origin, centers=some,
                            **PAPER)
    want = glass_features.to_numpy()[some % glass.n_atoms]
    np.testing.assert_allclose(df.to_numpy(), want, rtol=1e-9, atol=1e-8)


# --- S2 limits --------------------------------------------------------------------------------

def test_absent_species_adds_nothing(glass):
    kw = {**PAPER, "mus": [2.5], "s2_rcs": [4.0, 8.0]}
    cu = glass.types == 1
    one = structure_features(glass.positions[cu], glass.cell, glass.types[cu], **kw)
    two = structure_features(glass.positions[cu], glass.cell, glass.types[cu],
                             species=[1, 2], **kw)
    pd.testing.assert_frame_equal(one, two)


def test_s2_zero_for_uniform_density():
    """The continuum ideal gas: n(r) = 4πr²ρ_v gives S2 = 0 exactly."""
    r = 0.01 * np.arange(1601)
    rho = np.array([0.03, 0.02])
    n = 4 * np.pi * r**2 * rho[:, None]
    np.testing.assert_allclose(s2_from_density(n[None], r, rho, RCS), 0.0, atol=1e-12)


def test_s2_ideal_gas_is_poisson_noise_only():
    """Uniform random points (2 species): the local g fluctuates only by Poisson noise,
    so dS2/dr_c → −Σ_v 1/(8√π σ) at large r, i.e. → 0 as σ grows; a perfect fcc crystal
    is far more negative (σ = 0.1 Å, one species)."""
    rng = np.random.default_rng(7)
    n_atoms, rho = 1500, 0.06
    box = (n_atoms / rho) ** (1 / 3)
    pos = rng.uniform(0, box, (n_atoms, 3))
    rcs = np.arange(3.0, 8.01, 0.5)
    cols = [s2_column(r) for r in rcs]
    kw = dict(mus=[2.0], L=3.5, g_cutoff=4.0, s2_rcs=rcs)
    sigma = 0.3
    df = structure_features(pos, np.eye(3) * box, rng.integers(1, 3, n_atoms), sigma=sigma,
                            dr=0.03, **kw)
    s2 = df[cols].to_numpy().mean(axis=0)
    # Var g_i^{uv}(r) = 1/(4πr²ρ_v 2√πσ): each of the 2 species adds 1/(8√πσ) per Å
    noise = 2 / (8 * np.sqrt(np.pi) * sigma)
    slope = np.polyfit(rcs[rcs >= 5], s2[rcs >= 5], 1)[0]
    assert slope == pytest.approx(-noise, rel=0.15)

    gas = structure_features(pos, np.eye(3) * box, np.ones(n_atoms, int), sigma=0.1,
                             dr=0.01, **kw)[cols].to_numpy().mean(axis=0)
    pos_f, cube = fcc(3.6, reps=3)
    crystal = structure_features(pos_f, cube, np.ones(len(pos_f), int), sigma=0.1, dr=0.01,
                                 **kw)[cols].to_numpy()
    assert np.allclose(crystal, crystal[0])               # all fcc atoms are equivalent
    assert np.all(crystal[0] < 3 * gas) and crystal[0, 0] < -5.0


@pytest.mark.parametrize("sigma", [0.05, 0.025])
def test_s2_fcc_matches_closed_form(sigma):
    """Perfect fcc (a = 3.6 Å; shells at 2.55, 3.6, 4.41 Å): isolated Gaussian peaks give
    S2 in closed form; it is strongly negative."""
    a = 3.6
    pos, cube = fcc(a)
    rcs = [3.0, 4.0, 4.8]
    df = structure_features(pos, cube, [1, 1, 1, 1], mus=[2.0], L=3.5, g_cutoff=3.0,
                            s2_rcs=rcs, sigma=sigma, dr=sigma / 25)
    shells, counts = fcc_shells(a, 6.0)
    want = [s2_isolated_shells(shells, counts, 4 / a**3, sigma, rc) for rc in rcs]
    got = df[[s2_column(r) for r in rcs]].to_numpy()
    for row in got:
        # the linear deposit: |error| <= (dr/σ)²/48 = 3e-5 k_B per isolated neighbour
        np.testing.assert_allclose(row, want, rtol=1e-4)
    assert got[0, 0] < -10.0
    # G with a cutoff below the S2 reach: only the 12 nearest neighbours count
    d1 = a / np.sqrt(2)
    np.testing.assert_allclose(df["G_2.0"], 12 * np.exp(-((d1 - 2.0) / 3.5) ** 2), rtol=1e-6)


def test_s2_smearing_limit():
    """S2 does not converge as σ → 0 (each resolved neighbour adds ½ ln σ); S2 − ½ N ln σ
    does: for fcc within 4 Å (N = 18) it is constant to O(σ²)."""
    pos, cube = fcc(3.6)
    vals = []
    for sigma in (0.08, 0.04, 0.02):
        df = structure_features(pos, cube, [1] * 4, mus=[2.0], L=3.5, g_cutoff=3.0,
                                s2_rcs=[4.0], sigma=sigma, dr=sigma / 10)
        vals.append(df[s2_column(4.0)].iloc[0] - 0.5 * 18 * np.log(sigma))
    steps = np.abs(np.diff(vals))
    assert steps[1] < 0.3 * steps[0] and steps[1] < 2e-3


def test_s2_converges_with_grid_step(glass):
    """At fixed σ, S2 and G converge (second order) as the radial grid step shrinks."""
    kw = {**PAPER, "s2_rcs": [3.0, 5.0, 10.0, 15.0]}
    run = lambda dr: structure_features(glass.positions, glass.cell, glass.types,  # noqa
                                        origin=glass.origin, **{**kw, "dr": dr}).to_numpy()
    ref, coarse, fine = run(0.005), run(0.04), run(0.02)
    err_coarse = np.abs(coarse - ref).max()
    err_fine = np.abs(fine - ref).max()
    assert err_fine < 0.35 * err_coarse
    assert np.abs(fine - ref)[:, 31:].max() < 5e-3          # k_B, at the default dr
    assert np.abs(fine - ref)[:, :31].max() < 1e-3


def test_glass_features_sane_and_written(tiny_glass, glass, glass_features, tmp_path):
    df = glass_features
    assert list(df.columns) == [g_column(m) for m in MUS] + [s2_column(r) for r in RCS]
    assert df.columns[0] == "G_1.5" and df.columns[30] == "G_7.5"
    assert df.columns[31] == "S2_3.0" and df.columns[-1] == "S2_15.0"
    assert len(df) == glass.n_atoms and np.isfinite(df.to_numpy()).all()
    s2 = df[[s2_column(r) for r in RCS]].to_numpy()
    assert np.all(s2 < 0) and np.all(np.diff(s2.mean(axis=0)) < 0)
    assert np.all(np.diff(df[[g_column(m) for m in MUS]].to_numpy(), axis=1) > 0)
    table, units = structure_table(tiny_glass, **PAPER)
    pd.testing.assert_frame_equal(table.drop(columns="id"), df)
    assert list(table.columns)[0] == "id" and np.all(table["id"] == glass.ids)
    path = write_table(table, tmp_path / "structure.parquet", units=units, params=PAPER)
    back = read_table(path)
    pd.testing.assert_frame_equal(back.reset_index(drop=True), table)
    assert UNITS == feature_units(MUS, RCS) and UNITS["S2_15.0"] == "k_B"
