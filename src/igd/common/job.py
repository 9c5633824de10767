"""The one glue path from a Snakemake rule to the package.

Every rule ends in one task function ``task(job: Job) -> None`` of its stage's
``tasks`` module (``igd.<stage>.tasks``). A ``script:`` rule's script is two lines::

    from igd.common.job import run_script
    from igd.glass.tasks import rdf
    run_script(rdf, snakemake)

an MPI ``shell:`` rule runs ``python -m igd.cli igd.glass.tasks:glass --job JSON …``
(:mod:`igd.cli`), which builds the same :class:`Job` with this process' MPI
:class:`~igd.common.mpi.Ranks`. Both go through :func:`run_task`: logging (the writing
rank to the rule's log, the others' errors to stderr), the LAMMPS build of the params'
``lammps`` section, then the task.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from igd.common.mpi import Ranks


class Record(dict):
    """A dict whose keys also read as attributes (``job.input.data``)."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"no entry {name!r} (have: {sorted(self)})") from None


def _record(items: Iterable[tuple[str, Any]]) -> Record:
    out = Record()
    for name, value in items:
        out[name] = value if isinstance(value, (str, int, float, bool, dict, type(None))) \
            else [str(v) for v in value] if _is_list(value) else value
    return out


def _is_list(value: Any) -> bool:
    return isinstance(value, (list, tuple)) or type(value).__name__ == "Namedlist"


@dataclass(frozen=True)
class Job:
    """What a rule hands to its task: named files, params, wildcards, log, threads, ranks.

    ``input``/``output``: name → path (or list of paths); every input and output of a rule
    is named. ``params``: name → value (config sections, seeds …). ``log``: the rule's log
    file. ``ranks``: the MPI ranks (0 of 1 for a serial job).
    """

    rule: str
    input: Record
    output: Record
    params: Record
    wildcards: Record = field(default_factory=Record)
    log: str | None = None
    threads: int = 1
    ranks: Ranks = Ranks()

    def input_paths(self) -> list[str]:
        """Every input path in the rule's order, lists flattened (e.g. for
        :func:`igd.common.provenance.inherited_provenance`)."""
        return [f for v in self.input.values() for f in ([v] if isinstance(v, str) else v)]

    @classmethod
    def from_snakemake(cls, smk: Any) -> "Job":
        """The job of a ``script:`` rule (its ``snakemake`` object)."""
        return cls(rule=smk.rule, input=_record(smk.input.items()),
                   output=_record(smk.output.items()), params=Record(smk.params.items()),
                   wildcards=_record(smk.wildcards.items()),
                   log=str(smk.log[0]) if len(smk.log) else None, threads=int(smk.threads))

    @classmethod
    def from_document(cls, doc: Mapping[str, Any], *, log: str | None = None,
                      threads: int = 1, ranks: Ranks = Ranks()) -> "Job":
        """The job of a ``shell:`` rule from its ``--job`` JSON document (:func:`document`)."""
        return cls(rule=doc["rule"], input=Record(doc["input"]), output=Record(doc["output"]),
                   params=Record(doc["params"]), wildcards=Record(doc["wildcards"]),
                   log=log, threads=max(1, int(threads)), ranks=ranks)


def document(rule: str, params: Mapping[str, Any], wildcards: Any, input: Any,
             output: Any) -> dict[str, Any]:
    """The ``--job`` document of a shell rule: its rule name, params, wildcards and
    named files (what :meth:`Job.from_document` reads back)."""
    return {"rule": rule, "params": dict(params), "wildcards": dict(wildcards.items()),
            "input": dict(_record(input.items())), "output": dict(_record(output.items()))}


def run_task(task: Callable[[Job], None], job: Job) -> None:
    """Run ``task`` on ``job``: logs set up, the LAMMPS build configured, outputs' folders
    made (as Snakemake does, for runs by hand)."""
    from igd.common import lammps  # noqa: PLC0415
    from igd.common.logs import setup  # noqa: PLC0415

    if job.ranks.writes:
        setup(job.log)
    else:   # warnings and errors of other ranks to stderr (the rule sends it to the log)
        setup(None, level=logging.ERROR)
    lammps.configure(**job.params.get("lammps", {}))
    for path in job.output.values():
        for p in ([path] if isinstance(path, str) else path):
            Path(p).parent.mkdir(parents=True, exist_ok=True)
    task(job)


def run_script(task: Callable[[Job], None], smk: Any) -> None:
    """A ``script:`` rule's whole body: ``run_script(task, snakemake)``."""
    run_task(task, Job.from_snakemake(smk))

