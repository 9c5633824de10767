"""Vibrational MSD (vMSD, Debye–Waller factor) per atom: the LAMMPS driver.

PROTOCOL §3, paper 001 Eq. (3): the time average of |r_i(t) − r_i,IS|² over a trace at
temperature T (the definition and the array core: :mod:`igd.vmsd.msd`). :func:`run_vmsd`
(one job per sample and temperature) starts from the inherent structure (IS), sets up
the dynamics (:func:`setup_dynamics`) and streams the frames into an
:class:`~igd.vmsd.msd.MSDAccumulator` (:func:`trace_vmsd`). Units: Å², ps, K.

Choices where the paper is silent (all are arguments; the config supplies them):

* **Drift removal** (``com``): see :mod:`igd.vmsd.msd`.
* **Ensemble**: ``"npt"`` (default, as the paper runs everything: zero stress, box
  free), ``"nvt"`` (the IS box is kept: at 500 K it then carries a thermal pressure of
  order GPa) or ``"nve"``. With a free box the displacement is measured in reduced
  coordinates mapped onto the IS cell (:func:`frame_displacements`), i.e. the homogeneous
  thermal expansion and breathing of the box is removed: NPT dilates the *unwrapped*
  positions, image flags included, so a plain difference would carry an affine term
  growing with the distance from the box centre. Barostat ``"aniso"`` (default: each
  normal stress relaxes to zero; the IS comes from an ``iso`` box relaxation, which leaves
  the normal stresses of a 500-atom box unequal) or ``"iso"``. Thermostat
  ``"nose-hoover"`` (the papers' thermostat) or ``"langevin"`` (stochastic; mixes harmonic
  modes, used by the tests).
* **Initial velocities**: Gaussian velocities at ``velocity_factor * T``, zero total
  momentum. The trace starts at the IS, where the potential energy is at its minimum; by
  equipartition a near-harmonic solid started with kinetic temperature T relaxes to ≈ T/2
  (and a thermostat must then supply the missing half). ``velocity_factor = 2`` (default,
  our choice) gives the system at once about the energy of equilibrium at T, so the
  thermostat has little to correct. Paper 002 did the same kind of NVE runs "with momenta
  assigned from the Maxwell–Boltzmann distribution" without saying more.
* **Transient**: the paper averages over the whole 100 ps trace from the IS and mentions
  no discarded transient; ``equilibration_ps`` (default 0) runs that long before the
  averaging starts. The reference stays the IS in any case.
* **Sampling**: frames at t = Δ, 2Δ, …, τ after the start of the trace (t = 0, where the
  displacement is zero by construction, is not counted).
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np
import pandas as pd

from igd.common import lammps as lmpmod
from igd.common.logs import Progress
from igd.vmsd.msd import MSDAccumulator, displacements, unwrap

log = logging.getLogger(__name__)

UNITS = {"id": "", "vmsd": "Å^2"}

ENSEMBLES = ("nvt", "npt", "nve")
THERMOSTATS = ("nose-hoover", "langevin")


@dataclass(frozen=True)
class Reference:
    """Unwrapped reference (IS) positions ordered by id, with their box."""

    ids: np.ndarray
    positions: np.ndarray
    origin: np.ndarray
    cell: np.ndarray


def _snapshot(lmp) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(unwrapped positions by id, origin, cell) of the running LAMMPS."""
    origin, cell = lmpmod.box(lmp)
    x = lmpmod.gather(lmp, "x", 3)
    image = lmpmod.gather(lmp, "image", 3, dtype=0)
    return unwrap(x, image, cell), origin, cell


def frame_displacements(lmp, ref: Reference) -> np.ndarray:
    """Displacements (N, 3) Å of the running LAMMPS from ``ref``, ordered by id: the
    unwrapped positions mapped through their reduced coordinates onto the reference cell
    (:func:`igd.vmsd.msd.displacements`), so that a deformed or breathing box adds nothing."""
    positions, origin, cell = _snapshot(lmp)
    return displacements(positions, origin, cell, ref.positions, ref.origin, ref.cell)


def reference(lmp) -> Reference:
    """The current configuration of ``lmp`` as the vMSD reference (call before any MD)."""
    positions, origin, cell = _snapshot(lmp)
    ids = lmpmod.gather(lmp, "id", 1, dtype=0).astype(np.int64)
    return Reference(ids=ids, positions=positions, origin=origin, cell=cell)


