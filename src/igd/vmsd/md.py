"""Vibrational mean-squared displacement (vMSD, Debye–Waller factor) per atom.

PROTOCOL §3, paper 001 Eq. (3)::

    vMSD_i(T) = < |r_i(t) - r_i,IS|^2 >_tau

the time average, over a trace of length ``tau`` at temperature ``T``, of the squared
distance of atom ``i`` from its position in the inherent structure (IS). Coordinates are
unwrapped (image flags) and the centre-of-mass drift of the whole system is removed frame
by frame. Units: Å² (positions Å, time ps, temperature K).

Two layers:

* pure array functions — :func:`remove_drift`, :func:`time_averaged_msd` (all frames in
  memory), :class:`MSDAccumulator` (the same, streamed frame by frame so that a 100 ps
  trace of 20 000 atoms never has to be stored), :func:`displacements` (unwrapped positions
  in a possibly deformed box → displacements from the IS);
* the LAMMPS driver :func:`run_vmsd` (one job per sample and temperature), built from
  :func:`setup_dynamics` and :func:`trace_vmsd`.

Choices where the paper is silent (all are arguments; the config supplies them):

* **Drift removal** (``com``): by default the *plain* mean displacement of all atoms is
  subtracted at every frame (``com="plain"``, the usual choice); ``com="mass"`` subtracts
  the mass-weighted mean (the true centre of mass, which momentum conservation keeps
  fixed), ``com="none"`` keeps the raw displacements. The two means differ by O(1/N).
* **Ensemble**: ``"nvt"`` (default; the IS box is kept), ``"npt"`` (zero stress, box
  free) or ``"nve"``. With a free box the displacement is measured in reduced
  coordinates mapped onto the IS cell, i.e. the homogeneous thermal expansion of the box
  is removed (otherwise an affine term growing with the distance from the box origin would
  leak into every atom's vMSD). Thermostat ``"nose-hoover"`` (the papers' thermostat) or
  ``"langevin"`` (stochastic; mixes harmonic modes, used by the tests).
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

UNITS = {"id": "", "vmsd": "Å^2"}

COM_CHOICES = ("plain", "mass", "none")
ENSEMBLES = ("nvt", "npt", "nve")
THERMOSTATS = ("nose-hoover", "langevin")


# --------------------------------------------------------------------------- arrays


def _com_weights(com: str, n_atoms: int, masses: np.ndarray | None) -> np.ndarray | None:
    """Normalised per-atom weights of the drift to remove (None: no removal)."""
    if com not in COM_CHOICES:
        raise ValueError(f"com must be one of {COM_CHOICES}, got {com!r}")
    if com == "none":
        return None
    if com == "plain":
        return np.full(n_atoms, 1.0 / n_atoms)
    if masses is None:
        raise ValueError("com='mass' needs the per-atom masses")
    masses = np.asarray(masses, dtype=float)
    if masses.shape != (n_atoms,) or np.any(masses <= 0):
        raise ValueError(f"masses must be {n_atoms} positive numbers")
    return masses / masses.sum()


def remove_drift(displacements: np.ndarray, *, com: str = "plain",
                 masses: np.ndarray | None = None) -> np.ndarray:
    """Displacements with the per-frame (weighted) mean displacement of all atoms removed.

    ``displacements``: (N, 3) or (F, N, 3) Å. ``com``: ``"plain"`` (mean over atoms),
    ``"mass"`` (mass-weighted, needs ``masses`` (N,) amu) or ``"none"``. Returns a new array
    of the same shape (Å).
    """
    d = np.asarray(displacements, dtype=float)
    if d.ndim not in (2, 3) or d.shape[-1] != 3:
        raise ValueError(f"displacements must be (N, 3) or (F, N, 3), got {d.shape}")
    w = _com_weights(com, d.shape[-2], masses)
    if w is None:
        return d.copy()
    drift = np.einsum("n,...nk->...k", w, d)
    return d - drift[..., None, :]


def time_averaged_msd(displacements: np.ndarray, *, com: str = "plain",
                      masses: np.ndarray | None = None) -> np.ndarray:
    """Per-atom time average of |d_i(t) − d_com(t)|² over the frames (Å²).

    ``displacements``: (F, N, 3) displacements from the reference (IS) positions, Å,
    unwrapped; every frame has equal weight. Returns (N,) Å².
    """
    d = np.asarray(displacements, dtype=float)
    if d.ndim != 3 or d.shape[-1] != 3 or d.shape[0] == 0:
        raise ValueError(f"displacements must be (F>0, N, 3), got {d.shape}")
    r = remove_drift(d, com=com, masses=masses)
    return np.einsum("fnk,fnk->n", r, r) / d.shape[0]


@dataclass
class MSDAccumulator:
    """Streaming :func:`time_averaged_msd`: add one (N, 3) frame at a time.

    Memory O(N) whatever the number of frames. Also records the size of the drift that was
    removed (``max_drift``, Å) as a diagnostic.
    """

    n_atoms: int
    com: str = "plain"
    masses: np.ndarray | None = None
    n_frames: int = 0
    max_drift: float = 0.0
    _sum: np.ndarray = field(init=False, repr=False)
    _w: np.ndarray | None = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._sum = np.zeros(self.n_atoms)
        self._w = _com_weights(self.com, self.n_atoms, self.masses)

    def add(self, displacement: np.ndarray) -> None:
        d = np.asarray(displacement, dtype=float)
        if d.shape != (self.n_atoms, 3):
            raise ValueError(f"frame must be ({self.n_atoms}, 3), got {d.shape}")
        if self._w is not None:
            drift = self._w @ d
            self.max_drift = max(self.max_drift, float(np.linalg.norm(drift)))
            d = d - drift
        self._sum += np.einsum("nk,nk->n", d, d)
        self.n_frames += 1

    def result(self) -> np.ndarray:
        """(N,) time-averaged squared displacement, Å²."""
        if self.n_frames == 0:
            raise ValueError("no frame added")
        return self._sum / self.n_frames


def unwrap(positions: np.ndarray, image: np.ndarray, cell: np.ndarray) -> np.ndarray:
    """Unwrapped positions ``x + image · cell`` (Å); ``cell`` rows are a, b, c."""
    return np.asarray(positions, float) + np.asarray(image, float) @ np.asarray(cell, float)


def displacements(positions: np.ndarray, origin: np.ndarray, cell: np.ndarray,
                  ref_positions: np.ndarray, ref_origin: np.ndarray,
                  ref_cell: np.ndarray) -> np.ndarray:
    """Displacements (N, 3) Å of unwrapped ``positions`` from ``ref_positions``.

    Both sets are unwrapped Cartesian positions in their own box (``origin`` (3,),
    ``cell`` rows a, b, c, Å). The current positions are first mapped, through their
    reduced coordinates, onto the reference box: ``r' = o_ref + (r − o)·cell⁻¹·cell_ref``.
    This removes any homogeneous deformation of the box (NPT thermal expansion) and is the
    plain difference ``r − r_ref`` when the box is unchanged.
    """
    r = np.asarray(positions, float)
    cell = np.asarray(cell, float)
    ref_cell = np.asarray(ref_cell, float)
    if np.allclose(cell, ref_cell, rtol=0, atol=1e-12) and np.allclose(origin, ref_origin,
                                                                        rtol=0, atol=1e-12):
        return r - np.asarray(ref_positions, float)
    reduced = np.linalg.solve(cell.T, (r - origin).T).T
    return np.asarray(ref_origin, float) + reduced @ ref_cell - ref_positions


# --------------------------------------------------------------------------- LAMMPS


@dataclass(frozen=True)
class Reference:
    """Unwrapped reference (IS) positions ordered by id, with their box."""

    ids: np.ndarray
    positions: np.ndarray
    origin: np.ndarray
    cell: np.ndarray


def _snapshot(lmp) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(unwrapped positions by id, origin, cell) of the running LAMMPS."""
    from igd.common import lammps as lmpmod  # noqa: PLC0415

    origin, cell = lmpmod.box(lmp)
    x = lmpmod.gather(lmp, "x", 3)
    image = lmpmod.gather(lmp, "image", 3, dtype=0)
    return unwrap(x, image, cell), origin, cell


