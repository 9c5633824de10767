"""Dynamics at 700 K: displacement histories and their averages, and S(q) of the IS.

Two parts:

* :func:`run_dynamics` — the LAMMPS driver: NPT (Nosé–Hoover, Parrinello–Rahman) from the
  inherent structure, unwrapped positions (``compute property/atom xu yu zu``) gathered at
  the steps of a time grid by a loop of ``run`` chunks; returns per-atom displacements
  Δr_i(t_k) = r_i(t_k) − r_i(0), mass-weighted centre-of-mass drift removed. Memory is
  N × K × 3 float64 (19 652 atoms × 60 times = 28 MB).
* pure functions of a displacement array ``disp`` of shape (n_atoms, n_times, 3) in Å,
  each taking an optional ``atoms`` selection (boolean mask or index array) so that any
  group (e.g. an IGD bin) is averaged alone: :func:`msd`, :func:`alpha2`, :func:`fs`,
  :func:`tau_alpha`; and :func:`structure_factor` of a periodic configuration.

S(q) is computed by the direct Debye sum over the wave vectors allowed by the periodic
box, S(k) = |Σ_j exp(i k·r_j)|² / N, averaged over |k| bins (no g(r) truncation window
needed; triclinic-safe); for big boxes a seeded random subset of k-vectors per bin keeps the
cost bounded.
"""

from __future__ import annotations

import logging
import math
import os
import time
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from igd.common.datafile import read_lammps_data

log = logging.getLogger(__name__)

INV_E = math.exp(-1.0)


# --------------------------------------------------------------------------- time grid

def log_time_grid(t_min: float, t_max: float, points_per_decade: int,
                  timestep: float) -> np.ndarray:
    """Log-spaced times (ps) from ``t_min`` to ``t_max`` rounded to whole MD steps.

    Duplicates after rounding (at short times) are dropped; every time is ≥ 1 step.
    """
    if not 0 < t_min < t_max:
        raise ValueError(f"need 0 < t_min < t_max, got {t_min}, {t_max}")
    n = int(math.ceil(points_per_decade * math.log10(t_max / t_min))) + 1
    t = np.geomspace(t_min, t_max, n)
    steps = np.unique(np.maximum(1, np.rint(t / timestep).astype(np.int64)))
    return steps * timestep


def _select(disp: np.ndarray, atoms) -> np.ndarray:
    disp = np.asarray(disp, dtype=float)
    if disp.ndim != 3 or disp.shape[2] != 3:
        raise ValueError(f"displacements must have shape (n_atoms, n_times, 3), got {disp.shape}")
    if atoms is None:
        return disp
    sel = disp[np.asarray(atoms)]
    if sel.shape[0] == 0:
        raise ValueError("empty atom selection")
    return sel


# --------------------------------------------------------------------------- averages

def remove_com_drift(disp: np.ndarray, masses: np.ndarray | None = None) -> np.ndarray:
    """Displacements minus the (mass-weighted) centre-of-mass displacement at each time."""
    disp = np.asarray(disp, dtype=float)
    w = np.ones(disp.shape[0]) if masses is None else np.asarray(masses, dtype=float)
    com = np.einsum("i,itd->td", w, disp) / w.sum()
    return disp - com[None, :, :]


def msd(disp: np.ndarray, atoms=None) -> np.ndarray:
    """Mean-squared displacement ⟨|Δr|²⟩(t) (Å²), shape (n_times,)."""
    d = _select(disp, atoms)
    return np.einsum("itd,itd->it", d, d).mean(axis=0)