def _steps(duration_ps: float, timestep_ps: float, what: str) -> int:
    n = duration_ps / timestep_ps
    if n < 0 or abs(n - round(n)) > 1e-6 * max(1.0, n):
        raise ValueError(f"{what} = {duration_ps} ps is not a whole number of "
                         f"timesteps of {timestep_ps} ps")
    return int(round(n))


def setup_dynamics(lmp, *, temperature: float, ensemble: str = "npt",
                   thermostat: str = "nose-hoover", tdamp_ps: float = 0.1,
                   pdamp_ps: float = 1.0, barostat: str = "aniso",
                   velocity_factor: float = 2.0, seed: int, timestep_ps: float) -> None:
    """Velocities and integrator fixes for a vMSD trace at ``temperature`` (K).

    Velocities: Gaussian at ``velocity_factor * temperature`` K, zero total momentum,
    ``loop geom`` (independent of the processor count), random ``seed`` (> 0). Integrators:
    ``nvt`` / ``npt`` (``barostat`` coupling, target zero pressure, ``pdamp_ps``) / ``nve``;
    thermostat Nosé–Hoover or Langevin (seed + 1, ``zero yes``) with damping ``tdamp_ps``.
    Fix ids ``vmsd_int`` and ``vmsd_lgv``.
    """
    if ensemble not in ENSEMBLES:
        raise ValueError(f"ensemble must be one of {ENSEMBLES}, got {ensemble!r}")
    if thermostat not in THERMOSTATS:
        raise ValueError(f"thermostat must be one of {THERMOSTATS}, got {thermostat!r}")
    if temperature <= 0 or velocity_factor <= 0:
        raise ValueError("temperature and velocity_factor must be positive")
    if int(seed) <= 0:
        raise ValueError(f"seed must be a positive integer, got {seed}")
    t = float(temperature)
    cmds = [f"timestep {timestep_ps}",
            f"velocity all create {velocity_factor * t} {int(seed)} "
            "mom yes rot no dist gaussian loop geom"]
    baro = f"{barostat} 0.0 0.0 {pdamp_ps}"
    if ensemble == "nve":
        cmds.append("fix vmsd_int all nve")
    elif thermostat == "nose-hoover":
        cmds.append(f"fix vmsd_int all nvt temp {t} {t} {tdamp_ps}" if ensemble == "nvt"
                    else f"fix vmsd_int all npt temp {t} {t} {tdamp_ps} {baro}")
    else:
        cmds.append("fix vmsd_int all nve" if ensemble == "nvt"
                    else f"fix vmsd_int all nph {baro}")
        cmds.append(f"fix vmsd_lgv all langevin {t} {t} {tdamp_ps} {int(seed) + 1} zero yes")
    lmp.commands_list(cmds)


def trace_vmsd(lmp, ref: Reference, *, n_samples: int, steps_per_sample: int,
               com: str = "plain", masses: np.ndarray | None = None) -> tuple[np.ndarray, dict]:
    """Run ``n_samples × steps_per_sample`` steps, accumulating the vMSD from ``ref``.

    The dynamics must already be set up (:func:`setup_dynamics`). Frames are taken after
    every ``steps_per_sample`` steps. Returns ((N,) vMSD in Å², ordered as ``ref.ids``,
    diagnostics dict: frames, mean temperature K, max removed drift Å, wall time s).
    """
    if n_samples <= 0 or steps_per_sample <= 0:
        raise ValueError("n_samples and steps_per_sample must be positive")
    acc = MSDAccumulator(ref.ids.size, com=com, masses=masses)
    temps = np.empty(n_samples)
    progress = Progress(n_samples, "vMSD frames", log, every=30.0)
    start, cpu0 = time.perf_counter(), time.process_time()
    lmp.command(f"run {steps_per_sample}")  # first chunk does the set-up
    for k in range(n_samples):
        if k:
            lmp.command(f"run {steps_per_sample} pre no post no")
        acc.add(frame_displacements(lmp, ref))
        temps[k] = lmp.get_thermo("temp")
        lmpmod.check_finite(lmp, f"vMSD frame {k + 1} of {n_samples}")
        progress.update(k + 1)
    diag = {"n_frames": acc.n_frames, "mean_temperature": float(temps.mean()),
            "max_com_drift": acc.max_drift, "wall_s": time.perf_counter() - start,
            "cpu_s": time.process_time() - cpu0}
    return acc.result(), diag


