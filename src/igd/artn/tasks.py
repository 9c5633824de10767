"""Tasks of stage 4 (PROTOCOL §4): one function per rule of ``workflow/rules/artn.smk``."""

from __future__ import annotations

import numpy as np

from igd.artn.driver import run_artn
from igd.artn.figures import fig02_barriers
from igd.artn.tables import EVENTS_UNITS, barriers_units, gather_chunks
from igd.common import lammps
from igd.common.config import sample_index
from igd.common.io import read_metadata, read_table, write_table
from igd.common.job import Job
from igd.common.provenance import inherited_provenance


def chunk_atoms(n_atoms: int, chunks: int, chunk: int, atom_stride: int) -> np.ndarray:
    """Atom ids (1 … ``n_atoms``) of chunk ``chunk`` of ``chunks`` (consecutive blocks of
    nearly equal size), keeping every ``atom_stride``-th atom (1: all, the protocol)."""
    ids = np.array_split(np.arange(1, n_atoms + 1), chunks)[chunk]
    return ids[(ids - 1) % atom_stride == 0]


def artn_chunk(job: Job) -> None:
    """ARTn searches for one chunk of one sample's atoms (:func:`igd.artn.driver.run_artn`).

    params ``search, chunks, atom_stride, n_atoms, potential, lammps, seed`` (and
    ``sample_key``: the sample's key from the samples sheet, when it is not k of a name
    s<k>); wildcards ``sample, chunk``; input ``data`` (the inherent structure); outputs ``events``,
    ``barriers`` (the chunk's rows of the two tables, :mod:`igd.artn.tables`).
    """
    p = job.params
    chunk = int(job.wildcards.chunk)
    ids = chunk_atoms(p.n_atoms, p.chunks, chunk, p.atom_stride)
    key = p["sample_key"] if "sample_key" in p else sample_index(job.wildcards.sample)
    events, barriers = run_artn(job.input.data, ids, potential=p.potential, params=p.search,
                                seed=p.seed, sample_index=key,
                                log_file=job.log, threads=job.threads)
    params = {**p.search, "chunk": chunk, "chunks": p.chunks, "atom_stride": p.atom_stride,
              "seed": p.seed,
              "sample": job.wildcards.sample}
    prov = lammps.provenance(p.potential, rule=job.rule)
    write_table(events, job.output.events, units=EVENTS_UNITS, params=params, provenance=prov)
    write_table(barriers, job.output.barriers, units=barriers_units(p.search["n_events"]),
                params=params, provenance=prov)


def artn_gather(job: Job) -> None:
    """One sample's ARTn chunks → its ``events`` and ``barriers`` tables
    (:func:`igd.artn.tables.gather_chunks`; every atom of input ``atoms`` gets a row).

    inputs ``atoms``, ``events`` and ``barriers`` (lists, chunk order); params
    ``n_events``; the chunks' params (without ``chunk``) and their LAMMPS provenance carry
    over.
    """
    events, barriers, summary = gather_chunks(
        [read_table(f) for f in job.input.events], [read_table(f) for f in job.input.barriers],
        read_table(job.input.atoms, columns=["id", "type"]), job.wildcards.sample)
    params = {k: v for k, v in read_metadata(job.input.events[0])["params"].items()
              if k != "chunk"}
    prov = inherited_provenance([*job.input.events, *job.input.barriers], rule=job.rule)
    write_table(events, job.output.events, units=EVENTS_UNITS, params=params, provenance=prov,
                extra={"summary": summary})
    write_table(barriers, job.output.barriers,
                units={**barriers_units(job.params.n_events), "searched": ""},
                params=params, provenance=prov, extra={"summary": summary})


def fig02(job: Job) -> None:
    """Paper Fig. 2 (:func:`igd.artn.figures.fig02_barriers`) from every sample's
    ``barriers`` and ``atoms`` (lists in the order of params ``samples``) to ``figure``."""
    samples = job.params.samples
    fig02_barriers({s: read_table(f) for s, f in zip(samples, job.input.barriers)},
                   {s: read_table(f) for s, f in zip(samples, job.input.atoms)},
                   job.output.figure)
