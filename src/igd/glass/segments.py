"""Segments of a long melt-quench: step ranges and checked restart hand-overs.

When one job of the glass MD would exceed the partition's limit (``cluster.max_job_hours``,
:func:`igd.common.cost.glass_segments`), the schedule's MD steps are split into ``n``
contiguous ranges; segment k < n − 1 (rule ``glass_segment``) ends with a LAMMPS binary
restart (positions, velocities, image flags, box, the Nosé–Hoover/Parrinello–Rahman state of
the active ``fix npt``) and a JSON sidecar naming what wrote it; the next segment checks the
sidecar before it reads the restart, so a restart of another sample, other parameters, other
segment boundaries or a damaged file is an error, never a silent start from the wrong state.

Inside a segment, :class:`Checkpoints` writes a restart every so many MD steps (params
``checkpoint_steps``, from ``cluster.checkpoint_minutes``), so that a killed job
(``--rerun-incomplete``, SLURM requeue) resumes from its newest valid checkpoint rather than
from the segment's start.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from igd.common.io import write_json
from igd.common.lammps import sha256

log = logging.getLogger(__name__)

SIDECAR_VERSION = 1


class RestartMismatch(RuntimeError):
    """A restart file is missing, damaged, or was written for another sample or parameters."""


def segment_bounds(total_steps: int, segments: int) -> list[tuple[int, int]]:
    """``segments`` contiguous MD step ranges [begin, end) covering 0..``total_steps``
    (integer split, lengths differ by at most one step)."""
    if segments < 1:
        raise ValueError(f"segments must be >= 1, got {segments}")
    cuts = [k * total_steps // segments for k in range(segments + 1)]
    return list(zip(cuts[:-1], cuts[1:]))


def params_hash(params: Mapping[str, Any]) -> str:
    """SHA-256 of the parameters that determine the MD trajectory (JSON, sorted keys)."""
    text = json.dumps(params, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def write_sidecar(restart: str | os.PathLike, sidecar: str | os.PathLike, *, sample: str,
                  params: Mapping[str, Any], segment: int, segments: int,
                  step: int) -> dict:
    """Write the sidecar of ``restart`` (written at MD ``step`` by ``segment`` of
    ``segments``); returns its content."""
    doc = {"version": SIDECAR_VERSION, "sample": sample, "params_sha256": params_hash(params),
           "segment": segment, "segments": segments, "step": int(step),
           "restart": Path(restart).name, "restart_sha256": sha256(restart)}
    write_json(doc, sidecar)
    return doc


def check_restart(restart: str | os.PathLike, sidecar: str | os.PathLike, *, sample: str,
                  params: Mapping[str, Any], segments: int, step: int) -> dict:
    """Raise :class:`RestartMismatch` unless ``restart`` is intact and was written at MD
    ``step`` of ``sample`` under ``params`` split into ``segments``; returns the sidecar."""
    restart, sidecar = Path(restart), Path(sidecar)
    if not restart.exists():
        raise RestartMismatch(f"{restart}: restart file missing")
    try:
        doc = json.loads(sidecar.read_text())
    except (OSError, ValueError) as err:
        raise RestartMismatch(f"{sidecar}: no readable sidecar for {restart} ({err}); "
                              "delete the segment's outputs and rerun it") from None
    expected = {"version": SIDECAR_VERSION, "sample": sample,
                "params_sha256": params_hash(params), "segments": segments, "step": int(step)}
    what = {"version": "sidecar format", "sample": "sample", "segments": "segment count",
            "params_sha256": "parameters (system, glass, potential, seed)", "step": "MD step"}
    for key, value in expected.items():
        if doc.get(key) != value:
            raise RestartMismatch(f"{restart}: written for another {what[key]} "
                                  f"({key} {doc.get(key)!r}, this job needs {value!r}); "
                                  "delete it and rerun its segment")
    actual = sha256(restart)
    if actual != doc.get("restart_sha256"):
        raise RestartMismatch(f"{restart}: damaged (SHA-256 {actual[:12]}…, its sidecar "
                              f"says {str(doc.get('restart_sha256'))[:12]}…); delete it and "
                              "rerun its segment")
    return doc


SEGMENT_PATH = "results/{sample}/glass/segments/{segment}"
"""Outputs of segment ``{segment}`` of ``{sample}``: ``.restart``, ``.json``, ``.thermo``
(rule ``glass_segment``)."""


def segment_inputs(sample: str, segment: int, segments: int) -> dict[str, Any]:
    """Named inputs of ``segment`` of ``segments`` (the last is rule ``glass``): the
    previous segment's ``restart`` and ``sidecar``, and for the last every earlier
    segment's ``thermo``; none for segment 0 (nor for an unsegmented glass)."""
    if segment == 0:
        return {}
    prev = SEGMENT_PATH.format(sample=sample, segment=segment - 1)
    out: dict[str, Any] = {"restart": prev + ".restart", "sidecar": prev + ".json"}
    if segment == segments - 1:
        out["thermo"] = [SEGMENT_PATH.format(sample=sample, segment=k) + ".thermo"
                         for k in range(segments - 1)]
    return out


