"""A glass from a structure file (a samples-sheet row whose source is a file): read it,
map its elements onto the potential's atom types, and check it is usable, before any job.

Read: a LAMMPS data file (atom_style atomic; suffix .data / .lmp / .lammps or a name
starting with ``data.``), type k = ``potential.elements[k-1]``, its Masses, any ``Atom
Type Labels`` section and any ``# Element`` comments on the Masses lines checked against
the potential; or any other format OVITO reads (extended XYZ, POSCAR, LAMMPS dump, …),
its particle type names mapped to the potential's elements. Checks
(:func:`check_frame`): at least one atom, no pair closer than :data:`MIN_DISTANCE`, and a
box wide enough for each cutoff that must not meet an atom's own image (the potential's
range; the ARTn local sphere when ``artn.search.local``). Each error says which.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from igd.common.datafile import DataFileError, Frame, read_lammps_data

MIN_DISTANCE = 1.5
"""Å. A pair closer than this is an overlap, not a glass (nearest Cu–Cu pairs of the
inherent structures sit at ≈ 2.2 Å): a unit or a format error."""
MASS_TOLERANCE = 0.01
"""amu: a Masses entry further from the potential's mass names another element."""
LAMMPS_SUFFIXES = (".data", ".lmp", ".lammps")


class GlassFileError(ValueError):
    """A structure file that cannot be a glass of this workflow (names file and problem)."""


def is_lammps_data(path: str | os.PathLike) -> bool:
    p = Path(path)
    return p.suffix in LAMMPS_SUFFIXES or p.name.startswith("data.")


def _type_names(path: Path) -> dict[int, str]:
    """Element names a LAMMPS data file gives its types: the ``Atom Type Labels`` section
    or ``# Name`` comments on the Masses lines (empty when it gives none)."""
    names: dict[int, str] = {}
    section = None
    for line in path.read_text().splitlines():
        s = line.strip()
        if not s:
            continue
        if s[0].isalpha():
            section = s.split("#")[0].strip()
            continue
        words = s.split("#")
        cells = words[0].split()
        if section == "Atom Type Labels" and len(cells) >= 2:
            names[int(cells[0])] = cells[1]
        elif section == "Masses" and len(words) > 1 and words[1].split():
            names.setdefault(int(cells[0]), words[1].split()[0])
    return names


def _read_lammps(path: Path, elements: Sequence[str], masses: Mapping[str, float]) -> Frame:
    try:
        frame = read_lammps_data(path)
    except (DataFileError, ValueError, IndexError) as err:
        raise GlassFileError(str(err) if str(path) in str(err) else f"{path}: {err}") from None
    bad = sorted(set(frame.types.tolist()) - set(range(1, len(elements) + 1)))
    if bad:
        raise GlassFileError(f"{path}: atom types {bad} beyond the potential's "
                             f"{len(elements)} elements {list(elements)}")
    for t, name in sorted(_type_names(path).items()):
        if t <= len(elements) and name != elements[t - 1]:
            raise GlassFileError(f"{path}: type {t} is named {name!r}, but type {t} of the "
                                 f"potential is {elements[t - 1]!r} (potential.elements)")
    for t, m in sorted(frame.masses.items()):
        if t <= len(elements) and abs(m - masses[elements[t - 1]]) > MASS_TOLERANCE:
            raise GlassFileError(f"{path}: type {t} has mass {m:g} amu, the potential's "
                                 f"{elements[t - 1]} has {masses[elements[t - 1]]:g} amu "
                                 "(types follow potential.elements)")
    return frame


