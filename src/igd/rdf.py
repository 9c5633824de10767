"""Total and partial radial distribution functions of a periodic configuration.

Own numpy code on the package's one neighbour search (``igd.neighbors``) rather than
OVITO's CoordinationAnalysisModifier: the same pairs serve the structural descriptors,
r_max may exceed half the box (all images counted), and the normalisation is explicit.
"""

from __future__ import annotations

from itertools import combinations_with_replacement

import numpy as np
import pandas as pd

from .neighbors import neighbor_pairs


def rdf(positions: np.ndarray, cell: np.ndarray, types: np.ndarray, elements: list[str], *,
        r_max: float, dr: float) -> pd.DataFrame:
    """g(r) and the partials g_ab(r) (a ≤ b in type order) on bins of width ``dr`` (Å).

    g_ab(r) = V / (N_a N_b) · n_ab(r) / (4π r² dr), n_ab the number of ordered pairs with
    i of type a and j of type b in the shell; the total uses all pairs and N².
    Column ``r`` is the bin centre.
    """
    types = np.asarray(types)
    volume = abs(np.linalg.det(cell))
    n = len(types)
    edges = np.arange(0.0, r_max + 0.5 * dr, dr)
    shell = 4.0 / 3.0 * np.pi * (edges[1:] ** 3 - edges[:-1] ** 3)
    pairs = neighbor_pairs(positions, cell, edges[-1])
    ti, tj = types[pairs.i], types[pairs.j]
    out = {"r": 0.5 * (edges[1:] + edges[:-1])}
    counts, _ = np.histogram(pairs.dist, bins=edges)
    out["g"] = volume / (n * n) * counts / shell
    for a, b in combinations_with_replacement(range(1, len(elements) + 1), 2):
        sel = (ti == a) & (tj == b)
        na, nb = np.count_nonzero(types == a), np.count_nonzero(types == b)
        c, _ = np.histogram(pairs.dist[sel], bins=edges)
        g = volume / (na * nb) * c / shell if na and nb else np.zeros_like(shell)
        out[f"g_{elements[a - 1]}{elements[b - 1]}"] = g
    return pd.DataFrame(out)


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
