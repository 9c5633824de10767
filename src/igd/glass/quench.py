"""Melt-quench of a Cu-Zr glass in LAMMPS to its inherent structure (PROTOCOL §1).

Start (B2 supercell or random gas) → ramp t_start → t_melt → hold at t_melt → quench to
t_final at a constant rate → CG minimisation with the box relaxed, then at fixed box.
NPT with a Nosé–Hoover thermostat and a Parrinello–Rahman barostat throughout.
"""

from __future__ import annotations

import logging
import math
import os
import shutil
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from igd.common import lammps as lmpmod
from igd.common.config import species_counts
from igd.common.io import atomic_path
from igd.common.logs import Progress
from igd.glass.segments import Checkpoints

log = logging.getLogger(__name__)

AMU_PER_A3_TO_G_PER_CM3 = 1.66053906660

ATOM_UNITS = {"id": "", "type": "", "element": "", "x": "Å", "y": "Å", "z": "Å", "pe": "eV"}
THERMO_UNITS = {"step": "", "time": "ps", "phase": "", "temp": "K", "press": "bar",
                "vol": "Å^3", "pe": "eV", "density": "g/cm^3"}


class GlassError(RuntimeError):
    """The quench or minimisation did not give a valid inherent structure."""


def phase_steps(glass: Mapping[str, Any]) -> dict[str, int]:
    """MD steps of each phase of the schedule."""
    dt = glass["timestep"]
    quench_ps = (glass["t_melt"] - glass["t_final"]) / (glass["quench_rate"] * 1e-12)
    return {"heat": int(round(glass["heat_time"] / dt)),
            "equilibrate": int(round(glass["equilibrate_time"] / dt)),
            "quench": int(round(quench_ps / dt))}


def _build(lmp, *, n_atoms, composition, elements, masses, initial, seed) -> None:
    counts = species_counts(n_atoms, composition, elements)
    ntypes = len(elements)
    if initial["structure"] == "b2":
        n = round((n_atoms / 2) ** (1 / 3))
        a = initial["b2_lattice"]
        lmp.commands_list([
            f"lattice bcc {a}", f"region box block 0 {n} 0 {n} 0 {n}",
            f"create_box {ntypes} box", "create_atoms 1 box basis 2 2"])
    else:
        side = (n_atoms / initial["density"]) ** (1 / 3)
        lmp.commands_list([f"region box block 0 {side} 0 {side} 0 {side} units box",
                           f"create_box {ntypes} box"])
        rng = np.random.default_rng(seed)
        for t, el in enumerate(elements, start=1):
            s = int(rng.integers(1, 2**31 - 1))
            lmp.command(f"create_atoms {t} random {counts[el]} {s} NULL "
                        f"overlap {initial['min_distance']} maxtry 1000 units box")
        if lmp.get_natoms() != n_atoms:
            raise GlassError(f"system.initial.min_distance: random placement fit only "
                             f"{lmp.get_natoms()} of {n_atoms} atoms; lower it or the density")
    for t, el in enumerate(elements, start=1):
        lmp.command(f"mass {t} {masses[el]}")