def _lower_triangular(cell: np.ndarray, positions: np.ndarray,
                      origin: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The same crystal in LAMMPS' orientation (a along x, b in the xy plane): (cell rows,
    positions − origin rotated; N × 3, Å)."""
    q, r = np.linalg.qr(cell.T)
    signs = np.where(np.diag(r) < 0, -1.0, 1.0)
    q, r = q * signs, (r.T * signs).T
    return r.T, (positions - origin) @ q


def _read_ovito(path: Path, elements: Sequence[str], masses: Mapping[str, float]) -> Frame:
    try:
        from ovito.io import import_file  # noqa: PLC0415

        data = import_file(str(path)).compute()
    except Exception as err:  # OVITO raises RuntimeError with its message
        msg = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise GlassFileError(f"{path}: OVITO cannot read this file: {msg}") from None
    parts = data.particles
    if parts is None or parts.count == 0:
        raise GlassFileError(f"{path}: no atoms")
    if data.cell is None or not all(data.cell.pbc):
        raise GlassFileError(f"{path}: the glass needs a periodic cell in x, y and z")
    ptypes = parts.particle_types
    names = {t.id: t.name for t in ptypes.types} if ptypes is not None else {}
    codes = np.asarray(ptypes) if ptypes is not None else np.zeros(parts.count, int)
    unknown = sorted({names.get(int(c), str(int(c))) for c in codes} - set(elements))
    if unknown:
        raise GlassFileError(f"{path}: particle types {unknown} are not elements of the "
                             f"potential {list(elements)}")
    types = np.array([elements.index(names[int(c)]) + 1 for c in codes], dtype=np.int64)
    matrix = np.asarray(data.cell[...], dtype=float)
    cell, positions = _lower_triangular(matrix[:, :3].T, np.asarray(parts.positions, float),
                                        matrix[:, 3])
    return Frame(ids=np.arange(1, parts.count + 1), types=types, positions=positions,
                 cell=cell, origin=np.zeros(3),
                 masses={k + 1: float(masses[e]) for k, e in enumerate(elements)})


def read_glass_file(path: str | os.PathLike, elements: Sequence[str],
                    masses: Mapping[str, float]) -> Frame:
    """The atoms of ``path`` with LAMMPS types in the order of ``elements`` and the
    potential's ``masses`` (amu) for every type; ids renumbered 1 … N in id order."""
    path = Path(path)
    if not path.is_file():
        raise GlassFileError(f"{path}: no such file")
    reader = _read_lammps if is_lammps_data(path) else _read_ovito
    frame = reader(path, elements, masses)
    return Frame(ids=np.arange(1, frame.n_atoms + 1), types=frame.types,
                 positions=frame.positions, cell=frame.cell, origin=frame.origin,
                 masses={k + 1: float(masses[e]) for k, e in enumerate(elements)})


def image_cutoffs(config: Mapping[str, Any], root: str | os.PathLike = ".") -> dict[str, float]:
    """Cutoffs (Å) within which an atom must not meet its own periodic image: name →
    the smallest box width (between opposite faces) they need."""
    from igd.common.eam import eam_ranges  # noqa: PLC0415

    pot = config["potential"]
    out = {f"potential range ({pot['file']})":
           max(eam_ranges(Path(root) / pot["file"], pot["pair_style"]))}
    search = (config.get("artn") or {}).get("search") or {}
    if search.get("local"):
        radius = max(search.get("local_radius") or 0.0, search.get("local_refine_radius") or 0.0)
        out["artn.search.local_radius / local_refine_radius (× 2: the carved sphere)"] = 2 * radius
    return out


def check_frame(frame: Frame, path: str | os.PathLike, cutoffs: Mapping[str, float]) -> None:
    """Raise :class:`GlassFileError` for no atoms, a pair closer than
    :data:`MIN_DISTANCE`, or a box narrower than one of ``cutoffs`` (name → Å)."""
    from igd.common.neighbors import neighbor_pairs, perpendicular_widths  # noqa: PLC0415

    if frame.n_atoms == 0:
        raise GlassFileError(f"{path}: no atoms")
    if abs(np.linalg.det(frame.cell)) < 1e-9:
        raise GlassFileError(f"{path}: the cell has no volume")
    width = float(perpendicular_widths(frame.cell).min())
    for name, need in cutoffs.items():
        if width <= need:
            raise GlassFileError(f"{path}: box too small: its narrowest width {width:.2f} Å "
                                 f"is not above {need:.2f} Å, needed by the {name}, so an "
                                 "atom would meet its own periodic image")
    pairs = neighbor_pairs(frame.positions, frame.cell, MIN_DISTANCE, origin=frame.origin)
    if len(pairs):
        k = int(np.argmin(pairs.dist))
        i, j = int(frame.ids[pairs.i[k]]), int(frame.ids[pairs.j[k]])
        what = "its own image" if i == j else f"atom {j}"
        raise GlassFileError(f"{path}: atoms too close: atom {i} and {what} are "
                             f"{pairs.dist[k]:.3f} Å apart (< {MIN_DISTANCE} Å; "
                             f"{len(pairs) // 2} such pairs; units or a garbled file?)")


def check_source(path: str | os.PathLike, config: Mapping[str, Any],
                 root: str | os.PathLike = ".") -> Frame:
    """Read and check the structure file of a sheet row (:func:`read_glass_file`,
    :func:`check_frame`); returns its frame."""
    pot = config["potential"]
    frame = read_glass_file(path, pot["elements"], pot["masses"])
    check_frame(frame, path, image_cutoffs(config, root))
    return frame
