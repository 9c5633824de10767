"""Parquet with units and provenance in the metadata, and atomic writes.

The one Parquet writer of the package. Every table carries, under the metadata key
``igd``, a JSON document with the column units, the parameters that produced it and the
provenance (package version, LAMMPS version, potential sha256, rule) — and no timestamp,
so that the same inputs give byte-identical files.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Iterator, Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from igd import __version__

META_KEY = b"igd"


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only on success.

    A crash or kill leaves either the old file or none, never a half-written one.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix or path.suffix,
                               dir=path.parent)
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        if tmp.exists():   # mkstemp makes 0600; give the file the usual umask permissions
            os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    return value


def write_table(df: pd.DataFrame, path: str | os.PathLike, *, units: Mapping[str, str],
                params: Mapping[str, Any] | None = None,
                provenance: Mapping[str, Any] | None = None,
                extra: Mapping[str, Any] | None = None) -> Path:
    """Write ``df`` to Parquet atomically with units, parameters and provenance.

    ``units`` maps column names to unit strings ("" for dimensionless; columns not listed
    are recorded as unknown and rejected, so every column's unit is stated).
    """
    missing = [c for c in df.columns if c not in units]
    if missing:
        raise ValueError(f"no unit given for column(s) {missing} of {path}")
    meta = {
        "units": {c: units[c] for c in df.columns},
        "params": _jsonable(params or {}),
        "provenance": {"igd_version": __version__, **_jsonable(provenance or {})},
    }
    if extra:
        meta.update(_jsonable(extra))
    table = pa.Table.from_pandas(df, preserve_index=False)
    schema_meta = dict(table.schema.metadata or {})
    schema_meta[META_KEY] = json.dumps(meta, sort_keys=True).encode()
    table = table.replace_schema_metadata(schema_meta)
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp)
    return Path(path)


def read_table(path: str | os.PathLike, columns: list[str] | None = None) -> pd.DataFrame:
    """Read a Parquet table written by :func:`write_table`."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"missing input table {path}")
    return pq.read_table(path, columns=columns).to_pandas()


def read_metadata(path: str | os.PathLike) -> dict:
    """The ``igd`` metadata document of a Parquet file (units, params, provenance)."""
    meta = pq.read_schema(path).metadata or {}
    if META_KEY not in meta:
        raise ValueError(f"{path} carries no igd metadata (not written by this workflow?)")
    return json.loads(meta[META_KEY])


def write_json(obj: Any, path: str | os.PathLike) -> Path:
    """Write JSON atomically with sorted keys (deterministic bytes)."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(_jsonable(obj), indent=2, sort_keys=True) + "\n")
    return Path(path)
