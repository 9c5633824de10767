"""Total and partial radial distribution functions of a periodic configuration.

Own numpy code on the package's one neighbour search (``igd.common.neighbors``) rather than
OVITO's CoordinationAnalysisModifier: the same pairs serve the structural descriptors,
r_max may exceed half the box (all images counted), and the normalisation is explicit.
"""

from __future__ import annotations

from itertools import combinations_with_replacement

import math
from typing import Mapping

import numpy as np
import pandas as pd

from igd.common.neighbors import neighbor_pairs


def rdf(positions: np.ndarray, cell: np.ndarray, types: np.ndarray, elements: list[str], *,
        r_max: float, dr: float) -> pd.DataFrame:
    """g(r) and the partials g_ab(r) (a ≤ b in type order) on bins of width ``dr`` (Å).

    g_ab(r) = V / (N_a N_b) · n_ab(r) / (4π r² dr), n_ab the number of ordered pairs with
    i of type a and j of type b in the shell; the total uses all pairs and N².
    Column ``r`` is the bin centre. The all-centres case of :func:`partial_rdf`.
    """
    names = {t: el for t, el in enumerate(elements, start=1)}
    full = partial_rdf(positions, cell, types, r_max, dr, type_names=names)
    keep = ["r", "g"] + [f"g_{elements[a - 1]}{elements[b - 1]}"
                         for a, b in combinations_with_replacement(range(1, len(elements) + 1), 2)]
    return full[keep].fillna(0.0)


def partial_rdf(positions: np.ndarray, cell: np.ndarray, types: np.ndarray,
                r_max: float, dr: float, *, centers: np.ndarray | None = None,
                type_names: Mapping[int, str] | None = None, origin=(0.0, 0.0, 0.0)
                ) -> pd.DataFrame:
    """Total and partial g(r) seen from a subset of centre atoms (all atoms by default).

    g_uv(r) = ⟨number of type-v neighbours in the shell [r, r+dr) of a type-u centre⟩ /
    (ρ_v · shell volume), with ρ_v the number density of type v over the whole cell.
    Centres: boolean mask or index array (e.g. the top 10 % IGD atoms, Fig. 10).
    Columns ``r`` (bin centre, Å), ``g`` (all centres, all neighbours) and ``g_<u><v>``
    for every ordered pair of type names (default ``{1: "Cu", 2: "Zr"}``).
    """
    types = np.asarray(types)
    n = types.size
    if centers is None:
        idx = np.arange(n)
    else:
        c = np.asarray(centers)
        idx = np.flatnonzero(c) if c.dtype == bool else c.astype(np.int64)
    if idx.size == 0:
        raise ValueError("no centre atoms")
    names = dict(type_names or {1: "Cu", 2: "Zr"})
    volume = abs(np.linalg.det(np.asarray(cell, dtype=float)))
    n_bins = int(math.ceil(r_max / dr - 1e-9))
    edges = np.arange(n_bins + 1) * dr
    shell = 4.0 / 3.0 * np.pi * (edges[1:] ** 3 - edges[:-1] ** 3)
    counts: dict[tuple[int, int], np.ndarray] = {}
    total = np.zeros(n_bins)
    for chunk in np.array_split(idx, max(1, idx.size // 2000)):
        p = neighbor_pairs(positions, cell, r_max, origin=origin, centers=chunk)
        b = (p.dist / dr).astype(np.int64)
        keep = b < n_bins
        b, ti, tj = b[keep], types[p.i[keep]], types[p.j[keep]]
        total += np.bincount(b, minlength=n_bins)
        for u in names:
            for v in names:
                m = (ti == u) & (tj == v)
                counts[(u, v)] = counts.get((u, v), 0) + np.bincount(b[m], minlength=n_bins)
    out = pd.DataFrame({"r": 0.5 * (edges[:-1] + edges[1:])})
    with np.errstate(invalid="ignore", divide="ignore"):
        out["g"] = total / (idx.size * n / volume * shell)
        for u in names:
            n_u = int((types[idx] == u).sum())
            for v in names:
                rho_v = (types == v).sum() / volume
                out[f"g_{names[u]}{names[v]}"] = counts[(u, v)] / (n_u * rho_v * shell)
    return out


def rdf_units(columns) -> dict[str, str]:
    return {c: ("Å" if c == "r" else "") for c in columns}


def first_peak_and_minimum(r: np.ndarray, g: np.ndarray, smooth: int = 5,
                           window: float = 1.6) -> tuple[float, float]:
    """Position (Å) of the first peak of g(r) and of the minimum that follows it.

    The peak is the maximum of g smoothed by a running mean over ``smooth`` bins (refined
    on the raw curve); the minimum is that of the smoothed curve between the peak and
    ``window`` × the peak position (for metallic glasses the first minimum lies near
    1.35 × the first peak, before the split second peak).
    """
    r = np.asarray(r, dtype=float)
    g = np.asarray(g, dtype=float)
    kernel = np.ones(smooth) / smooth
    gs = np.convolve(g, kernel, mode="same")
    ipk_s = int(np.argmax(gs))
    lo = max(0, ipk_s - smooth)
    ipk = lo + int(np.argmax(g[lo:ipk_s + smooth + 1]))   # refine on the raw curve
    stop = int(np.searchsorted(r, window * r[ipk], side="right"))
    seg = gs[ipk_s + 1:max(stop, ipk_s + 2)]
    imin = ipk_s + 1 + int(np.argmin(seg))
    return float(r[ipk]), float(r[imin])