CHECKPOINT_DIR = "results/{sample}/glass/checkpoints/{segment}"
"""In-segment checkpoints of segment ``{segment}`` of ``{sample}`` (:class:`Checkpoints`):
not among the rule's outputs, so Snakemake's ``--rerun-incomplete`` (which deletes a killed
job's outputs) and SLURM's requeue leave them for the rerun; removed when the job ends."""


@dataclass(frozen=True)
class Checkpoints:
    """Binary restarts written inside one segment's MD every ``every`` steps (at the first
    run boundary at least ``every`` steps after the previous one), each committed by its
    sidecar (:func:`write_sidecar`: sample, params hash, segment, step, SHA-256) written
    after the restart is complete; the previous checkpoint is deleted only then. A killed
    job therefore leaves at least one complete checkpoint once the first is committed.

    ``directory`` holds ``{step}.restart``, ``{step}.json`` and ``thermo.txt`` (the
    segment's thermo rows so far: step, temp K, press bar, vol Å³, pe eV)."""

    directory: Path
    every: int
    sample: str
    params: Mapping[str, Any]
    segment: int
    segments: int

    def restart(self, step: int) -> Path:
        return Path(self.directory) / f"{step}.restart"

    def sidecar(self, step: int) -> Path:
        return Path(self.directory) / f"{step}.json"

    @property
    def thermo(self) -> Path:
        return Path(self.directory) / "thermo.txt"

    def latest(self, begin: int, end: int) -> int | None:
        """MD step of the newest valid checkpoint strictly inside (``begin``, ``end``),
        None if there is none. Every other file found is IGNORED with a WARNING log line
        naming it and why (partial write of a killed job, damaged, another sample,
        parameters or segment, outside the range): a checkpoint is scratch that Snakemake
        does not track, a changed parameter legitimately leaves stale ones behind, and
        ignoring one costs only the steps since the segment's start; it is never used."""
        folder = Path(self.directory)
        names = folder.glob("*.restart") if folder.is_dir() else []
        steps = sorted({int(p.stem) for p in names if p.stem.isdigit()}, reverse=True)
        for step in steps:
            try:
                if not begin < step < end:
                    raise RestartMismatch(f"step {step} outside this segment's steps "
                                          f"{begin}-{end}")
                doc = check_restart(self.restart(step), self.sidecar(step), sample=self.sample,
                                    params=self.params, segments=self.segments, step=step)
                if doc.get("segment") != self.segment:
                    raise RestartMismatch(f"written by segment {doc.get('segment')}, "
                                          f"this is segment {self.segment}")
            except RestartMismatch as err:
                log.warning("checkpoint %s ignored: %s", self.restart(step), err)
                continue
            log.info("resuming segment %d of %d of %s from its checkpoint at MD step %d (%s)",
                     self.segment, self.segments, self.sample, step, self.restart(step))
            return step
        return None

    def write(self, lmp, step: int) -> None:
        """Write the checkpoint at MD ``step`` (collective under MPI; rank 0 renames the
        complete file, commits it with its sidecar, then deletes older checkpoints)."""
        Path(self.directory).mkdir(parents=True, exist_ok=True)
        tmp = Path(self.directory) / f"{step}.restart.tmp"
        lmp.command(f"write_restart {tmp.resolve()}")
        if lmp.extract_setting("world_rank") != 0:
            return
        os.replace(tmp, self.restart(step))
        write_sidecar(self.restart(step), self.sidecar(step), sample=self.sample,
                      params=self.params, segment=self.segment, segments=self.segments,
                      step=step)
        for path in Path(self.directory).iterdir():
            if path.suffix in (".restart", ".json") and path.stem != str(step):
                path.unlink(missing_ok=True)
        log.info("checkpoint at MD step %d: %s", step, self.restart(step))

    def clear(self) -> None:
        """Delete the directory (the segment's outputs are complete)."""
        shutil.rmtree(self.directory, ignore_errors=True)