def reference(lmp) -> Reference:
    """The current configuration of ``lmp`` as the vMSD reference (call before any MD)."""
    from igd.common import lammps as lmpmod  # noqa: PLC0415

    positions, origin, cell = _snapshot(lmp)
    ids = lmpmod.gather(lmp, "id", 1, dtype=0).astype(np.int64)
    return Reference(ids=ids, positions=positions, origin=origin, cell=cell)


def _steps(duration_ps: float, timestep_ps: float, what: str) -> int:
    n = duration_ps / timestep_ps
    if n < 0 or abs(n - round(n)) > 1e-6 * max(1.0, n):
        raise ValueError(f"{what} = {duration_ps} ps is not a whole number of "
                         f"timesteps of {timestep_ps} ps")
    return int(round(n))


def setup_dynamics(lmp, *, temperature: float, ensemble: str = "nvt",
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
    from igd.common.lammps import check_finite  # noqa: PLC0415
    from igd.common.logs import Progress  # noqa: PLC0415

    acc = MSDAccumulator(ref.ids.size, com=com, masses=masses)
    temps = np.empty(n_samples)
    progress = Progress(n_samples, "vMSD frames", log, every=30.0)
    start, cpu0 = time.perf_counter(), time.process_time()
    lmp.command(f"run {steps_per_sample}")  # first chunk does the set-up
    for k in range(n_samples):
        if k:
            lmp.command(f"run {steps_per_sample} pre no post no")
        positions, origin, cell = _snapshot(lmp)
        acc.add(displacements(positions, origin, cell, ref.positions, ref.origin, ref.cell))
        temps[k] = lmp.get_thermo("temp")
        check_finite(lmp, f"vMSD frame {k + 1} of {n_samples}")
        progress.update(k + 1)
    diag = {"n_frames": acc.n_frames, "mean_temperature": float(temps.mean()),
            "max_com_drift": acc.max_drift, "wall_s": time.perf_counter() - start,
            "cpu_s": time.process_time() - cpu0}
    return acc.result(), diag


def run_vmsd(data_file: str | os.PathLike, *, potential: Mapping[str, Any],
             temperature: float, duration_ps: float, timestep_ps: float,
             sample_every_ps: float, seed: int, equilibration_ps: float = 0.0,
             ensemble: str = "nvt", thermostat: str = "nose-hoover", tdamp_ps: float = 0.1,
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
    from igd.common import lammps as lmpmod  # noqa: PLC0415

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
    from igd.common import lammps as lmpmod  # noqa: PLC0415

    types = lmpmod.gather(lmp, "type", 1, dtype=0).astype(int)
    ntypes = int(lmp.extract_global("ntypes"))
    per_type = np.ctypeslib.as_array(lmp.extract_atom("mass"), shape=(ntypes + 1,))
    return per_type[types].astype(float)