def _md(lmp, glass: Mapping[str, Any], begin: int, end: int, chunks: int,
        checkpoints: Checkpoints | None = None) -> None:
    """MD steps [``begin``, ``end``) of the whole schedule (:func:`phase_steps`), phase by
    phase: ``fix md`` (npt) ramps each phase's target temperature over the phase's steps
    (``run … start stop``), in runs of ceil(phase steps / ``chunks``) steps aligned to the
    phase's start. A phase ending inside the range is unfixed; one running on past ``end``
    keeps its fix, whose thermostat/barostat state a following ``write_restart`` saves.

    With ``checkpoints``: a checkpoint at the end of the first run ending at least
    ``checkpoints.every`` steps after ``begin`` or the previous checkpoint, inside a phase
    (never at a phase's or the range's end); the run after it sets up again (``pre
    yes``), as a run resumed from it does, so a resumed run repeats the same steps."""
    targets = {"heat": (glass["t_start"], glass["t_melt"]),
               "equilibrate": (glass["t_melt"], glass["t_melt"]),
               "quench": (glass["t_melt"], glass["t_final"])}
    first, saved = 0, begin
    for phase, steps in phase_steps(glass).items():
        last = first + steps
        step, stop = max(begin, first), min(end, last)
        if step < stop:
            t0, t1 = targets[phase]
            lmp.command(f"fix md all npt temp {t0} {t1} {glass['tdamp']} {glass['barostat']} "
                        f"{glass['pressure']} {glass['pressure']} {glass['pdamp']}")
            per = max(1, math.ceil(steps / max(1, chunks)))
            prog = Progress(steps, phase, log, unit="steps", every=0.0)
            pre = "yes"
            while step < stop:
                n = min(stop, first + ((step - first) // per + 1) * per) - step
                lmp.command(f"run {n} start {first} stop {last} pre {pre} post no")
                step, pre = step + n, "no"
                prog.update(step - first)
                if not (math.isfinite(lmp.get_thermo("temp"))
                        and math.isfinite(lmp.get_thermo("pe"))):
                    raise GlassError(f"{phase}: LAMMPS state became non-finite at step "
                                     f"{lmp.extract_global('ntimestep')}")
                if checkpoints is not None and step < stop and step - saved >= checkpoints.every:
                    checkpoints.write(lmp, step)
                    saved, pre = step, "yes"
            if stop == last:
                lmp.command("unfix md")
        first = last


def _start(lmp, *, n_atoms, composition, elements, masses, initial, potential, glass, seed,
           neighbor_skin, root, restart=None) -> None:
    """A fresh start (structure, potential, contacts removed, velocities at t_start, step 0)
    or, with ``restart`` (a checked binary restart), the state it saved plus the settings a
    restart does not keep (potential file, neighbour lists, thermo)."""
    if restart is None:
        lmp.command("boundary p p p")
        _build(lmp, n_atoms=n_atoms, composition=composition, elements=elements,
               masses=masses, initial=initial, seed=seed)
    else:
        lmp.command(f"read_restart {Path(restart).resolve()}")
    lmp.commands_list(lmpmod.potential_commands(potential, root))
    lmp.commands_list([f"neighbor {neighbor_skin} bin", "neigh_modify every 1 delay 0 check yes",
                       "thermo_style custom step temp press vol pe fmax", "thermo 0"])
    if restart is not None:
        return
    if initial["structure"] == "random":  # remove close contacts before MD
        lmp.command("minimize 0 1e-3 1000 10000")
    lmp.commands_list(["reset_timestep 0", f"timestep {glass['timestep']}",
                       f"velocity all create {glass['t_start']} {seed} mom yes rot yes dist gaussian"])


def _thermo_fix(lmp, glass, path: Path, resumed_at: int | None = None) -> None:
    """Rows ``step temp press vol pe`` every glass.thermo_every steps into ``path``: a new
    file, or (``resumed_at``: a run resumed from a checkpoint at that MD step) the rows of
    ``path`` up to that step followed by the new ones."""
    rank0 = lmp.extract_setting("world_rank") == 0
    path.parent.mkdir(parents=True, exist_ok=True)
    if resumed_at is None:
        if rank0:
            path.unlink(missing_ok=True)
    elif rank0 and path.exists():
        rows = [r for r in path.read_text().splitlines(keepends=True)   # a killed job's
                if r.endswith("\n") and len(r.split()) == 5                # last row may be cut
                and not r.startswith("#") and int(float(r.split()[0])) <= resumed_at]
        path.write_text("".join(rows))
    mode = "file" if resumed_at is None else "append"
    lmp.command(f"fix th all print {glass['thermo_every']} "
                "\"$(step) $(temp) $(press) $(vol) $(pe)\" "
                f"{mode} {path.resolve()} screen no")


def _resume(checkpoints: Checkpoints | None, restart_in, begin: int, end: int):
    """(restart, first step, resumed step or None): the newest valid checkpoint of this
    range (:meth:`Checkpoints.latest`) if there is one, else ``restart_in``, ``begin``."""
    step = checkpoints.latest(begin, end) if checkpoints is not None else None
    if step is None:
        return restart_in, begin, None
    return checkpoints.restart(step), step, step


def run_segment(restart_out: str | os.PathLike, thermo_out: str | os.PathLike, *,
                begin: int, end: int, restart_in: str | os.PathLike | None = None,
                n_atoms: int, composition: Mapping[str, float], elements: list[str],
                masses: Mapping[str, float], initial: Mapping[str, Any],
                potential: Mapping[str, Any], glass: Mapping[str, Any], seed: int,
                log_file: str | os.PathLike | None = None, threads: int = 1,
                suffix: str | None = None, neighbor_skin: float = 1.0,
                root: str | os.PathLike = ".", checkpoints: Checkpoints | None = None) -> None:
    """MD steps [``begin``, ``end``) of the schedule: from scratch (``restart_in`` None,
    ``begin`` 0) or from a checked restart written at ``begin``; writes the binary restart
    at ``end`` to ``restart_out`` and the thermo rows to ``thermo_out`` (text: step, temp K,
    press bar, vol Å³, pe eV). Collective under MPI (rank 0 writes the files). With
    ``checkpoints`` it resumes from the newest valid one and writes new ones
    (:func:`_md`); the caller clears them once its outputs are complete."""
    restart_in, begin, resumed = _resume(checkpoints, restart_in, begin, end)
    lmp = lmpmod.start_lammps(log_file, threads=threads, suffix=suffix)
    try:
        _start(lmp, n_atoms=n_atoms, composition=composition, elements=elements,
               masses=masses, initial=initial, potential=potential, glass=glass, seed=seed,
               neighbor_skin=neighbor_skin, root=root, restart=restart_in)
        if lmp.extract_global("ntimestep") != begin:
            raise GlassError(f"segment starts at step {lmp.extract_global('ntimestep')}, "
                             f"expected {begin}")
        thermo_tmp = (Path(thermo_out).with_suffix(".thermo.tmp") if checkpoints is None
                      else checkpoints.thermo)
        _thermo_fix(lmp, glass, thermo_tmp, resumed)
        _md(lmp, glass, begin, end, glass["progress_chunks"], checkpoints)
        lmp.command("unfix th")
        restart_tmp = Path(restart_out).with_suffix(".restart.tmp")
        lmp.command(f"write_restart {restart_tmp.resolve()}")
    finally:
        lmp.close()
    if thermo_tmp.exists() and restart_tmp.exists():   # rank 0 (fix print and
        copy = os.replace if checkpoints is None else shutil.copyfile   # write_restart)
        copy(thermo_tmp, thermo_out)
    if restart_tmp.exists():
        os.replace(restart_tmp, restart_out)


def make_glass(data_out: str | os.PathLike, *, n_atoms: int, composition: Mapping[str, float],
               elements: list[str], masses: Mapping[str, float], initial: Mapping[str, Any],
               potential: Mapping[str, Any], glass: Mapping[str, Any], seed: int,
               log_file: str | os.PathLike | None = None, threads: int = 1,
               suffix: str | None = None, neighbor_skin: float = 1.0,
               root: str | os.PathLike = ".", restart_in: str | os.PathLike | None = None,
               begin: int = 0, thermo_parts: Sequence[str | os.PathLike] = (),
               checkpoints: Checkpoints | None = None
               ) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Quench one glass; write its inherent structure to ``data_out`` (LAMMPS data file).

    The whole schedule from scratch, or (the last of several segments) its MD steps from
    ``begin`` on from a checked restart ``restart_in``, the earlier segments' thermo
    files ``thermo_parts`` (:func:`run_segment`) prepended to the thermo history. With
    ``checkpoints`` its MD resumes from the newest valid one and writes new ones.

    Returns (atoms, thermo, summary): per-atom IS table (id, type, element, x, y, z, pe),
    the thermo history and a summary (box, density g/cm³, energy eV/atom, max force, LAMMPS
    provenance). Raises :class:`GlassError` if the minimum is not reached.
    """
    steps = phase_steps(glass)
    total = sum(steps.values())
    begin = 0 if restart_in is None else begin
    restart_in, begin, resumed = _resume(checkpoints, restart_in, begin, total)
    lmp = lmpmod.start_lammps(log_file, threads=threads, suffix=suffix)
    try:
        _start(lmp, n_atoms=n_atoms, composition=composition, elements=elements,
               masses=masses, initial=initial, potential=potential, glass=glass, seed=seed,
               neighbor_skin=neighbor_skin, root=root, restart=restart_in)
        thermo_tmp = (Path(data_out).with_suffix(".thermo.tmp") if checkpoints is None
                      else checkpoints.thermo)
        _thermo_fix(lmp, glass, thermo_tmp, resumed)
        log.info("schedule (steps): %s, timestep %g ps; this job: steps %d-%d",
                 steps, glass["timestep"], begin, total)
        _md(lmp, glass, begin, total, glass["progress_chunks"], checkpoints)
        lmp.command("unfix th")
        thermo = _read_thermo([*thermo_parts, thermo_tmp], glass, steps, sum(
            masses[e] * c for e, c in species_counts(n_atoms, composition, elements).items()))
        if checkpoints is None:   # else kept for a resume until the job's outputs exist
            thermo_tmp.unlink(missing_ok=True)
        atoms, summary = relax_inherent(lmp, data_out, glass=glass, elements=elements,
                                        masses=masses)
    finally:
        lmp.close()
    return atoms, thermo, summary


def relax_inherent(lmp, data_out: str | os.PathLike, *, glass: Mapping[str, Any],
                   elements: Sequence[str], masses: Mapping[str, float]
                   ) -> tuple[pd.DataFrame, dict]:
    """Minimise the structure in ``lmp`` to its inherent structure (glass.minimize: fixed
    box, box relaxed to glass.pressure, fixed box to ftol) and write it to ``data_out``.

    The one minimisation of a glass, quenched or imported. Returns (atoms, summary):
    per-atom table (id, type, element, x, y, z Å, pe eV) and box (origin, cell Å), volume
    Å³, density g/cm³, energy eV/atom, max force eV/Å. Raises :class:`GlassError` when an
    atom feels more than glass.minimize.fmax_tolerance.
    """
    mini = glass["minimize"]
    # Fixed box first, then the box relaxed to zero stress (stopped on etol: its force
    # norm mixes in the box degrees of freedom and converges slowly), then fixed box to
    # ftol. Measured on 500 atoms: 4 s instead of 60 s for box/relax straight to ftol.
    mn = f"{mini['maxiter']} {mini['maxeval']}"
    lmp.commands_list(["min_style cg", f"minimize 0 {mini['box_ftol']} {mn}",
                       f"fix relax all box/relax {glass['barostat']} {glass['pressure']} vmax 0.001",
                       f"minimize {mini['etol']} {mini['box_ftol']} {mn}", "unfix relax",
                       f"minimize 0 {mini['ftol']} {mn}",
                       "compute pe all pe/atom", "run 0"])
    fmax = float(lmp.get_thermo("fmax"))
    pe_total = float(lmp.get_thermo("pe"))
    if not fmax <= mini["fmax_tolerance"]:
        raise GlassError(f"glass.minimize.fmax_tolerance: minimisation stopped with max force "
                         f"{fmax:.3g} eV/Å > {mini['fmax_tolerance']:.3g} eV/Å")
    ids = lmpmod.gather(lmp, "id", 1, dtype=0)
    types = lmpmod.gather(lmp, "type", 1, dtype=0)
    x = lmpmod.gather(lmp, "x", 3)
    pe = lmpmod.gather(lmp, "c_pe", 1)
    origin, cell = lmpmod.box(lmp)
    with atomic_path(data_out) as tmp:
        lmp.command(f"write_data {tmp} nocoeff")
    order = np.argsort(ids)
    atoms = pd.DataFrame({"id": ids[order].astype(np.int64), "type": types[order].astype(np.int64),
                          "element": np.array(elements)[types[order] - 1],
                          "x": x[order, 0], "y": x[order, 1], "z": x[order, 2], "pe": pe[order]})
    volume = float(abs(np.linalg.det(cell)))
    mass = sum(masses[elements[t - 1]] for t in atoms["type"])
    summary = {"box_origin": origin.tolist(), "box_cell": cell.tolist(), "volume_A3": volume,
               "density_g_cm3": mass / volume * AMU_PER_A3_TO_G_PER_CM3,
               "energy_eV_per_atom": pe_total / len(atoms), "fmax_eV_per_A": fmax}
    log.info("inherent structure: density %.4f g/cm^3, energy %.5f eV/atom, max force %.2e eV/Å",
             summary["density_g_cm3"], summary["energy_eV_per_atom"], fmax)
    return atoms, summary


def _read_thermo(paths: Sequence[Path], glass, steps: Mapping[str, int],
                 mass_amu: float) -> pd.DataFrame:
    """The thermo rows of the fix print files ``paths`` (segments in order) as a table."""
    cols = ["step", "temp", "press", "vol", "pe"]
    paths = [Path(p) for p in paths if Path(p).exists()]
    if not paths:
        return pd.DataFrame({c: [] for c in cols + ["time", "phase", "density"]})
    arr = np.concatenate([np.loadtxt(p, comments="#", ndmin=2).reshape(-1, len(cols))
                          for p in paths])
    df = pd.DataFrame(arr, columns=cols)
    df["step"] = df["step"].astype(np.int64)
    # fix print writes the row of a phase or segment boundary twice (end of one run, start
    # of the next)
    df = df.drop_duplicates("step", keep="last").reset_index(drop=True)
    df["time"] = df["step"] * glass["timestep"]
    edges = np.cumsum([steps["heat"], steps["equilibrate"], steps["quench"]])
    df["phase"] = np.array(["heat", "equilibrate", "quench"])[
        np.minimum(np.searchsorted(edges, df["step"].to_numpy(), side="left"), 2)]
    df["density"] = mass_amu / df["vol"] * AMU_PER_A3_TO_G_PER_CM3
    return df[["step", "time", "phase", "temp", "press", "vol", "pe", "density"]]
