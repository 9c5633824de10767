"""Per-atom structural features: radial Gaussians G_i(μ) and two-body excess entropies S2,i(r_c).

PROTOCOL §5 (paper Eqs. 1–2). For every atom i (type u):

    G_i(μ)     = Σ_j exp[−(r_ij − μ)² / L²]                                   (dimensionless)
    S2,i(r_c)  = −½ Σ_v ρ_v ∫_0^{r_c} {g_i^{uv} ln g_i^{uv} − (g_i^{uv} − 1)} 4πr² dr   (k_B)
    g_i^{uv}(r) = (1 / (4π r² ρ_v)) Σ_{j∈v} δ_σ(r − r_ij),   δ_σ a normalised Gaussian of width σ

with ρ_v = N_v / V the number density of species v and the convention x ln x → 0 at x = 0.
Every periodic image of a neighbour inside the cutoff counts (cutoffs may exceed half the box).

Algorithm (vectorised, memory bounded by chunking the centre atoms):

1. one periodic neighbour search per chunk of centre atoms (KD-tree on the periodic images
   that lie within the cutoff of the cell, built once);
2. the pair distances of each centre atom are deposited, per neighbour species, on a
   uniform radial grid r_k = k·dr by linear ("cloud-in-cell") weights: the deposit keeps
   the count and the mean position of every pair exactly;
3. G = (histogram summed over species) @ K with K[k, μ] = exp[−(r_k − μ)²/L²]: one matrix
   product instead of one exp per pair and μ (linear interpolation of the Gaussian:
   error ≤ dr²/(4L²) = 8e-6 per pair for dr = 0.02 Å, L = 3.5 Å);
4. the smeared pair density n_i^v(r_k) = Σ_j δ_σ(r_k − r_ij) is the histogram convolved
   (FFT) with the Gaussian sampled on the grid, of variance σ² − dr²/6 (the linear deposit
   adds dr²/6 on average, t(1−t)dr² for a pair at fraction t of a bin, so the error is
   ≤ (dr/σ)²/48 k_B per isolated neighbour, 2e-4 for dr = σ/10); the integrand
   ρ_v 4πr²{g ln g − g + 1} = n ln(n / 4πr²ρ_v) − n + 4πr²ρ_v is integrated by the
   trapezoidal rule (spectrally accurate for σ ≥ 2 dr).

Truncation of G. The neighbour cutoff ``g_cutoff`` is our choice (config). For a uniform
density ρ the part of G(μ) beyond the cutoff R is ``gaussian_tail(μ, L, R, ρ)``; with
R = max μ + 3L = 18 Å, L = 3.5 Å and ρ = 0.059 Å⁻³ it is 0.017 for μ = 7.5 Å, i.e. 6e-5 of
G(7.5 Å) ≈ 270–290, and it is (nearly) the same constant for every atom, which the
standardisation of the learning stage removes. ``tests/test_structure.py`` shows on the
tiny glass that the per-atom change of G when the cutoff goes from 18 Å to 24 Å stays
below this bound and its spread over atoms is < 1e-3 of the spread of G.

On σ. S2,i depends on the smearing width σ (our choice, config): it is a local,
*smoothed* pair entropy (Piaggi & Parrinello, J. Chem. Phys. 147, 114112 (2017), the
quantity of LAMMPS ``compute entropy/atom``). It does **not** converge as σ → 0: each
neighbour resolved as an isolated peak contributes ½ ln σ + const, so
S2,i(σ) = ½ N_i(r_c) ln σ + C_i + O(σ²), where N_i(r_c) counts the neighbours within r_c.
What converges (and is tested) is S2 as the grid step dr → 0 at fixed σ, and
S2 − ½ N ln σ as σ → 0. Likewise the per-atom S2 of an ideal gas is not 0 for finite σ:
Poisson fluctuations of each local g_i^{uv} give dS2/dr_c ≈ −1/(8√π σ) per species v at
large r (tested); S2 = 0
exactly for a uniform (continuum) density, which is also tested.
"""

