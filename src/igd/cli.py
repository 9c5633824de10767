"""Command line of the MPI ``shell:`` rules: run one task function of the package.

    python -m igd.cli igd.glass.tasks:glass --job '<json>' --log LOG [--threads N]

``TASK`` is ``module:function`` of a task (``task(job) -> None``, :mod:`igd.common.job`);
``--job`` the rule's document (rule name, params, wildcards, named inputs and outputs;
:func:`igd.common.job.document`, written by the rule's ``params.job``), or ``--job-file``
a file holding it. The Snakemake rules run ``{resources.mpi} -n {resources.tasks} python
-m igd.cli …``, so a laptop (``mpiexec`` of the ``mpich`` wheel) and a cluster (``srun``)
run the same command; the MPI ranks come from the launcher (:class:`igd.common.mpi.Ranks`)
and only rank 0 logs and writes. A task that fails on one rank of several aborts them all
(the others may wait in a collective call forever).
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import sys
from pathlib import Path
from typing import Callable

from igd.common import lammps
from igd.common.job import Job, run_task
from igd.common.mpi import Ranks, abort_all

log = logging.getLogger(__name__)


def load_task(spec: str) -> Callable[[Job], None]:
    """The task function named ``module:function`` (SystemExit naming it if there is none)."""
    module, sep, name = spec.partition(":")
    if not sep or not module.startswith("igd."):
        raise SystemExit(f"task: expected igd.<stage>.tasks:<rule>, got {spec!r}")
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as err:
        raise SystemExit(f"task {spec!r}: {err}") from None


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m igd.cli", description=__doc__.split("\n")[0])
    ap.add_argument("task", help="module:function of the task, e.g. igd.glass.tasks:glass")
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--job", help="the rule's job document as a JSON object")
    src.add_argument("--job-file", type=Path, help="a JSON file holding the job document")
    ap.add_argument("--log", help="log file (appended; LAMMPS' log goes there too)")
    ap.add_argument("--threads", type=int, default=1, help="OpenMP threads per rank")
    return ap


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    task = load_task(args.task)
    doc = json.loads(args.job if args.job is not None else args.job_file.read_text())
    ranks = Ranks.from_environ()
    job = Job.from_document(doc, log=args.log, threads=args.threads, ranks=ranks)
    try:
        run_task(task, job)
    except BaseException:
        if ranks.launched:
            log.exception("%s failed on rank %d of %d; aborting all ranks", args.task,
                          ranks.rank, ranks.size)
            logging.shutdown()
            abort_all(1, site_library=lammps.site_library() is not None)
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