def alpha2(disp: np.ndarray, atoms=None) -> np.ndarray:
    """Non-Gaussian parameter α2(t) = 3⟨Δr⁴⟩/(5⟨Δr²⟩²) − 1 (NaN where ⟨Δr²⟩ = 0)."""
    d = _select(disp, atoms)
    r2 = np.einsum("itd,itd->it", d, d)
    m2 = r2.mean(axis=0)
    m4 = (r2 * r2).mean(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(m2 > 0, 3.0 * m4 / (5.0 * m2 * m2) - 1.0, np.nan)


def fs(disp: np.ndarray, q: float, atoms=None) -> np.ndarray:
    """Self-intermediate scattering function F_s(q, t), isotropic average ⟨sin(qr)/(qr)⟩.

    ``q`` in Å⁻¹ (the paper: 2.7, the main peak of S(q)). Dimensionless, F_s(q, 0) = 1.
    """
    d = _select(disp, atoms)
    r = np.sqrt(np.einsum("itd,itd->it", d, d))
    return np.sinc(q * r / np.pi).mean(axis=0)  # np.sinc(x) = sin(πx)/(πx)


def tau_alpha(t: np.ndarray, f: np.ndarray, level: float = INV_E
              ) -> tuple[np.ndarray | float, np.ndarray | bool]:
    """α-relaxation time: first time F_s falls to ``level`` (default 1/e).

    Linear interpolation of F_s in log t between the bracketing grid points (``t`` > 0,
    ascending, ps). ``f`` is one curve (n_times,) or a stack (..., n_times). Returns
    ``(tau, reached)``; ``tau`` is NaN and ``reached`` False where F_s stays above
    ``level`` over the whole grid. A curve already at or below ``level`` at ``t[0]``
    gives ``t[0]`` (reached).
    """
    t = np.asarray(t, dtype=float)
    f = np.asarray(f, dtype=float)
    if f.shape[-1] != t.size or np.any(t <= 0) or np.any(np.diff(t) <= 0):
        raise ValueError("tau_alpha needs ascending positive times matching f's last axis")
    below = f <= level
    reached = below.any(axis=-1)
    k = np.argmax(below, axis=-1)                     # first index at or below level
    km1 = np.maximum(k - 1, 0)
    f0 = np.take_along_axis(f, km1[..., None], -1)[..., 0]
    f1 = np.take_along_axis(f, k[..., None], -1)[..., 0]
    lt0, lt1 = np.log(t[km1]), np.log(t[k])
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(f0 != f1, (f0 - level) / (f0 - f1), 0.0)
    tau = np.where(k == 0, t[0], np.exp(lt0 + frac * (lt1 - lt0)))
    tau = np.where(reached, tau, np.nan)
    if tau.ndim == 0:
        return float(tau), bool(reached)
    return tau, reached


def dynamics_curves(t: np.ndarray, disp: np.ndarray, q: float, atoms=None) -> pd.DataFrame:
    """MSD, α2 and F_s of one atom group on the time grid, as a table (t, msd, alpha2, fs)."""
    return pd.DataFrame({"t": np.asarray(t, float), "msd": msd(disp, atoms),
                         "alpha2": alpha2(disp, atoms), "fs": fs(disp, q, atoms)})


# --------------------------------------------------------------------------- S(q)

def wave_vectors(cell: np.ndarray, q_max: float) -> np.ndarray:
    """Allowed k = n·B (B rows b_i, a_i·b_j = 2πδ_ij) with 0 < |k| ≤ q_max, one of ±k (Å⁻¹)."""
    cell = np.asarray(cell, dtype=float)
    recip = 2 * np.pi * np.linalg.inv(cell).T
    n_max = np.floor(q_max * np.linalg.norm(cell, axis=1) / (2 * np.pi)).astype(int)
    axes = [np.arange(-m, m + 1) for m in n_max]
    n = np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, 3)
    # half space: first non-zero component positive (drops k = 0 and one of each ±k)
    first = np.where(n[:, 0] != 0, n[:, 0], np.where(n[:, 1] != 0, n[:, 1], n[:, 2]))
    n = n[first > 0]
    k = n @ recip
    return k[np.einsum("kd,kd->k", k, k) <= q_max * q_max]


