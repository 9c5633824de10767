"""EAM potential files (setfl: ``eam/alloy`` and ``eam/fs``), read without LAMMPS.

One parser (:func:`read_setfl`) gives the raw tables; on it stand the cubic splines of the
analytic Hessian (:class:`EamFS`, LAMMPS' own interpolation) and the ranges of the pair
and density functions that size a carved ARTn region (:func:`eam_ranges`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class Setfl:
    """The tables of a setfl file as written (no interpolation).

    ``embed[a]`` F_a(ρ) on ρ = 0, drho, …; ``density[a]`` the density functions listed
    under element a (n_el of them for ``eam/fs``: that of an a atom at a b site, one for
    ``eam/alloy``) on r = 0, dr, …; ``z2r`` the pair functions r·φ_ab(r) in the file's
    order (a ≥ b, row by row: 11, 21, 22, 31, …).
    """

    elements: list[str]
    nrho: int
    drho: float
    nr: int
    dr: float
    cutoff: float
    embed: list[np.ndarray]
    density: list[list[np.ndarray]]
    z2r: list[np.ndarray]


def read_setfl(path: str | os.PathLike, fs: bool = True) -> Setfl:
    """Parse a setfl file (``fs`` True: ``eam/fs``, one density function per element
    pair; False: ``eam/alloy``). ValueError naming the file when the counts do not fit."""
    lines = Path(path).read_text().splitlines()
    try:
        header = lines[3].split()
        n_el = int(header[0])
        elements = header[1:1 + n_el]
        nrho, drho, nr, dr, cut = lines[4].split()[:5]
        nrho, nr, drho, dr, cut = int(nrho), int(nr), float(drho), float(dr), float(cut)
        tokens = " ".join(lines[5:]).split()
        pos = 0

        def take(k: int) -> np.ndarray:
            nonlocal pos
            out = np.asarray(tokens[pos:pos + k], dtype=float)
            if out.size != k:
                raise ValueError(f"{len(tokens)} values, fewer than needed")
            pos += k
            return out

        embed, density = [], []
        for _ in range(n_el):
            pos += 4                                   # Z, mass, a0, lattice
            embed.append(take(nrho))
            density.append([take(nr) for _ in range(n_el if fs else 1)])
        z2r = [take(nr) for _ in range(n_el * (n_el + 1) // 2)]
        if pos != len(tokens):
            raise ValueError(f"{len(tokens)} values, {pos} for {'eam/fs' if fs else 'eam/alloy'}")
    except (ValueError, IndexError) as err:
        style = "eam/fs" if fs else "eam/alloy"
        raise ValueError(f"{path}: not an {style} setfl file as expected ({err})") from None
    return Setfl(elements=elements, nrho=nrho, drho=drho, nr=nr, dr=dr, cutoff=cut,
                 embed=embed, density=density, z2r=z2r)


def eam_ranges(path: str | os.PathLike, pair_style: str = "eam/fs",
               tol: float = 1e-10) -> tuple[float, float]:
    """Ranges (Å) of an EAM setfl file (``eam/alloy`` or ``eam/fs``): the largest
    tabulated r at which any pair function r·φ(r), resp. any density function ρ(r), is
    non-zero (|value| > ``tol``). For the Mendelev CuZr file: 7.6 Å and 6.0 Å."""
    table = read_setfl(path, fs=pair_style.startswith("eam/fs"))
    r = np.arange(table.nr) * table.dr

    def reach(functions) -> float:
        out = 0.0
        for f in functions:
            nz = np.flatnonzero(np.abs(f) > tol)
            out = max(out, float(r[nz[-1]]) if nz.size else 0.0)
        return out

    return reach(table.z2r), reach(f for row in table.density for f in row)


@dataclass
class SplineTable:
    """A LAMMPS-style cubic spline on a uniform grid x_m = (m−1)·delta, m = 1 … n."""

    delta: float
    coeff: np.ndarray  # (n, 4): c3, c4, c5, c6 of ((c3 p + c4) p + c5) p + c6

    @classmethod
    def from_values(cls, f: np.ndarray, delta: float) -> "SplineTable":
        f = np.asarray(f, dtype=float)
        n = f.size
        s5 = np.empty(n)
        s5[0] = f[1] - f[0]
        s5[1] = 0.5 * (f[2] - f[0])
        s5[n - 2] = 0.5 * (f[n - 1] - f[n - 3])
        s5[n - 1] = f[n - 1] - f[n - 2]
        s5[2:n - 2] = ((f[0:n - 4] - f[4:n]) + 8.0 * (f[3:n - 1] - f[1:n - 3])) / 12.0
        s4 = np.zeros(n)
        s3 = np.zeros(n)
        df = f[1:] - f[:-1]
        s4[:-1] = 3.0 * df - 2.0 * s5[:-1] - s5[1:]
        s3[:-1] = s5[:-1] + s5[1:] - 2.0 * df
        return cls(delta=float(delta), coeff=np.stack([s3, s4, s5, f], axis=1))

    def __call__(self, x: np.ndarray, clamp_low: int = 0) -> tuple[np.ndarray, ...]:
        """(value, first, second derivative) at x, LAMMPS' index/clamping rules."""
        n = self.coeff.shape[0]
        p = np.asarray(x, dtype=float) / self.delta + 1.0
        m = np.minimum(p.astype(np.int64), n - 1)
        if clamp_low:
            m = np.maximum(m, clamp_low)
        p = np.minimum(p - m, 1.0)
        c3, c4, c5, c6 = self.coeff[m - 1].T
        val = ((c3 * p + c4) * p + c5) * p + c6
        d1 = ((3 * c3 * p + 2 * c4) * p + c5) / self.delta
        d2 = (6 * c3 * p + 2 * c4) / self.delta ** 2
        return val, d1, d2


@dataclass
class EamFS:
    """Splines of an EAM/FS (or setfl alloy) file: F_a(ρ), ρ_{a→b}(r), r·φ_ab(r)."""

    elements: list[str]
    cutoff: float
    rho_max: float
    embed: list[SplineTable]              # per element a
    density: list[list[SplineTable]]      # [a][b]: density of an a atom at a b site
    z2r: list[list[SplineTable]]          # [a][b] = [b][a]: r·φ_ab(r)

    @classmethod
    def read(cls, path: str | os.PathLike, fs: bool = True) -> "EamFS":
        t = read_setfl(path, fs=fs)
        n_el = len(t.elements)
        embed = [SplineTable.from_values(f, t.drho) for f in t.embed]
        density = []
        for row in t.density:
            splines = [SplineTable.from_values(f, t.dr) for f in row]
            density.append(splines if fs else splines * n_el)
        z2r = [[None] * n_el for _ in range(n_el)]
        k = 0
        for a in range(n_el):
            for b in range(a + 1):
                z2r[a][b] = z2r[b][a] = SplineTable.from_values(t.z2r[k], t.dr)
                k += 1
        return cls(elements=t.elements, cutoff=t.cutoff, rho_max=(t.nrho - 1) * t.drho,
                   embed=embed, density=density, z2r=z2r)
