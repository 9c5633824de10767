"""Every per-atom property of one sample as a LAMMPS text dump, for OVITO.

* :func:`atom_properties` (driver of rule ``ovito_dump``) joins every per-atom output of
  a sample (IS atoms, labels, IGD, features, Hessian, 700 K dynamics) into one table;
* :func:`write_lammps_dump` writes it as a LAMMPS text dump that
  ``ovito.io.import_file`` reads (one column per property, names by :func:`dump_name`).

Lengths in Å.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from igd.common.io import atomic_path


def dump_name(column: str) -> str:
    """A column name safe for a LAMMPS dump / OVITO property: lower case [a-z0-9_] only
    (``G_1.5`` → ``g_1p5``, ``I_BP`` → ``i_bp``, ``dr2_0.01ps`` → ``dr2_0p01ps``); OVITO's
    LAMMPS dump reader lower-cases user column names anyway, so the file matches what
    OVITO shows."""
    name = re.sub(r"[^a-z0-9_]", "_", column.replace(".", "p").lower())
    return name if not name[0].isdigit() else f"c_{name}"


def write_lammps_dump(df: pd.DataFrame, cell: np.ndarray, path: str | os.PathLike, *,
                      origin: Sequence[float] = (0.0, 0.0, 0.0), timestep: int = 0) -> Path:
    """Write a LAMMPS text dump (one frame) of ``df`` atomically.

    ``df`` needs ``id, type, x, y, z``; every other column becomes one dump column (names
    via :func:`dump_name`, lower case; booleans as 0/1, categories as their integer codes, NaN as
    ``nan``). ``cell`` rows a, b, c (Å) must be LAMMPS-shaped (a ∥ x, b in the xy plane)
    for a triclinic box; an orthogonal cell is written as ``pp pp pp`` bounds.
    """
    cell = np.asarray(cell, dtype=float)
    o = np.asarray(origin, dtype=float)
    for c in ("id", "type", "x", "y", "z"):
        if c not in df:
            raise ValueError(f"dump needs column {c!r}")
    if np.abs(cell[np.triu_indices(3, 1)]).max() > 1e-9:
        raise ValueError("cell is not in LAMMPS form (a along x, b in the xy plane)")
    lx, ly, lz = cell[0, 0], cell[1, 1], cell[2, 2]
    xy, xz, yz = cell[1, 0], cell[2, 0], cell[2, 1]
    if max(abs(xy), abs(xz), abs(yz)) > 1e-12:
        xlo_b = o[0] + min(0.0, xy, xz, xy + xz)
        xhi_b = o[0] + lx + max(0.0, xy, xz, xy + xz)
        ylo_b, yhi_b = o[1] + min(0.0, yz), o[1] + ly + max(0.0, yz)
        bounds = (f"ITEM: BOX BOUNDS xy xz yz pp pp pp\n{xlo_b:.10g} {xhi_b:.10g} {xy:.10g}\n"
                  f"{ylo_b:.10g} {yhi_b:.10g} {xz:.10g}\n{o[2]:.10g} {o[2] + lz:.10g} {yz:.10g}\n")
    else:
        bounds = (f"ITEM: BOX BOUNDS pp pp pp\n{o[0]:.10g} {o[0] + lx:.10g}\n"
                  f"{o[1]:.10g} {o[1] + ly:.10g}\n{o[2]:.10g} {o[2] + lz:.10g}\n")
    out = pd.DataFrame(index=df.index)
    names = []
    for c in df.columns:
        col = df[c]
        if isinstance(col.dtype, pd.CategoricalDtype):
            col = col.cat.codes
        elif col.dtype == bool or col.dtype == object and set(col.dropna().unique()) <= {True, False}:
            col = col.astype("int64")
        elif not pd.api.types.is_numeric_dtype(col):
            raise ValueError(f"column {c!r} is not numeric ({col.dtype}); encode it first")
        name = dump_name(c) if c not in ("id", "type", "x", "y", "z") else c
        if name in names:
            raise ValueError(f"columns collide after renaming: {name!r}")
        names.append(name)
        out[name] = col.to_numpy()
    out = out.sort_values("id")
    head = (f"ITEM: TIMESTEP\n{timestep}\nITEM: NUMBER OF ATOMS\n{len(out)}\n{bounds}"
            f"ITEM: ATOMS {' '.join(names)}\n")
    ints = {n for n in names if pd.api.types.is_integer_dtype(out[n])}
    with atomic_path(path) as tmp:
        with open(tmp, "w") as fh:
            fh.write(head)
            fmt = " ".join("%d" if n in ints else "%.8g" for n in names)
            np.savetxt(fh, out.to_numpy(dtype=float), fmt=fmt)
    return Path(path)


def atom_properties(atoms: pd.DataFrame, *, labels: pd.DataFrame | None = None,
                    igd: pd.DataFrame | None = None, features: pd.DataFrame | None = None,
                    hessian: pd.DataFrame | None = None, dynamics: pd.DataFrame | None = None,
                    times_ps: Sequence[float] | None = None,
                    ) -> tuple[pd.DataFrame, dict[str, str]]:
    """Every per-atom property of one sample in one table (driver of rule ``ovito_dump``).

    ``atoms``: ``id, type, x, y, z`` (+ ``pe``) of the IS; the others (each optional, joined
    on ``id``, one row per atom checked): ``labels`` (ΔD²min per direction, strain at max,
    rearranged), ``igd`` (one sample's rows: label, igd, per-model decision values,
    train/test flags), ``features`` (G_, S2_, vmsd_, dQ_ …; adds ``dQ_mean``), ``hessian``
    (I_BP, participation fractions), ``dynamics`` (700 K moment table,
    :func:`igd.dynamics.tables.moment_table`; written as the origin-averaged squared
    displacement ``dr2_<t>ps`` at each lag of ``times_ps``). Returns ``(table, units)``; the table's ``id, type, x, y, z`` come first.
    """
    from igd.dynamics.tables import moments_from_table

    out = atoms.drop(columns=[c for c in ("element",) if c in atoms]).copy()
    units = {"id": "", "type": "", "x": "Å", "y": "Å", "z": "Å", "pe": "eV"}

    def join(df, rename=None, drop=()):
        nonlocal out
        df = df.drop(columns=[c for c in ("type", "sample", *drop) if c in df])
        if rename:
            df = df.rename(columns=rename)
        dup = [c for c in df.columns if c in out and c != "id"]
        df = df.drop(columns=dup)
        out = out.merge(df, on="id", how="left", validate="1:1")

    if labels is not None:
        lab = labels.copy()
        if "direction_at_max" in lab:
            lab["direction_at_max"] = pd.Categorical(
                lab["direction_at_max"], categories=["xy", "yz", "zx"]).codes
        join(lab, rename={"dd2min_max": "dd2min", "rearranged": "rearranged"})
        units.update({c: "Å^2" for c in out if c.startswith("dd2min")})
        units.update({"rearranged": "", "direction_at_max": "0 xy, 1 yz, 2 zx",
                      "strain_at_max": ""})
    if igd is not None:
        join(igd)
        units.update({c: "" for c in igd if c not in units})
    if features is not None:
        f = features.drop(columns=[c for c in ("label", "dd2min_max") if c in features])
        dq = [c for c in f if c.startswith("dQ_")]
        if dq:
            f = f.assign(dQ_mean=f[dq].mean(axis=1))
        join(f)
        units.update({c: ("Å^2" if c.startswith("vmsd_") else "eV" if c.startswith("dQ_")
                          else "") for c in f if c not in units})
    if hessian is not None:
        join(hessian)
        units.update({c: ("1/THz^3" if c == "I_BP" else "") for c in hessian
                      if c not in units})
    if dynamics is not None:
        ids, moments = moments_from_table(dynamics, q=float("nan"))  # only ⟨Δr²⟩ is used
        r2 = moments.r2
        t = np.asarray(times_ps if times_ps is not None else np.arange(r2.shape[1]), float)
        if t.size != r2.shape[1]:
            raise ValueError(f"{t.size} times for {r2.shape[1]} lag columns")
        cols = {f"dr2_{ti:g}ps": r2[:, k] for k, ti in enumerate(t)}
        join(pd.DataFrame({"id": ids, **cols}))
        units.update({c: "Å^2 (700 K)" for c in cols})
    for c in out.columns:
        units.setdefault(c, "")
    return out, units
