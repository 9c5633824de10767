"""Athermal quasi-static (AQS) shear in LAMMPS with ΔD²min bookkeeping along the path.

Protocol (PROTOCOL §2, paper Fig. 3): from the inherent structure in a triclinic box,
impose simple shear in steps ``strain_step`` up to ``strain_max``; after every step
minimise the energy at fixed box (no thermal motion) and check that the minimum was
really reached (max force component ``fmax`` ≤ ``fmax_tol``). Every ``d2min_interval`` of
strain the configuration is gathered from LAMMPS (no dump files) and ΔD²min is computed
in process between *consecutive, non-overlapping* configurations that far apart (the
paper's "flow reference": ΔD²min(γ_k) compares γ_k − Δγ_D with γ_k; the reference moves
on to γ_k). Per atom we keep the maximum over the path and the strain at which it occurs
(the end γ_k of the window).

Shear directions (engineering shear strain γ = tilt change / box length; stress in GPa):

- ``xy``: LAMMPS tilt xy += γ·Ly, x displaced ∝ y, σ_xy = −P_xy·1e-4;
- ``yz``: tilt yz += γ·Lz, y displaced ∝ z, σ_yz = −P_yz·1e-4;
- ``zx``: tilt xz += γ·Lz, x displaced ∝ z, σ_xz = −P_xz·1e-4 (LAMMPS boxes have no
  "zx" tilt — z displaced ∝ x — and the symmetric strain component is the same).

P is the virial-only pressure tensor (bar); velocities are zeroed at the start — a data
file written after MD carries them and they would add a kinetic term. The three
directions shear distinct planes (normals y, z, z; shear directions x, y, x), i.e. three
independent components of the strain tensor. Tilts are set absolutely each step
(``change_box … final``) so that no rounding accumulates.

D²min is :func:`igd.labels.d2min.d2min` (own vectorised implementation, checked against OVITO's
``AtomicStrainModifier`` in the tests; own because it reuses the package's one neighbour
search, handles LAMMPS' remapping of atoms through reduced-coordinate displacements and
lets the normalisation follow the paper). Default normalisation ``"mean"`` — divide by the
number of neighbours, Eq. 4 of papers/001, whose threshold is 0.05 Å²; ``"sum"`` gives
the Falk–Langer/OVITO convention (≈ 12.5× larger: CuZr has ~12.5 neighbours within 3.7 Å).
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from igd.common.lammps import box, gather, load_structure, start_lammps
from igd.labels.d2min import NORMALIZATIONS, d2min, reference_pairs

log = logging.getLogger(__name__)

#: direction → (LAMMPS tilt name, index of the box length that scales it, index of the
#: component in the 6-vector of ``compute pressure`` (pxx pyy pzz pxy pxz pyz), 0-based)
DIRECTIONS: dict[str, tuple[str, int, int]] = {
    "xy": ("xy", 1, 3),
    "yz": ("yz", 2, 5),
    "zx": ("xz", 2, 4),
}
BAR_TO_GPA = 1e-4

PER_ATOM_UNITS = {"id": "", "dd2min_max": "Å^2", "strain_at_max": ""}
CURVE_UNITS = {"step": "", "strain": "", "stress": "GPa", "pe": "eV", "fmax": "eV/Å",
               "fnorm": "eV/Å", "iterations": "", "converged": "",
               "xy": "Å", "xz": "Å", "yz": "Å"}
TRACE_UNITS = {"id": "", "strain": "", "dd2min": "Å^2"}


def _steps(strain_step: float, strain_max: float, d2min_interval: float) -> tuple[int, int]:
    """(number of AQS steps, steps per ΔD²min window); both must be whole numbers."""
    if strain_step <= 0 or strain_max <= 0 or d2min_interval <= 0:
        raise ValueError("strain_step, strain_max and d2min_interval must be positive")
    n_steps = strain_max / strain_step
    per = d2min_interval / strain_step
    for name, value in (("strain_max/strain_step", n_steps),
                        ("d2min_interval/strain_step", per)):
        if abs(value - round(value)) > 1e-6 * max(1.0, value) or round(value) < 1:
            raise ValueError(f"{name} = {value} must be a positive whole number")
    n_steps, per = int(round(n_steps)), int(round(per))
    if n_steps % per:
        log.warning("strain_max is not a multiple of d2min_interval: the last %d steps "
                    "are outside every ΔD²min window", n_steps % per)
    return n_steps, per


def _fmt(x: float) -> str:
    return repr(float(x))


def _pick_trace_ids(ids: np.ndarray, dd2min_max: np.ndarray,
                    trace_atoms: int | Sequence[int] | None) -> np.ndarray:
    """Ids whose full ΔD²min(γ) trace is kept (int: the largest jumps + typical atoms)."""
    if trace_atoms is None:
        return np.zeros(0, dtype=ids.dtype)
    if np.isscalar(trace_atoms):
        k = min(int(trace_atoms), ids.size)
        n_quiet = k // 3
        order = np.argsort(-np.nan_to_num(dd2min_max, nan=-np.inf), kind="stable")
        top = order[:k - n_quiet]
        mid = order[ids.size // 2: ids.size // 2 + n_quiet]
        return ids[np.concatenate([top, mid])]
    wanted = np.asarray(list(trace_atoms), dtype=ids.dtype)
    missing = np.setdiff1d(wanted, ids)
    if missing.size:
        raise ValueError(f"trace_atoms: ids {missing.tolist()} not in the system")
    return wanted


def run_aqs(data_file: str | os.PathLike, direction: str, *, potential: Mapping[str, Any],
            strain_step: float, strain_max: float, d2min_interval: float,
            d2min_cutoff: float, d2min_normalization: str = "mean",
            min_style: str = "cg", etol: float = 0.0, ftol: float = 1e-10,
            maxiter: int = 100000, maxeval: int = 1000000, fmax_tol: float | None = None,
            neighbor_skin: float | None = None, min_modify: str | None = None,
            timestep: float | None = None,
            trace_atoms: int | Sequence[int] | None = 3,
            log_file: str | os.PathLike | None = None, threads: int = 1,
            suffix: str | None = None, root: str | os.PathLike = ".",
            progress_every_s: float = 30.0,
            ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """AQS shear of one inherent structure along ``direction``; ΔD²min bookkeeping.

    Parameters
    ----------
    data_file : LAMMPS data file of the inherent structure (atomic style, periodic).
    direction : ``"xy"``, ``"yz"`` or ``"zx"`` (see the module table).
    potential : config dict (``file``, ``sha256``, ``elements``, ``pair_style``); the file
        path is relative to ``root``.
    strain_step : Δγ per AQS step (paper 1e-5).
    strain_max : final strain (paper 0.05); must be a whole number of steps.
    d2min_interval : strain between the configurations ΔD²min compares (paper 1e-4); a
        whole number of steps.
    d2min_cutoff : neighbour cutoff in the reference (Å), first minimum of g(r).
    d2min_normalization : ``"mean"`` (1/N_i, paper Eq. 4) or ``"sum"`` (Falk–Langer).
    min_style, etol, ftol, maxiter, maxeval : LAMMPS ``min_style`` and ``minimize``
        arguments (ftol in eV/Å, on the 2-norm of the global force vector).
    fmax_tol : a step counts as converged if the max force component ≤ this (eV/Å);
        default ``ftol`` (met whenever the force criterion stopped the minimiser).
        Unconverged steps are logged, counted and flagged in the curve, not fatal.
    neighbor_skin : LAMMPS neighbour skin (Å); ``None`` keeps LAMMPS' metal default 2 Å.
        0.5 Å makes a step ~30 % cheaper on 500 atoms (same iterations and minimum):
        AQS displacements are tiny and LAMMPS rebuilds lists whenever needed.
    min_modify : extra ``min_modify`` arguments (e.g. ``"line forcezero"``), or None.
    timestep : MD timestep (ps) that ``min_style fire`` integrates with; None keeps
        LAMMPS' 0.001 ps.
    trace_atoms : ids whose full ΔD²min(γ) trace is returned, or an int k: the
        k − k//3 atoms with the largest jumps and k//3 atoms of median rank.
    log_file : LAMMPS log (set-up, first and last minimisation; the loop is not logged
        by LAMMPS to keep the file small — the curve holds every step's fmax).
    threads, suffix : passed to :func:`igd.common.lammps.start_lammps`.

    Returns
    -------
    per_atom : ``id, dd2min_max (Å²), strain_at_max`` — units :data:`PER_ATOM_UNITS`.
    curve : one row per state, step 0 (γ = 0, re-minimised IS) to the last:
        ``step, strain, stress (GPa, −P_component), pe (eV), fmax, fnorm (eV/Å),
        iterations, converged, xy, xz, yz`` (box tilts, Å) — :data:`CURVE_UNITS`.
    trace : long table ``id, strain, dd2min (Å²)`` of the traced atoms, one row per
        ΔD²min window and atom — :data:`TRACE_UNITS`.
    """
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {sorted(DIRECTIONS)}, got {direction!r}")
    if d2min_normalization not in NORMALIZATIONS:
        raise ValueError(f"d2min_normalization must be one of {NORMALIZATIONS}")
    n_steps, per = _steps(strain_step, strain_max, d2min_interval)
    fmax_tol = float(ftol if fmax_tol is None else fmax_tol)
    tilt, length_index, press = DIRECTIONS[direction]

    lmp = start_lammps(log_file, threads=threads, suffix=suffix)
    try:
        load_structure(lmp, data_file, potential, root=root,
                       neighbor_skin=None if neighbor_skin is None else _fmt(neighbor_skin))
        lmp.command("change_box all triclinic")
        # T = 0 stress: drop velocities the data file may carry (they would add a kinetic
        # term to pxy) and use the virial-only pressure anyway
        lmp.command("velocity all set 0.0 0.0 0.0")
        lmp.command("compute aqs_press all pressure NULL virial")
        lmp.command(f"thermo_style custom step pe c_aqs_press[{press + 1}] fmax fnorm")
        lmp.command("thermo_modify norm no")
        lmp.command(f"min_style {min_style}")
        if min_modify:
            lmp.command(f"min_modify {min_modify}")
        if timestep is not None:
            lmp.command(f"timestep {_fmt(timestep)}")
        minimize = f"minimize {_fmt(etol)} {_fmt(ftol)} {int(maxiter)} {int(maxeval)}"
        ids = gather(lmp, "id", 1, dtype=0).astype(np.int64)
        n_atoms = ids.size
        if not np.array_equal(ids, np.arange(1, n_atoms + 1)):
            raise ValueError(f"{data_file}: atom ids must be 1..N (gather orders by id)")
        origin0, cell0 = box(lmp)
        length = cell0[length_index, length_index]
        tilt0 = {"xy": cell0[1, 0], "xz": cell0[2, 0], "yz": cell0[2, 1]}[tilt]

        rows: list[tuple] = []
        n_bad = 0

        def relax(k: int) -> None:
            nonlocal n_bad
            step0 = lmp.get_thermo("step")
            lmp.command(minimize)
            fmax = float(lmp.get_thermo("fmax"))
            ok = bool(np.isfinite(fmax) and fmax <= fmax_tol)
            if not ok:
                n_bad += 1
                if n_bad <= 10:
                    log.warning("%s step %d: minimum not reached, fmax = %.3g eV/Å > %.3g",
                                direction, k, fmax, fmax_tol)
            cell = box(lmp)[1]
            p_bar = lmp.extract_compute("aqs_press", 0, 1)[press]  # global vector
            rows.append((k, k * strain_step, -BAR_TO_GPA * p_bar,
                         lmp.get_thermo("pe"), fmax, float(lmp.get_thermo("fnorm")),
                         int(round(lmp.get_thermo("step") - step0)), ok,
                         cell[1, 0], cell[2, 0], cell[2, 1]))

        relax(0)
        ref_x = gather(lmp, "x", 3)
        ref_origin, ref_cell = box(lmp)
        pairs = reference_pairs(ref_x, ref_cell, d2min_cutoff, origin=ref_origin)
        n_windows = n_steps // per
        dd = np.empty((n_windows, n_atoms), dtype=np.float32)
        window_strain = np.arange(1, n_windows + 1) * per * strain_step
        if log_file is not None:
            lmp.command("log none")

        t_start = last = time.monotonic()
        cpu_start = time.process_time()
        for k in range(1, n_steps + 1):
            lmp.command(f"change_box all {tilt} final {_fmt(tilt0 + k * strain_step * length)}"
                        " remap units box")
            if k == n_steps and log_file is not None:
                lmp.command(f"log {Path(log_file).resolve()} append")
            relax(k)
            if k % per == 0 and k // per <= n_windows:
                x = gather(lmp, "x", 3)
                origin, cell = box(lmp)
                dd[k // per - 1] = d2min(ref_x, x, ref_cell, cell, ref_origin=ref_origin,
                                         origin=origin, pairs=pairs,
                                         normalization=d2min_normalization)
                ref_x, ref_origin, ref_cell = x, origin, cell
                pairs = reference_pairs(ref_x, ref_cell, d2min_cutoff, origin=ref_origin)
            now = time.monotonic()
            if now - last >= progress_every_s or k == n_steps:
                rate = k / (now - t_start)
                log.info("AQS %s: %d/%d steps (γ = %.5f), %.2f steps/s, ETA %.0f s, "
                         "%d unconverged", direction, k, n_steps, k * strain_step, rate,
                         (n_steps - k) / rate, n_bad)
                last = now
        loop_s = time.monotonic() - t_start
        loop_cpu_s = time.process_time() - cpu_start
    finally:
        lmp.close()

    iters = np.array([r[6] for r in rows[1:]], dtype=float)
    log.info("AQS %s done: %d atoms, %d steps in %.1f s (%.3g s/step, %.0f minimiser "
             "iterations/step)", direction, n_atoms, n_steps, loop_s, loop_s / n_steps,
             iters.mean(), extra={"aqs_seconds": loop_s, "aqs_cpu_seconds": loop_cpu_s,
                                  "aqs_steps": n_steps,
                                  "aqs_atoms": n_atoms, "aqs_iterations": iters.mean()})

    if n_bad:
        log.warning("AQS %s: %d of %d minimisations did not reach fmax ≤ %.3g eV/Å",
                    direction, n_bad, n_steps + 1, fmax_tol)
    curve = pd.DataFrame(rows, columns=list(CURVE_UNITS))
    if n_windows:
        arg = np.nanargmax(np.where(np.isnan(dd), -np.inf, dd), axis=0)
        dd_max = dd[arg, np.arange(n_atoms)].astype(np.float64)
        strain_at = window_strain[arg]
    else:
        dd_max = np.full(n_atoms, np.nan)
        strain_at = np.full(n_atoms, np.nan)
    per_atom = pd.DataFrame({"id": ids, "dd2min_max": dd_max, "strain_at_max": strain_at})
    chosen = _pick_trace_ids(ids, dd_max, trace_atoms)
    idx = chosen - 1
    trace = pd.DataFrame({
        "id": np.tile(chosen, n_windows),
        "strain": np.repeat(window_strain, chosen.size),
        "dd2min": dd[:, idx].astype(np.float64).ravel(),
    })
    return per_atom, curve, trace