def density_modes(positions: np.ndarray, kvecs: np.ndarray, chunk: int = 256) -> np.ndarray:
    """ρ(k) = Σ_j exp(i k·r_j) for each k (complex, shape (n_k,))."""
    pos = np.asarray(positions, dtype=float)
    out = np.empty(len(kvecs), dtype=complex)
    for s in range(0, len(kvecs), chunk):
        phase = kvecs[s:s + chunk] @ pos.T
        out[s:s + chunk] = np.cos(phase).sum(1) + 1j * np.sin(phase).sum(1)
    return out


def structure_factor_k(positions: np.ndarray, kvecs: np.ndarray) -> np.ndarray:
    """S(k) = |ρ(k)|²/N at the given wave vectors (Å⁻¹); N at a Bragg vector of a crystal."""
    rho = density_modes(positions, np.asarray(kvecs, dtype=float))
    return (rho * rho.conj()).real / len(positions)


def structure_factor(positions: np.ndarray, cell: np.ndarray, *, q_max: float, dq: float,
                     types: np.ndarray | None = None, max_k_per_bin: int | None = None,
                     seed: int = 0, type_names: Mapping[int, str] | None = None
                     ) -> pd.DataFrame:
    """Static structure factor S(q) of a periodic configuration, |k|-binned Debye sum.

    Bins of width ``dq`` (Å⁻¹) up to ``q_max``; ``q`` is the mean |k| of the vectors in a
    bin, ``n_k`` their number (empty bins dropped). With ``types``, also the
    Ashcroft–Langreth partials S_ab = Re ρ_a ρ_b* / √(N_a N_b) as ``S_<a><b>`` (names from
    ``type_names``, e.g. {1: "Cu", 2: "Zr"}). ``max_k_per_bin`` keeps at most that many
    k-vectors per bin (seeded random choice) for large boxes.
    """
    pos = np.asarray(positions, dtype=float)
    kvecs = wave_vectors(cell, q_max)
    knorm = np.linalg.norm(kvecs, axis=1)
    b = np.floor(knorm / dq).astype(int)
    if max_k_per_bin is not None:
        rng = np.random.default_rng(seed)
        keep = np.concatenate([rng.permutation(np.flatnonzero(b == v))[:max_k_per_bin]
                               for v in np.unique(b)])
        keep.sort()
        kvecs, knorm, b = kvecs[keep], knorm[keep], b[keep]
    t0 = time.perf_counter()
    groups: dict[str, np.ndarray] = {}
    if types is None:
        rho = density_modes(pos, kvecs)
        s_k = {"S": (rho * rho.conj()).real / len(pos)}
    else:
        types = np.asarray(types)
        names = {t: (type_names or {}).get(int(t), str(int(t))) for t in np.unique(types)}
        rhos = {t: density_modes(pos[types == t], kvecs) for t in names}
        counts = {t: int(np.count_nonzero(types == t)) for t in names}
        total = sum(rhos.values())
        s_k = {"S": (total * total.conj()).real / len(pos)}
        tl = list(names)
        for ia, a in enumerate(tl):
            for bb in tl[ia:]:
                s_k[f"S_{names[a]}{names[bb]}"] = ((rhos[a] * rhos[bb].conj()).real
                                                   / math.sqrt(counts[a] * counts[bb]))
    log.info("S(q): %d k-vectors × %d atoms in %.1f s", len(kvecs), len(pos),
             time.perf_counter() - t0)
    used, inverse, n_k = np.unique(b, return_inverse=True, return_counts=True)
    out = {"q": np.bincount(inverse, knorm) / n_k}
    for name, vals in s_k.items():
        out[name] = np.bincount(inverse, vals) / n_k
    out["n_k"] = n_k
    return pd.DataFrame(out)


# --------------------------------------------------------------------------- tables

def displacement_columns(n_times: int) -> list[str]:
    """Column names dx_000, dy_000, dz_000, dx_001, … of the displacement table."""
    width = max(3, len(str(n_times - 1)))
    return [f"d{c}_{k:0{width}d}" for k in range(n_times) for c in "xyz"]


