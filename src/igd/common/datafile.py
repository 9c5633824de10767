"""Read LAMMPS data files (atomic style) into arrays, without LAMMPS.

Lets every analysis work on the inherent structure from a plain file and lets tests
build systems by hand. A truncated or garbled file is an error naming the file and what
is missing, never a silently short array.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass
class Frame:
    """Atoms in a periodic box. ``cell`` rows are a, b, c (Å); arrays ordered by ``ids``."""

    ids: np.ndarray        # (N,) int, ascending
    types: np.ndarray      # (N,) int, 1-based LAMMPS types
    positions: np.ndarray  # (N, 3) Å
    cell: np.ndarray       # (3, 3) Å
    origin: np.ndarray     # (3,) Å
    masses: dict[int, float]

    @property
    def n_atoms(self) -> int:
        return int(self.ids.size)

    @property
    def volume(self) -> float:
        return float(abs(np.linalg.det(self.cell)))


class DataFileError(ValueError):
    """A LAMMPS data file that cannot be read as the workflow needs it."""


def read_lammps_data(path: str | os.PathLike) -> Frame:
    """Parse a LAMMPS ``write_data`` file of atom style ``atomic``."""
    path = Path(path)
    if not path.is_file():
        raise DataFileError(f"{path}: no such LAMMPS data file")
    lines = path.read_text().splitlines()
    n_atoms = None
    lo = np.zeros(3)
    hi = np.zeros(3)
    tilt = np.zeros(3)  # xy, xz, yz
    got = set()
    body = None
    for k, line in enumerate(lines[1:], start=1):
        s = line.split("#")[0].strip()
        if not s:
            continue
        words = s.split()
        if words[-1] == "atoms" and len(words) == 2:
            n_atoms = int(words[0])
        elif words[-2:] in (["xlo", "xhi"], ["ylo", "yhi"], ["zlo", "zhi"]):
            d = "xyz".index(words[-2][0])
            lo[d], hi[d] = float(words[0]), float(words[1])
            got.add(words[-2][0])
        elif words[-3:] == ["xy", "xz", "yz"]:
            tilt = np.array([float(w) for w in words[:3]])
        elif words[0][0].isalpha():
            body = k
            break
    if n_atoms is None or got != {"x", "y", "z"}:
        raise DataFileError(f"{path}: header lacks the atom count or box bounds")
    sections = _sections(lines, body or len(lines))
    if "Atoms" not in sections:
        raise DataFileError(f"{path}: no Atoms section")
    rows = sections["Atoms"]
    if len(rows) != n_atoms:
        raise DataFileError(f"{path}: header says {n_atoms} atoms, Atoms section has "
                            f"{len(rows)} (truncated file?)")
    try:
        table = np.array([[float(w) for w in r.split()[:5]] for r in rows])
    except ValueError as err:
        raise DataFileError(f"{path}: unreadable Atoms line ({err})") from None
    if table.shape[1] != 5:
        raise DataFileError(f"{path}: Atoms lines need 'id type x y z' (atom_style atomic)")
    n_vel = len(sections.get("Velocities", [])) if "Velocities" in sections else n_atoms
    if n_vel != n_atoms or any(len(r.split()) < 4 for r in sections.get("Velocities", [])):
        raise DataFileError(f"{path}: header says {n_atoms} atoms, Velocities section has "
                            f"{n_vel} complete lines (truncated file?)")
    order = np.argsort(table[:, 0], kind="stable")
    table = table[order]
    masses = {int(r.split()[0]): float(r.split()[1]) for r in sections.get("Masses", [])}
    lengths = hi - lo
    cell = np.array([[lengths[0], 0, 0], [tilt[0], lengths[1], 0], [tilt[1], tilt[2], lengths[2]]])
    return Frame(ids=table[:, 0].astype(np.int64), types=table[:, 1].astype(np.int64),
                 positions=table[:, 2:5].copy(), cell=cell, origin=lo.copy(), masses=masses)


def _sections(lines: list[str], start: int) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    name = None
    for line in lines[start:]:
        s = line.split("#")[0].strip()
        if not s:
            continue
        if s[0].isalpha():
            name = s.split()[0]
            out[name] = []
        elif name is not None:
            out[name].append(s)
    return out


def write_lammps_data(path: str | os.PathLike, frame: Frame, title: str = "igd") -> Path:
    """Write ``frame`` as a LAMMPS data file (atom_style atomic, ids renumbered 1 … N in
    the frame's order; a triclinic cell gets its tilt line). ``frame.masses``: type →
    amu. The inverse of :func:`read_lammps_data`, to 1e-12 Å."""
    hi = frame.origin + np.diag(frame.cell)
    lines = [title, "", f"{frame.n_atoms} atoms", f"{max(frame.masses)} atom types", ""]
    lines += [f"{frame.origin[k]:.12f} {hi[k]:.12f} {a}lo {a}hi" for k, a in enumerate("xyz")]
    xy, xz, yz = frame.cell[1, 0], frame.cell[2, 0], frame.cell[2, 1]
    if any((xy, xz, yz)):
        lines.append(f"{xy:.12f} {xz:.12f} {yz:.12f} xy xz yz")
    lines += ["", "Masses", ""] + [f"{t} {m}" for t, m in sorted(frame.masses.items())]
    lines += ["", "Atoms # atomic", ""]
    lines += [f"{i + 1} {int(t)} {x:.12f} {y:.12f} {z:.12f}"
              for i, (t, (x, y, z)) in enumerate(zip(frame.types, frame.positions))]
    Path(path).write_text("\n".join(lines) + "\n")
    return Path(path)
