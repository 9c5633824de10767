"""Segments of a long melt-quench: step ranges and checked restart hand-overs.

When one job of the glass MD would exceed the partition's limit (``cluster.max_job_hours``,
:func:`igd.common.cost.glass_segments`), the schedule's MD steps are split into ``n``
contiguous ranges; segment k < n − 1 (rule ``glass_segment``) ends with a LAMMPS binary
restart (positions, velocities, image flags, box, the Nosé–Hoover/Parrinello–Rahman state of
the active ``fix npt``) and a JSON sidecar naming what wrote it; the next segment checks the
sidecar before it reads the restart, so a restart of another sample, other parameters, other
segment boundaries or a damaged file is an error, never a silent start from the wrong state.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, Mapping

from igd.common.io import write_json
from igd.common.lammps import sha256

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