def displacement_table(ids: np.ndarray, types: np.ndarray, disp: np.ndarray) -> pd.DataFrame:
    """Per-atom table ``id, type, dx_<k>, dy_<k>, dz_<k>`` from disp (N, K, 3) in Å."""
    n, k, _ = disp.shape
    cols = displacement_columns(k)
    df = pd.DataFrame(disp.reshape(n, 3 * k), columns=cols)
    df.insert(0, "type", np.asarray(types))
    df.insert(0, "id", np.asarray(ids))
    return df


def displacements_from_table(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(ids, disp (N, K, 3)) back from a :func:`displacement_table` table."""
    cols = [c for c in df.columns if c[:3] in ("dx_", "dy_", "dz_")]
    k = len(cols) // 3
    expected = displacement_columns(k)
    if cols != expected:
        raise ValueError("displacement columns are not dx_k, dy_k, dz_k for k = 0 … K−1")
    return df["id"].to_numpy(), df[expected].to_numpy().reshape(len(df), k, 3)


# --------------------------------------------------------------------------- LAMMPS

def run_dynamics(data_file: str | os.PathLike, *, potential: Mapping[str, Any],
                 temperature: float, pressure: float, tdamp: float, pdamp: float,
                 timestep: float, times_ps: Sequence[float], seed: int,
                 barostat: str = "iso", initial_temperature: float | None = None,
                 remove_drift: bool = True, neighbor_skin: float | None = None,
                 log_file: str | os.PathLike | None = None, threads: int = 1,
                 suffix: str | None = None, root: str | os.PathLike = ".",
                 ) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str]]:
    """NPT run from the IS recording unwrapped displacements on a time grid.

    Velocities are drawn at ``initial_temperature`` (K; default ``temperature``; Gaussian,
    zero total and angular momentum, ``seed``), then ``fix npt`` at ``temperature`` (K),
    ``pressure`` (bar, ``barostat`` coupling), damping ``tdamp``/``pdamp`` (ps),
    ``timestep`` (ps). ``times_ps`` (ps, > 0) are rounded to whole steps (duplicates
    dropped); the reference configuration is t = 0, the IS.

    Returns ``(atoms_df, times_df, units)``: ``atoms_df`` = ``id, type`` + ``dx_<k>,
    dy_<k>, dz_<k>`` (Å) per time index k; ``times_df`` = ``k, step, t, temp, press, vol,
    pe`` at each recorded time (put ``times_df.t`` in the atoms table's metadata too).
    """
    from igd.common.lammps import gather, load_structure, start_lammps  # noqa: PLC0415

    steps = np.unique(np.rint(np.asarray(times_ps, dtype=float) / timestep).astype(np.int64))
    if steps.size == 0 or steps[0] < 1:
        raise ValueError("times_ps must be positive and at least one timestep")
    frame = read_lammps_data(data_file)
    masses = np.array([frame.masses[t] for t in frame.types]) if frame.masses else None
    lmp = start_lammps(log_file, threads=threads, suffix=suffix)
    try:
        load_structure(lmp, data_file, potential, root=root, neighbor_skin=neighbor_skin)
        lmp.command(f"timestep {timestep}")
        lmp.command("compute igd_xu all property/atom xu yu zu")
        lmp.command("thermo_style custom step temp press vol pe")
        t_init = temperature if initial_temperature is None else initial_temperature
        lmp.command(f"velocity all create {t_init} {int(seed)} mom yes rot yes dist gaussian")
        lmp.command(f"fix igd_npt all npt temp {temperature} {temperature} {tdamp} "
                    f"{barostat} {pressure} {pressure} {pdamp}")
        lmp.command("run 0")
        x0 = gather(lmp, "c_igd_xu", 3)
        disp = np.empty((len(x0), steps.size, 3))
        thermo = []
        done = 0
        t_start = time.perf_counter()
        t_last = t_start
        for k, step in enumerate(steps):
            lmp.command(f"run {int(step - done)} pre no post no")
            done = int(step)
            disp[:, k] = gather(lmp, "c_igd_xu", 3) - x0
            thermo.append([k, done, done * timestep] +
                          [lmp.get_thermo(q) for q in ("temp", "press", "vol", "pe")])
            now = time.perf_counter()
            if now - t_last > 30 or k == steps.size - 1:
                rate = done / (now - t_start)
                log.info("700 K dynamics: step %d / %d (%.0f steps/s, ETA %.0f s), T = %.0f K",
                         done, steps[-1], rate, (steps[-1] - done) / rate, thermo[-1][3])
                t_last = now
    finally:
        lmp.close()
    if remove_drift:
        disp = remove_com_drift(disp, masses)
    atoms = displacement_table(frame.ids, frame.types, disp)
    times = pd.DataFrame(thermo, columns=["k", "step", "t", "temp", "press", "vol", "pe"])
    units = {"id": "", "type": "", **{c: "Angstrom" for c in atoms.columns[2:]},
             "k": "", "step": "", "t": "ps", "temp": "K", "press": "bar",
             "vol": "Angstrom^3", "pe": "eV"}
    return atoms, times, units


# --------------------------------------------------------------------------- drivers

def is_structure_factor(data_file: str | os.PathLike, *, q_max: float, dq: float,
                        max_k_per_bin: int | None = None, seed: int = 0,
                        elements: Sequence[str] = ("Cu", "Zr"),
                        ) -> tuple[pd.DataFrame, dict[str, str]]:
    """S(q) of an inherent structure (Fig. 6a): ``q, S, S_<a><b>, n_k`` and their units.

    Direct Debye sum over the box's allowed k-vectors (see :func:`structure_factor`);
    ``q_max``, ``dq`` in Å⁻¹, type t is named ``elements[t − 1]``.
    """
    frame = read_lammps_data(data_file)
    names = {t: elements[t - 1] for t in range(1, len(elements) + 1)}
    table = structure_factor(frame.positions, frame.cell, q_max=q_max, dq=dq,
                             types=frame.types, max_k_per_bin=max_k_per_bin, seed=seed,
                             type_names=names)
    units = {c: "" for c in table.columns}
    units["q"] = "1/Angstrom"
    return table, units


def group_dynamics(t: np.ndarray, disp: np.ndarray, q: float,
                   groups: Mapping[str, np.ndarray], level: float = INV_E,
                   ) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str]]:
    """Curves and scalars per atom group (e.g. IGD bins, Fig. 14c–f; or ``{"all": None}``).

    ``groups`` maps a group name to a boolean mask / index array over the atoms of
    ``disp`` (N, K, 3). Returns ``(curves, summary, units)``: ``curves`` in long form
    ``group, t, msd, alpha2, fs``; ``summary`` one row per group with ``n_atoms,
    tau_alpha, tau_reached, alpha2_max, t_alpha2_max``.
    """
    t = np.asarray(t, dtype=float)
    curves, rows = [], []
    for name, sel in groups.items():
        c = dynamics_curves(t, disp, q, sel)
        c.insert(0, "group", name)
        curves.append(c)
        tau, ok = tau_alpha(t, c["fs"].to_numpy(), level)
        a2 = c["alpha2"].to_numpy()
        k = int(np.nanargmax(a2)) if np.isfinite(a2).any() else 0
        n_sel = disp.shape[0] if sel is None else int(np.asarray(disp[np.asarray(sel)]).shape[0])
        rows.append({"group": name, "n_atoms": n_sel, "tau_alpha": tau, "tau_reached": ok,
                     "alpha2_max": float(a2[k]), "t_alpha2_max": float(t[k])})
    units = {"group": "", "t": "ps", "msd": "Angstrom^2", "alpha2": "", "fs": "",
             "n_atoms": "", "tau_alpha": "ps", "tau_reached": "", "alpha2_max": "",
             "t_alpha2_max": "ps"}
    return pd.concat(curves, ignore_index=True), pd.DataFrame(rows), units