from __future__ import annotations

import logging
import time
from typing import Sequence

import numpy as np
import pandas as pd
from scipy import fft as sp_fft
from scipy.special import erfc, xlogy

from igd.common.neighbors import iter_pairs

log = logging.getLogger(__name__)

#: Suggested config values (PROTOCOL §5; the ones marked "our choice" are ours).
DEFAULTS: dict = {
    "mus": [round(1.5 + 0.2 * k, 1) for k in range(31)],      # Å, paper
    "L": 3.5,                                                  # Å, paper
    "g_cutoff": 18.0,                                          # Å, our choice: max μ + 3 L
    "s2_rcs": [round(3.0 + 0.5 * k, 1) for k in range(25)],   # Å, paper
    "sigma": 0.2,                                              # Å, our choice (smearing width)
    "dr": 0.02,                                                # Å, our choice (radial grid)
    "kernel_truncate": 5.0,                                    # σ, our choice
    "chunk_pairs": 2_000_000,                                  # pairs per chunk (memory bound)
}


def g_column(mu: float) -> str:
    """Column name of G_i(μ), e.g. ``G_1.5``."""
    return f"G_{mu:.1f}"


def s2_column(rc: float) -> str:
    """Column name of S2,i(r_c), e.g. ``S2_3.0``."""
    return f"S2_{rc:.1f}"


def feature_units(mus: Sequence[float], s2_rcs: Sequence[float]) -> dict[str, str]:
    """Units of the feature columns: G dimensionless (""), S2 in k_B per atom."""
    return {**{g_column(m): "" for m in mus}, **{s2_column(r): "k_B" for r in s2_rcs}}


#: Units of the columns for the paper's μ and r_c grids.
UNITS: dict[str, str] = feature_units(DEFAULTS["mus"], DEFAULTS["s2_rcs"])


def gaussian_tail(mu, L: float, cutoff: float, density: float):
    """Part of G(μ) beyond ``cutoff`` for a uniform density (truncation error estimate).

    ρ ∫_R^∞ 4π r² exp[−(r − μ)²/L²] dr in closed form (R = ``cutoff``, Å; ``density`` in
    Å⁻³); dimensionless, like G.
    """
    mu = np.asarray(mu, dtype=float)
    a = cutoff - mu
    e = np.exp(-(a / L) ** 2)
    c = erfc(a / L)
    sp = np.sqrt(np.pi)
    integral = (0.5 * L**2 * a * e + 0.25 * sp * L**3 * c
                + mu * L**2 * e + 0.5 * sp * L * mu**2 * c)
    return 4.0 * np.pi * density * integral


# --------------------------------------------------------------------------------------
# neighbour distances
# --------------------------------------------------------------------------------------

# --------------------------------------------------------------------------------------
# radial histograms and the two features
# --------------------------------------------------------------------------------------

def radial_histogram(i_local: np.ndarray, species: np.ndarray, dist: np.ndarray, *,
                     n_centers: int, n_species: int, dr: float, n_bins: int) -> np.ndarray:
    """Linear-weight ("cloud-in-cell") deposit of pair distances on r_k = k·dr.

    Returns H of shape (n_centers, n_species, n_bins): Σ_k H = number of pairs and
    Σ_k r_k H = Σ r_ij per centre and species (exact). Pairs at or beyond
    (n_bins − 1)·dr are dropped.
    """
    t = dist * (1.0 / dr)
    b = t.astype(np.int64)                 # floor, distances are >= 0
    frac = t - b
    key = i_local * n_species
    key += species
    key *= n_bins
    key += b
    if b.size and b.max() >= n_bins - 1:
        ok = b < n_bins - 1
        key, frac = key[ok], frac[ok]
    size = n_centers * n_species * n_bins
    upper = np.bincount(key, weights=frac, minlength=size)    # weight on node b + 1
    h = np.bincount(key, minlength=size).astype(float)
    h -= upper                                               # weight 1 − frac on node b
    h[1:] += upper[:-1]                  # b + 1 stays in the row: b <= n_bins − 2
    return h.reshape(n_centers, n_species, n_bins)


