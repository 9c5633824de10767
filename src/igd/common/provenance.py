"""Print what produced an output file: rule, parameters, versions, potential, units.

Usage::

    python -m igd.common.provenance results/s0/labels.parquet results/learning/igd.parquet
    igd-provenance --json results/s0/glass/atoms.parquet

Works on every Parquet written by :func:`igd.common.io.write_table` (metadata key ``igd``) and on
JSON outputs that carry a ``provenance`` (and optionally ``params``/``units``) entry.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any, Sequence

REQUIRED = ("rule", "igd_version")
"""Provenance keys every output must carry (plus a ``params`` document)."""

REQUIRED_LAMMPS = ("lammps_version", "potential_sha256")
"""Further keys of outputs computed with LAMMPS."""


def read_provenance(path: str | os.PathLike) -> dict[str, Any]:
    """The metadata document of ``path``: ``{"units", "params", "provenance", …}``.

    Parquet: the ``igd`` schema metadata. JSON: the top-level ``provenance``, ``params``
    and ``units`` entries, if present. Raises ValueError naming the file if it has none.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    if path.suffix == ".parquet":
        from igd.common.io import read_metadata  # noqa: PLC0415

        return read_metadata(path)
    if path.suffix == ".json":
        doc = json.loads(path.read_text())
        if not isinstance(doc, dict) or "provenance" not in doc:
            raise ValueError(f"{path} carries no provenance entry")
        return {k: doc[k] for k in ("units", "params", "provenance") if k in doc}
    raise ValueError(f"{path}: not a Parquet or JSON output")


INHERITED = ("lammps_version", "lammps_build", "potential_file", "potential_sha256")
"""Provenance entries a derived table takes over from its Parquet inputs."""


def inherited_provenance(inputs, rule: str | None = None) -> dict[str, Any]:
    """Provenance of a table computed from Parquet ``inputs`` (paths; others are skipped).

    Takes over the LAMMPS and potential entries of the inputs, which must agree (a mix of
    inputs computed with different potentials or LAMMPS builds raises ValueError naming
    the file), and adds ``rule``. For rule scripts: ``provenance=inherited_provenance(
    snakemake.input, rule=snakemake.rule)``.
    """
    from igd.common.io import read_metadata  # noqa: PLC0415

    out: dict[str, Any] = {}
    seen: dict[str, str] = {}
    for path in inputs:
        if not str(path).endswith(".parquet"):
            continue
        prov = read_metadata(path).get("provenance") or {}
        for key in INHERITED:
            value = prov.get(key)
            if value is None:
                continue
            if key in out and out[key] != value:
                raise ValueError(f"{path}: {key} = {value} differs from {out[key]} of "
                                 f"{seen[key]}")
            out[key], seen[key] = value, str(path)
    if rule is not None:
        out["rule"] = rule
    return out


def missing_fields(meta: dict[str, Any], *, lammps: bool = False) -> list[str]:
    """Names of the required provenance fields absent from ``meta`` (empty if complete).

    ``lammps``: the file was computed with LAMMPS, so it must also name the LAMMPS version
    and the potential's sha256.
    """
    prov = meta.get("provenance") or {}
    keys = REQUIRED + (REQUIRED_LAMMPS if lammps else ())
    out = [k for k in keys if prov.get(k) in (None, "")]
    if "params" not in meta:
        out.append("params")
    return out


def format_provenance(path: str | os.PathLike, meta: dict[str, Any]) -> str:
    """A short human-readable summary of ``meta`` (one item per line)."""
    prov = meta.get("provenance") or {}
    lines = [f"{path}",
             f"  rule:              {prov.get('rule', '(not recorded)')}",
             f"  igd version:       {prov.get('igd_version', '(not recorded)')}"]
    if "lammps_version" in prov or "lammps_build" in prov:
        lines.append(f"  LAMMPS:            {prov.get('lammps_version')} "
                     f"({prov.get('lammps_build', '?')})")
    if "potential_sha256" in prov or "potential_file" in prov:
        lines.append(f"  potential:         {prov.get('potential_file')} "
                     f"sha256 {prov.get('potential_sha256')}")
    other = {k: v for k, v in prov.items()
             if k not in ("rule", "igd_version", "lammps_version", "lammps_build",
                          "potential_file", "potential_sha256")}
    for k, v in sorted(other.items()):
        lines.append(f"  {k + ':':<18} {v}")
    params = meta.get("params", {})
    lines.append(f"  parameters:        {json.dumps(params, sort_keys=True)}")
    units = meta.get("units")
    if units:
        lines.append("  units:             " + ", ".join(
            f"{c} [{u or '-'}]" for c, u in units.items()))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Console entry point: print the provenance of each FILE; 1 if any file has none."""
    ap = argparse.ArgumentParser(prog="igd-provenance", description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="+", metavar="FILE", help="output Parquet or JSON files")
    ap.add_argument("--json", action="store_true", help="print the raw metadata as JSON")
    args = ap.parse_args(argv)
    status = 0
    for f in args.files:
        try:
            meta = read_provenance(f)
        except (OSError, ValueError) as err:
            print(f"igd-provenance: {err}", file=sys.stderr)
            status = 1
            continue
        if args.json:
            print(json.dumps({"file": str(f), **meta}, indent=2, sort_keys=True))
        else:
            print(format_provenance(f, meta))
    return status


if __name__ == "__main__":
    sys.exit(main())