def run_vmsd(data_file: str | os.PathLike, *, potential: Mapping[str, Any],
             temperature: float, duration_ps: float, timestep_ps: float,
             sample_every_ps: float, seed: int, equilibration_ps: float = 0.0,
             ensemble: str = "npt", thermostat: str = "nose-hoover", tdamp_ps: float = 0.1,
             pdamp_ps: float = 1.0, barostat: str = "aniso", velocity_factor: float = 2.0,
             com: str = "plain", log_file: str | os.PathLike | None = None, threads: int = 1,
             suffix: str | None = None, root: str | os.PathLike = ".") -> pd.DataFrame:
    """Per-atom vMSD (Å²) at one temperature, starting from the IS in ``data_file``.

    ``temperature`` K; ``duration_ps`` (τ), ``timestep_ps``, ``sample_every_ps`` and
    ``equilibration_ps`` in ps (each a whole number of timesteps; τ a whole number of
    sampling intervals). Other arguments: see :func:`setup_dynamics` and :func:`trace_vmsd`;
    ``potential`` is the config's potential dict (file relative to ``root``). LAMMPS's log
    is appended to ``log_file``; ``threads`` > 1 uses the OPENMP styles unless ``suffix`` is
    given.

    Returns DataFrame(id, vmsd) ordered by id (units :data:`UNITS`); ``df.attrs["vmsd"]``
    holds diagnostics (frames, mean temperature, max removed drift); wall/CPU times go to
    the log only, so that outputs written from it are byte-identical across runs.
    """
    steps = _steps(duration_ps, timestep_ps, "duration_ps")
    every = _steps(sample_every_ps, timestep_ps, "sample_every_ps")
    n_eq = _steps(equilibration_ps, timestep_ps, "equilibration_ps")
    if every == 0 or steps % every:
        raise ValueError(f"duration_ps = {duration_ps} is not a whole number of "
                         f"sample_every_ps = {sample_every_ps}")
    if suffix is None and threads > 1:
        suffix = "omp"
    lmp = lmpmod.start_lammps(log_file, threads=threads, suffix=suffix)
    try:
        lmpmod.load_structure(lmp, data_file, potential, root=root)
        lmp.command("thermo_style custom step temp pe press vol")
        lmp.command(f"thermo {max(every, steps // 20)}")
        ref = reference(lmp)
        masses = None
        if com == "mass":
            masses = atom_masses(lmp)
        setup_dynamics(lmp, temperature=temperature, ensemble=ensemble, thermostat=thermostat,
                       tdamp_ps=tdamp_ps, pdamp_ps=pdamp_ps, barostat=barostat,
                       velocity_factor=velocity_factor, seed=seed, timestep_ps=timestep_ps)
        log.info("vMSD at %g K: %s/%s, %d atoms, %g ps (%d frames every %g ps) after "
                 "%g ps of equilibration",
                 temperature, ensemble, thermostat, ref.ids.size, duration_ps, steps // every,
                 sample_every_ps, equilibration_ps)
        if n_eq:
            lmp.command(f"run {n_eq}")
        vmsd, diag = trace_vmsd(lmp, ref, n_samples=steps // every, steps_per_sample=every,
                                com=com, masses=masses)
    finally:
        lmp.close()
    log.info("vMSD at %g K done: mean %.4g Å^2, <T> %.1f K, max drift %.2e Å, "
             "%.1f s wall (%.2f s per simulated ps)", temperature, vmsd.mean(),
             diag["mean_temperature"], diag["max_com_drift"], diag["wall_s"],
             diag["wall_s"] / duration_ps)
    df = pd.DataFrame({"id": ref.ids, "vmsd": vmsd})
    df.attrs["vmsd"] = {k: v for k, v in diag.items() if k not in ("wall_s", "cpu_s")}
    return df


def atom_masses(lmp) -> np.ndarray:
    """Per-atom masses (amu) ordered by id, from the per-type masses of ``lmp``."""
    types = lmpmod.gather(lmp, "type", 1, dtype=0).astype(int)
    ntypes = int(lmp.extract_global("ntypes"))
    per_type = np.ctypeslib.as_array(lmp.extract_atom("mass"), shape=(ntypes + 1,))
    return per_type[types].astype(float)