def gaussian_kernel_matrix(r: np.ndarray, mus: Sequence[float], L: float) -> np.ndarray:
    """K[k, m] = exp[−(r_k − μ_m)² / L²] (r, μ, L in Å)."""
    return np.exp(-((np.asarray(r)[:, None] - np.asarray(mus)[None, :]) / L) ** 2)


class _Smoother:
    """FFT convolution of radial histograms with a normalised Gaussian of width σ (Å⁻¹)."""

    def __init__(self, n_bins: int, dr: float, sigma: float, truncate: float, workers: int):
        var = sigma**2 - dr**2 / 6.0                       # the linear deposit adds dr²/6
        if var <= 0:
            raise ValueError(f"dr = {dr} Å is too coarse for sigma = {sigma} Å")
        half = int(np.ceil(truncate * sigma / dr))
        m = np.arange(-half, half + 1)
        kern = np.exp(-0.5 * (m * dr) ** 2 / var) / np.sqrt(2.0 * np.pi * var)
        self.n_bins = n_bins
        self.nfft = sp_fft.next_fast_len(n_bins + half + 1, real=True)
        wrapped = np.zeros(self.nfft)
        wrapped[m % self.nfft] = kern
        self.kernel_ft = sp_fft.rfft(wrapped)
        self.workers = workers

    def __call__(self, hist: np.ndarray) -> np.ndarray:
        ft = sp_fft.rfft(hist, n=self.nfft, axis=-1, workers=self.workers)
        out = sp_fft.irfft(ft * self.kernel_ft, n=self.nfft, axis=-1, workers=self.workers)
        return out[..., : self.n_bins]


def s2_from_density(n: np.ndarray, r: np.ndarray, densities: np.ndarray,
                    s2_rcs: Sequence[float]) -> np.ndarray:
    """S2(r_c) (k_B) from smeared pair densities n[..., v, k] = Σ_{j∈v} δ_σ(r_k − r_ij) (Å⁻¹).

    ``r`` is the uniform grid starting at 0 (Å), ``densities`` ρ_v (Å⁻³). Integrand
    Σ_v n ln(n / 4πr²ρ_v) − n + 4πr²ρ_v (= Σ_v ρ_v 4πr² {g ln g − g + 1}), with
    0 ln 0 = 0, trapezoidal rule, cumulative integral interpolated linearly at r_c.
    A uniform density n = 4πr²ρ_v gives 0 exactly.
    """
    r = np.asarray(r, dtype=float)
    dr = r[1] - r[0]
    if r[0] != 0.0:
        raise ValueError("the radial grid must start at r = 0")
    # r = 0 contributes 0 (n = 0 and 4πr²ρ = 0 there): work on r_k, k >= 1
    ideal = 4.0 * np.pi * r[1:] ** 2 * np.asarray(densities, dtype=float)[:, None]  # (v, k)
    n = np.maximum(n[..., 1:], 0.0)
    t = n / ideal
    xlogy(n, t, out=t)                                 # n ln(n / 4πr²ρ_v), 0 ln 0 = 0
    t -= n
    t += ideal
    f = np.zeros(n.shape[:-2] + (len(r),))
    t.sum(axis=-2, out=f[..., 1:])                      # (..., k)
    cum = np.zeros_like(f)
    np.cumsum(0.5 * dr * (f[..., 1:] + f[..., :-1]), axis=-1, out=cum[..., 1:])
    rcs = np.asarray(s2_rcs, dtype=float)
    k = np.clip(np.floor(rcs / dr + 1e-9).astype(np.int64), 0, len(r) - 2)
    w = rcs / dr - k
    return -0.5 * ((1.0 - w) * cum[..., k] + w * cum[..., k + 1])


def structure_features(positions: np.ndarray, cell: np.ndarray, types: np.ndarray, *,
                       mus: Sequence[float], L: float, g_cutoff: float,
                       s2_rcs: Sequence[float], sigma: float, dr: float,
                       kernel_truncate: float = 5.0, species: Sequence[int] | None = None,
                       origin=(0.0, 0.0, 0.0), centers: np.ndarray | None = None,
                       chunk_pairs: int = 2_000_000, workers: int = 1) -> pd.DataFrame:
    """Per-atom G_i(μ) and S2,i(r_c) of a periodic configuration (PROTOCOL §5).

    Parameters
    ----------
    positions : (N, 3) Cartesian positions (Å), need not be wrapped.
    cell : (3, 3) rows are the cell vectors a, b, c (Å); any triclinic cell.
    types : (N,) integer species (LAMMPS types; 1 = Cu, 2 = Zr).
    mus : centres μ of the radial Gaussians (Å); L their width (Å).
    g_cutoff : neighbour cutoff for G (Å), our choice; see ``gaussian_tail`` and the
        module docstring for the truncation error (max μ + 3L makes it negligible).
    s2_rcs : integration cutoffs r_c of S2 (Å).
    sigma : Gaussian smearing width of the local partial g_i^{uv}(r) (Å).
    dr : radial grid step (Å); ≤ σ/5 recommended (tested convergence).
    kernel_truncate : the smearing Gaussian is cut at this many σ.
    species : the species v summed over in S2 (default: the distinct ``types``).
    origin : cell origin (Å).
    centers : indices of the atoms to describe (default all; e.g. to split a job).
    chunk_pairs : ~pairs per chunk of centre atoms (bounds memory).
    workers : threads for the FFTs.

    Returns
    -------
    DataFrame, one row per atom in input order (per ``centers`` entry if given),
    columns ``G_<μ>`` (dimensionless) then ``S2_<r_c>`` (k_B per atom);
    ``feature_units(mus, s2_rcs)`` gives their units.
    """
    pos = np.asarray(positions, dtype=float)
    cell = np.asarray(cell, dtype=float)
    types = np.asarray(types)
    n_atoms = len(pos)
    if types.shape != (n_atoms,):
        raise ValueError("types must have one entry per atom")
    mus = np.asarray(mus, dtype=float)
    rcs = np.asarray(s2_rcs, dtype=float)
    if dr <= 0 or sigma <= 0 or L <= 0 or g_cutoff <= 0:
        raise ValueError("dr, sigma, L and g_cutoff must be positive")
    species = np.unique(types) if species is None else np.asarray(species)
    sp_index = np.searchsorted(species, types)
    if not np.array_equal(species[np.clip(sp_index, 0, len(species) - 1)], types):
        raise ValueError("types contains a species not listed in `species`")
    n_sp = len(species)
    volume = abs(np.linalg.det(cell))
    densities = np.array([(types == s).sum() for s in species], dtype=float) / volume
    present = densities > 0            # a species without atoms adds nothing to S2 (ρ_v = 0)
    if mus.size:
        log.info("G truncation at %.2f Å: uniform-density tail %.3g at μ = %.2f Å",
                 g_cutoff, gaussian_tail(mus.max(), L, g_cutoff, n_atoms / volume),
                 mus.max())

    s2_reach = rcs.max() + kernel_truncate * sigma if rcs.size else 0.0
    cutoff = max(g_cutoff, s2_reach)
    n_bins = int(np.ceil(cutoff / dr)) + 2
    n_s2 = min(n_bins, int(np.ceil(s2_reach / dr)) + 2)
    r = dr * np.arange(n_bins)
    kern_g = gaussian_kernel_matrix(r, mus, L)          # G counts the pairs r_ij < g_cutoff
    smooth = _Smoother(n_s2, dr, sigma, kernel_truncate, workers)

    pairs_per_atom = 4.0 / 3.0 * np.pi * cutoff**3 * n_atoms / volume
    chunk_size = int(max(1, min(n_atoms, chunk_pairs // max(pairs_per_atom, 1.0))))
    centers = np.arange(n_atoms) if centers is None else np.asarray(centers, dtype=np.int64)
    n_rows = len(centers)
    G = np.empty((n_rows, len(mus)))
    S2 = np.empty((n_rows, len(rcs)))
    t0 = time.perf_counter()
    last = t0
    n_chunks = -(-n_rows // chunk_size)
    done = 0
    for k, (chunk, pairs) in enumerate(
            iter_pairs(pos, cell, cutoff, origin=origin, chunk_size=chunk_size,
                       centers=centers, vectors=False)):
        il, j, dist = pairs.i, pairs.j, pairs.dist
        rows = slice(done, done + len(chunk))
        if g_cutoff < cutoff:
            # pairs in (g_cutoff, cutoff] serve S2 only; drop them from G exactly
            sel = dist < g_cutoff
            hg = radial_histogram(il[sel], np.zeros(sel.sum(), np.int64), dist[sel],
                                  n_centers=len(chunk), n_species=1, dr=dr,
                                  n_bins=n_bins)[:, 0]
            hist = radial_histogram(il, sp_index[j], dist, n_centers=len(chunk),
                                    n_species=n_sp, dr=dr, n_bins=n_s2)
        else:
            hist = radial_histogram(il, sp_index[j], dist, n_centers=len(chunk),
                                    n_species=n_sp, dr=dr, n_bins=n_bins)
            hg = hist.sum(axis=1)
            hist = hist[:, :, :n_s2]
        G[rows] = hg @ kern_g
        if rcs.size:
            S2[rows] = s2_from_density(smooth(hist[:, present]), r[:n_s2],
                                       densities[present], rcs)
        done += len(chunk)
        now = time.perf_counter()
        if now - last > 10.0 or k == n_chunks - 1:
            rate = done / (now - t0)
            log.info("structure features: %d/%d atoms, %.0f atoms/s, ETA %.0f s",
                     done, n_rows, rate, (n_rows - done) / rate)
            last = now
    columns = [g_column(m) for m in mus] + [s2_column(x) for x in rcs]
    return pd.DataFrame(np.hstack([G, S2]), columns=columns)


def structure_table(data_file, *, mus: Sequence[float], L: float, g_cutoff: float,
                    s2_rcs: Sequence[float], sigma: float, dr: float,
                    kernel_truncate: float = 5.0, species: Sequence[int] | None = (1, 2),
                    chunk_pairs: int = 2_000_000, workers: int = 1
                    ) -> tuple[pd.DataFrame, dict[str, str]]:
    """Stage driver: ``structure.parquet`` content for a LAMMPS data file (the IS).

    Returns ``(table, units)``: one row per atom ordered by id, columns ``id``, ``G_<μ>``
    ×len(mus), ``S2_<r_c>`` ×len(s2_rcs), ready for :func:`igd.common.io.write_table`. Parameters
    as in :func:`structure_features` (``species`` defaults to the LAMMPS types 1 = Cu,
    2 = Zr, so S2 sums over both even if one were absent).
    """
    from igd.common.datafile import read_lammps_data

    frame = read_lammps_data(data_file)
    table = structure_features(frame.positions, frame.cell, frame.types, origin=frame.origin,
                               mus=mus, L=L, g_cutoff=g_cutoff, s2_rcs=s2_rcs, sigma=sigma,
                               dr=dr, kernel_truncate=kernel_truncate, species=species,
                               chunk_pairs=chunk_pairs, workers=workers)
    table.insert(0, "id", frame.ids)
    return table, {"id": "", **feature_units(mus, s2_rcs)}
