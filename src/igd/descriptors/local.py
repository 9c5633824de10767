"""Per-atom descriptors of the companion papers (PROTOCOL §10, papers 002–004).

All pure functions of positions, a periodic cell and per-atom arrays (the Voronoi
tessellation is OVITO's ``VoronoiAnalysisModifier``, imported lazily):

=================== ============================================================ ======
column              meaning                                                       unit
=================== ============================================================ ======
``voro_volume``     Voronoi volume Ω_i of the inherent structure (IS)             Å³
``a_nn``            a_i of paper 002: mean distance to the Voronoi neighbours     Å
``vflex_002``       v_flex,i = vMSD_i(T) · a_i (paper 002, Eq. 1)                 Å³
``vflex_004``       v_flex,i = vMSD_i(T) / a_i² · Ω_i, a_i = Ω_i^{1/3} (paper 004) Å³
``p_1pct``          participation in the lowest 1 % of modes (002; Hessian stage) —
``p_025pct``        participation in the lowest 0.25 % of modes (004)             —
``SF``              structural flexibility ωᵀx_i (paper 002; :func:`fit_sf`)      —
``S_voro``          time-relevant Shannon entropy of the Voronoi index (003)      —
``n_voro_states``   distinct ⟨n3,n4,n5,n6⟩ visited along the 700 K run            —
``f5``              local five-fold symmetry n5 / Σ_k n_k of the IS cell (004)    —
``n3 … n6``         Voronoi index of the IS                                       —
``S2_<rc>``         two-body excess entropy at paper 004's cutoffs                k_B
=================== ============================================================ ======

Notes on the forms. With a_i = Ω_i^{1/3} the two published forms are algebraically the
same number (Ω/a² = a); paper 002 (after Ding et al. 2016) calls a_i the *interatomic
distance*, which we take as the mean distance to the atom's Voronoi neighbours (faces
above the configured area thresholds), so the two columns differ.

Time-relevant entropy (paper 003, Eq. 2): S_i(t) = −Σ_j P_i^j(t) ln P_i^j(t), P_i^j(t) the
fraction of the run up to t that atom i spent with Voronoi index j. Our dynamics stage
stores displacements on a log-spaced time grid, so each frame k carries a weight: the time
interval it represents, t_k − t_{k−1} (``weights="time"``, default; our choice, which
makes P a fraction of *time* as in the paper's uniformly sampled run) or 1 (``"frame"``).
The positions of frame k are rebuilt exactly from the IS and the unwrapped displacement
(:func:`trajectory_frames`).
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy.special import xlogy

from igd.common.neighbors import neighbor_pairs, wrap

log = logging.getLogger(__name__)

VORONOI_ORDERS = (3, 4, 5, 6)
"""Face orders of the Voronoi index ⟨n3, n4, n5, n6⟩."""

PAPER004_S2_CUTOFFS = (3.9, 6.4, 8.8, 11.2)
"""Å, the four cutoffs of S2 in paper 004 (1st–4th troughs of g(r))."""

UNITS: dict[str, str] = {
    "id": "", "type": "", "voro_volume": "Angstrom^3", "a_nn": "Angstrom",
    "a_voro": "Angstrom", "vmsd": "Angstrom^2", "vflex_002": "Angstrom^3",
    "vflex_004": "Angstrom^3", "p_1pct": "", "p_025pct": "", "SF": "",
    "ln_vflex": "", "S_voro": "", "n_voro_states": "", "f5": "", "n3": "", "n4": "",
    "n5": "", "n6": "", "coordination": "",
}


# --------------------------------------------------------------------------- Voronoi

@dataclass
class VoronoiCells:
    """OVITO Voronoi tessellation of one periodic configuration (arrays in input order)."""

    volume: np.ndarray        # (N,) Å³
    index: np.ndarray         # (N, K) int: index[i, k] = number of (k+1)-edged faces
    bond_i: np.ndarray        # (M,) the two atoms sharing each face (one row per face)
    bond_j: np.ndarray
    bond_dist: np.ndarray     # (M,) Å, distance between them (periodic image of the face)

    @property
    def coordination(self) -> np.ndarray:
        return self.index.sum(axis=1)


def voronoi_cells(positions: np.ndarray, cell: np.ndarray, origin=(0.0, 0.0, 0.0), *,
                  edge_threshold: float = 0.0, face_threshold: float = 0.0,
                  relative_face_threshold: float = 0.0, bonds: bool = True) -> VoronoiCells:
    """Voronoi cells of atoms at ``positions`` (Å) in the periodic ``cell`` (rows a, b, c).

    Thresholds as OVITO's: edges shorter than ``edge_threshold`` (Å) are not counted in
    the face orders, faces smaller than ``face_threshold`` (Å²) or than
    ``relative_face_threshold`` × the cell's total face area are dropped (indices and
    neighbours). ``bonds``: also return one (i, j, |r_ij|) row per face.
    """
    from ovito.data import DataCollection, Particles, SimulationCell
    from ovito.modifiers import VoronoiAnalysisModifier

    pos = np.ascontiguousarray(positions, dtype=float)
    cell = np.asarray(cell, dtype=float)
    origin = np.asarray(origin, dtype=float)
    mat = np.zeros((3, 4))
    mat[:, :3] = cell.T                     # OVITO: columns are the cell vectors
    mat[:, 3] = origin
    dc = DataCollection()
    sc = SimulationCell(pbc=(True, True, True))
    sc[...] = mat
    dc.objects.append(sc)
    particles = Particles()
    particles.create_property("Position", data=wrap(pos, cell, origin))
    dc.objects.append(particles)
    dc.apply(VoronoiAnalysisModifier(
        compute_indices=True, generate_bonds=bonds, edge_threshold=edge_threshold,
        face_threshold=face_threshold, relative_face_threshold=relative_face_threshold))
    p = dc.particles
    volume = np.array(p["Atomic Volume"], dtype=float)
    index = np.array(p["Voronoi Index"], dtype=np.int64)
    if bonds and p.bonds is not None and p.bonds.count:
        top = np.array(p.bonds.topology, dtype=np.int64)
        img = np.array(p.bonds["Periodic Image"], dtype=float)
        wpos = np.array(p["Position"], dtype=float)
        vec = wpos[top[:, 1]] - wpos[top[:, 0]] + img @ cell
        bi, bj, bd = top[:, 0], top[:, 1], np.linalg.norm(vec, axis=1)
    else:
        bi = bj = np.zeros(0, dtype=np.int64)
        bd = np.zeros(0)
    return VoronoiCells(volume=volume, index=index, bond_i=bi, bond_j=bj, bond_dist=bd)


def face_count(index: np.ndarray, order: int) -> np.ndarray:
    """Number of ``order``-edged faces per atom from OVITO's ``Voronoi Index`` array.

    OVITO 3.17 stores the faces with k edges in column k − 1 (checked in the tests: a
    bcc cell gives 6 in column 3 and 8 in column 5 — 6 squares, 8 hexagons).
    """
    index = np.asarray(index)
    if 1 <= order <= index.shape[1]:
        return index[:, order - 1].astype(np.int64)
    return np.zeros(index.shape[0], dtype=np.int64)


def voronoi_index(index: np.ndarray, orders: Sequence[int] = VORONOI_ORDERS) -> np.ndarray:
    """⟨n3, n4, n5, n6⟩ (or ``orders``) from an OVITO index array (N, K) → (N, 4)."""
    return np.column_stack([face_count(index, k) for k in orders])


def five_fold_fraction(index: np.ndarray) -> np.ndarray:
    """Local five-fold symmetry f5_i = n5 / Σ_k n_k (fraction of pentagonal faces)."""
    index = np.asarray(index, dtype=float)
    total = index.sum(axis=1)
    n5 = face_count(index, 5)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, n5 / total, np.nan)


def mean_neighbor_distance(n_atoms: int, bond_i: np.ndarray, bond_j: np.ndarray,
                           bond_dist: np.ndarray) -> np.ndarray:
    """Mean distance (Å) of each atom to its Voronoi neighbours (each face counts once
    for both atoms); NaN for an atom without neighbours."""
    cnt = np.bincount(bond_i, minlength=n_atoms) + np.bincount(bond_j, minlength=n_atoms)
    tot = (np.bincount(bond_i, weights=bond_dist, minlength=n_atoms)
           + np.bincount(bond_j, weights=bond_dist, minlength=n_atoms))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(cnt > 0, tot / np.maximum(cnt, 1), np.nan)


# --------------------------------------------------------------------------- v_flex

def flexibility_volume(vmsd: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Paper 002, Eq. 1: v_flex,i = ⟨Δr²⟩_i · a_i (Å² × Å = Å³)."""
    return np.asarray(vmsd, dtype=float) * np.asarray(a, dtype=float)


def flexibility_volume_voronoi(vmsd: np.ndarray, volume: np.ndarray) -> np.ndarray:
    """Paper 004, Eq. 2: v_flex,i = ⟨Δr²⟩_i / a_i² · Ω_i with a_i = Ω_i^{1/3} (Å³)."""
    omega = np.asarray(volume, dtype=float)
    return np.asarray(vmsd, dtype=float) / np.cbrt(omega) ** 2 * omega


# --------------------------------------------------------------------------- entropy

def frame_weights(t: np.ndarray, scheme: str = "time") -> np.ndarray:
    """Weight of each frame of a run sampled at times ``t`` (ps, ascending, > 0).

    ``"time"``: t_k − t_{k−1} with t_{−1} = 0 (the interval each frame stands for);
    ``"frame"``: 1 each.
    """
    t = np.asarray(t, dtype=float)
    if scheme == "frame":
        return np.ones_like(t)
    if scheme != "time":
        raise ValueError(f"scheme must be 'time' or 'frame', got {scheme!r}")
    if t.size and (t[0] <= 0 or np.any(np.diff(t) <= 0)):
        raise ValueError("times must be positive and strictly ascending")
    return np.diff(np.concatenate([[0.0], t]))


def history_entropy(states: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Running Shannon entropy of per-atom state histories.

    ``states`` (N, K): an integer state (e.g. a coded Voronoi index) of each atom at each
    of K frames; ``weights`` (K,) ≥ 0 (default 1). Returns S (N, K) with
    S[i, k] = −Σ_j P_ij ln P_ij, P_ij the weighted fraction of frames 0…k in state j
    (nats; 0 for a constant history, ln 2 for two equally weighted states). Exact
    incremental update, O(N K).
    """
    states = np.asarray(states)
    if states.ndim != 2:
        raise ValueError("states must have shape (n_atoms, n_frames)")
    n, k = states.shape
    w = np.ones(k) if weights is None else np.asarray(weights, dtype=float)
    if w.shape != (k,) or np.any(w < 0):
        raise ValueError("weights must be (n_frames,) and non-negative")
    # one slot per distinct (atom, state) pair
    atom = np.repeat(np.arange(n), k)
    _, slot = np.unique(np.stack([atom, states.reshape(-1)]), axis=1, return_inverse=True)
    slot = slot.reshape(n, k)
    counts = np.zeros(slot.max() + 1 if slot.size else 0)
    clogc = np.zeros(n)
    out = np.zeros((n, k))
    total = 0.0
    for f in range(k):
        s = slot[:, f]
        old = counts[s]
        new = old + w[f]
        counts[s] = new                 # slots are distinct across atoms within a frame
        clogc += xlogy(new, new) - xlogy(old, old)
        total += w[f]
        out[:, f] = (math.log(total) - clogc / total) if total > 0 else 0.0
    return np.maximum(out, 0.0)         # round-off


def encode_index(index4: np.ndarray, base: int = 64) -> np.ndarray:
    """One integer per Voronoi index row ⟨n3, n4, n5, n6⟩ (each count < ``base``)."""
    index4 = np.asarray(index4, dtype=np.int64)
    if index4.size and index4.max() >= base:
        raise ValueError(f"a face count ≥ {base}: raise base")
    code = np.zeros(index4.shape[0], dtype=np.int64)
    for c in range(index4.shape[1]):
        code = code * base + index4[:, c]
    return code


def trajectory_frames(x0: np.ndarray, disp: np.ndarray, cell0: np.ndarray,
                      origin0: np.ndarray, volumes: np.ndarray | None = None):
    """Configurations of the 700 K run rebuilt from the IS and the displacements.

    ``x0`` (N, 3) unwrapped IS positions at t = 0 (Å; positions + image flags × cell),
    ``disp`` (N, K, 3) unwrapped displacements (Å), ``volumes`` (K,) box volume of each
    frame (Å³; isotropic NPT: the cell is scaled about its centre by (V_k/V_0)^{1/3}, as
    LAMMPS' ``fix npt iso`` remaps positions; None = fixed box). Yields
    ``(positions_k, cell_k, origin_k)``.
    """
    cell0 = np.asarray(cell0, dtype=float)
    origin0 = np.asarray(origin0, dtype=float)
    centre = origin0 + 0.5 * cell0.sum(axis=0)
    v0 = abs(np.linalg.det(cell0))
    for k in range(disp.shape[1]):
        s = 1.0 if volumes is None else float(np.cbrt(volumes[k] / v0))
        cell = cell0 * s
        origin = centre - 0.5 * cell.sum(axis=0)
        yield x0 + disp[:, k], cell, origin


def voronoi_entropy(x0: np.ndarray, disp: np.ndarray, t: np.ndarray, cell0: np.ndarray,
                    origin0: np.ndarray, volumes: np.ndarray | None = None, *,
                    weights: str = "time", edge_threshold: float = 0.0,
                    face_threshold: float = 0.0, relative_face_threshold: float = 0.0
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Time-relevant Voronoi-index entropy S_i(t_k) of paper 003 along a stored run.

    Inputs as in :func:`trajectory_frames`; ``t`` (K,) ps. Returns ``(S, n_states)``:
    S (N, K) running entropy (nats) and the number of distinct indices visited (N,).
    """
    codes = np.empty(disp.shape[:2], dtype=np.int64)
    t0 = time.perf_counter()
    last = t0
    k_total = disp.shape[1]
    for k, (pos, cell, origin) in enumerate(trajectory_frames(x0, disp, cell0, origin0,
                                                              volumes)):
        vc = voronoi_cells(pos, cell, origin, edge_threshold=edge_threshold,
                           face_threshold=face_threshold,
                           relative_face_threshold=relative_face_threshold, bonds=False)
        codes[:, k] = encode_index(voronoi_index(vc.index))
        now = time.perf_counter()
        if now - last > 10 or k == k_total - 1:
            rate = (k + 1) / (now - t0)
            log.info("Voronoi along the run: %d/%d frames, %.1f frames/s, ETA %.0f s",
                     k + 1, k_total, rate, (k_total - k - 1) / rate)
            last = now
    S = history_entropy(codes, frame_weights(t, weights))
    n_states = np.array([np.unique(row).size for row in codes])
    return S, n_states


# --------------------------------------------------------------------------- SF (SVR)

def species_radial_features(positions: np.ndarray, cell: np.ndarray, types: np.ndarray, *,
                            r_grid: Sequence[float], sigma: float, cutoff: float,
                            species: Sequence[int] = (1, 2), origin=(0.0, 0.0, 0.0)
                            ) -> np.ndarray:
    """Paper 002, Eq. 5 (real distances): G_i^β(r) = Σ_{j∈β, r_ij ≤ cutoff}
    exp[−(r − r_ij)² / 2σ²] for each species β and each r of ``r_grid`` (Å).

    Returns (N, len(species) · len(r_grid)), species-major (all r of species 1 first).
    """
    types = np.asarray(types)
    pairs = neighbor_pairs(positions, cell, cutoff, origin=origin)
    sp = np.searchsorted(np.asarray(species), types)
    n, ns, r = len(types), len(species), np.asarray(r_grid, dtype=float)
    key = pairs.i * ns + sp[pairs.j]
    out = np.empty((n, ns, r.size))
    for c, rr in enumerate(r):
        w = np.exp(-((rr - pairs.dist) ** 2) / (2.0 * sigma**2))
        out[:, :, c] = np.bincount(key, weights=w, minlength=n * ns).reshape(n, ns)
    return out.reshape(n, ns * r.size)


def radial_columns(r_grid: Sequence[float], elements: Sequence[str]) -> list[str]:
    """Names ``Gs_<element>_<r>`` of :func:`species_radial_features` columns."""
    return [f"Gs_{e}_{float(r):g}" for e in elements for r in r_grid]


def fit_sf(X: np.ndarray, y: np.ndarray, *, C: float = 1.0, epsilon: float = 0.0,
           tol: float = 1e-4, max_iter: int = 10000, seed: int = 0):
    """L2-regularised L2-loss linear SVR (paper 002, Eq. 7; LIBLINEAR via scikit-learn).

    Minimises ½ωᵀω + C Σ max(0, |y − ωᵀx| − ε)² with the bias as an extra constant
    feature b = 1 (regularised, as in the paper). Returns the fitted ``LinearSVR``;
    SF = ``model.predict(X)`` = ωᵀx.
    """
    from sklearn.svm import LinearSVR

    model = LinearSVR(loss="squared_epsilon_insensitive", C=C, epsilon=epsilon, tol=tol,
                      max_iter=max_iter, fit_intercept=True, intercept_scaling=1.0,
                      dual=True, random_state=seed)
    return model.fit(np.asarray(X, dtype=float), np.asarray(y, dtype=float))


def structural_flexibility(features: Mapping[str, np.ndarray], types: Mapping[str, np.ndarray],
                           ln_vflex: Mapping[str, np.ndarray], train_samples: Sequence[str],
                           *, species: Sequence[int] = (1, 2), C: float = 1.0,
                           epsilon: float = 0.0, tol: float = 1e-4, max_iter: int = 10000,
                           seed: int = 0) -> tuple[dict[str, np.ndarray], dict]:
    """SF_i = ωᵀx_i of every atom of every sample, one ω per species (paper 002).

    ``features`` {sample: (N, F) radial features}, ``types`` {sample: (N,)},
    ``ln_vflex`` {sample: (N,) ln v_flex (target)}; only atoms of ``train_samples`` with
    a finite target train. Returns ({sample: SF (N,)}, report) with, per species, ω, the
    bias and Pearson r of SF with ln v_flex on the training and the other samples.
    """
    sf = {s: np.full(len(t), np.nan) for s, t in types.items()}
    report: dict = {}
    test_samples = [s for s in features if s not in set(train_samples)]
    for sp in species:
        def rows(samples):
            X, y = [], []
            for s in samples:
                m = (np.asarray(types[s]) == sp) & np.isfinite(ln_vflex[s])
                X.append(features[s][m])
                y.append(np.asarray(ln_vflex[s])[m])
            return (np.concatenate(X), np.concatenate(y)) if X else (None, None)
        X, y = rows(train_samples)
        if X is None or len(y) < 2:
            report[str(sp)] = {"status": "no training atoms"}
            continue
        model = fit_sf(X, y, C=C, epsilon=epsilon, tol=tol, max_iter=max_iter, seed=seed)
        for s in features:
            m = np.asarray(types[s]) == sp
            if m.any():
                sf[s][m] = model.predict(features[s][m])
        r_train = float(np.corrcoef(model.predict(X), y)[0, 1])
        Xt, yt = rows(test_samples) if test_samples else (None, None)
        r_test = (float(np.corrcoef(model.predict(Xt), yt)[0, 1])
                  if Xt is not None and len(yt) > 1 else math.nan)
        report[str(sp)] = {"status": "ok", "n_train": int(len(y)),
                           "pearson_train": r_train, "pearson_test": r_test,
                           "omega": model.coef_.tolist(),
                           "bias": float(np.ravel(model.intercept_)[0])}
        log.info("SF species %s: %d training atoms, Pearson r(SF, ln v_flex) train %.3f, "
                 "test %.3f", sp, len(y), r_train, r_test)
    return sf, report


# --------------------------------------------------------------------------- driver

def read_image_flags(path) -> np.ndarray | None:
    """Image flags (N, 3) of a LAMMPS ``write_data`` file (atomic style), ordered by id;
    None if the Atoms lines carry none."""
    ids, flags = [], []
    with open(path) as fh:
        inside = False
        for line in fh:
            s = line.split("#")[0].strip()
            if not inside:
                inside = line.startswith("Atoms")
                continue
            if not s:
                if ids:
                    break
                continue
            w = s.split()
            if not w[0].lstrip("-").isdigit():
                break
            if len(w) < 8:
                return None
            ids.append(int(w[0]))
            flags.append([int(x) for x in w[5:8]])
    order = np.argsort(ids)
    return np.asarray(flags, dtype=np.int64)[order]


def local_descriptors(data_file, *, vmsd: pd.DataFrame, hessian_atoms: pd.DataFrame,
                      disp: np.ndarray | None = None, disp_ids: np.ndarray | None = None,
                      times: pd.DataFrame | None = None, s2_rcs: Sequence[float],
                      s2_sigma: float, s2_dr: float, kernel_truncate: float = 5.0,
                      radial_r: Sequence[float], radial_sigma: float, radial_cutoff: float,
                      elements: Sequence[str] = ("Cu", "Zr"), edge_threshold: float = 0.0,
                      face_threshold: float = 0.0, relative_face_threshold: float = 0.0,
                      entropy_weights: str = "time"
                      ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict[str, str]]:
    """Stage driver: every per-atom descriptor of one sample except SF.

    ``data_file`` the IS (LAMMPS data); ``vmsd`` table ``id, vmsd`` (Å², at the v_flex
    temperature); ``hessian_atoms`` ``id, p_1pct, p_025pct`` (passed through);
    ``disp`` (N, K, 3) Å displacements of the 700 K run for atoms ``disp_ids`` with
    ``times`` (``t`` ps, ``vol`` Å³) — None skips the entropy (NaN). S2 at ``s2_rcs`` (Å)
    with smearing ``s2_sigma`` and grid ``s2_dr`` (Å) as the structure stage. Radial
    features for SF on ``radial_r`` (Å), width ``radial_sigma``, cutoff ``radial_cutoff``.

    Returns ``(table, radial, entropy_t, units)``: ``table`` one row per atom by id
    (columns in the module docstring, with ``ln_vflex`` = ln vflex_002, the SF target);
    ``radial`` ``id, type, Gs_<el>_<r>…``; ``entropy_t`` ``t, S_mean, S_mean_<el>`` (the
    atom-averaged S(t)).
    """
    from igd.common.datafile import read_lammps_data
    from igd.structure.features import structure_features

    frame = read_lammps_data(data_file)
    ids, types = frame.ids, frame.types
    n = len(ids)
    t0 = time.perf_counter()
    vc = voronoi_cells(frame.positions, frame.cell, frame.origin,
                       edge_threshold=edge_threshold, face_threshold=face_threshold,
                       relative_face_threshold=relative_face_threshold)
    idx4 = voronoi_index(vc.index)
    table = pd.DataFrame({"id": ids, "type": types, "voro_volume": vc.volume,
                          "a_nn": mean_neighbor_distance(n, vc.bond_i, vc.bond_j,
                                                         vc.bond_dist),
                          "a_voro": np.cbrt(vc.volume),
                          "coordination": vc.coordination})
    for c, k in enumerate(VORONOI_ORDERS):
        table[f"n{k}"] = idx4[:, c]
    table["f5"] = five_fold_fraction(vc.index)
    log.info("Voronoi of the IS: %.2f s, volume sum %.1f of %.1f Å³",
             time.perf_counter() - t0, vc.volume.sum(), frame.volume)

    v = vmsd.set_index("id")["vmsd"].reindex(ids).to_numpy(dtype=float)
    table["vmsd"] = v
    table["vflex_002"] = flexibility_volume(v, table["a_nn"].to_numpy())
    table["vflex_004"] = flexibility_volume_voronoi(v, vc.volume)
    with np.errstate(divide="ignore", invalid="ignore"):
        table["ln_vflex"] = np.log(table["vflex_002"].to_numpy())
    h = hessian_atoms.set_index("id").reindex(ids)
    for col in ("p_1pct", "p_025pct"):
        table[col] = h[col].to_numpy(dtype=float) if col in h.columns else np.nan

    # S2 at paper 004's cutoffs, same estimator as the structure stage
    rcs = [float(x) for x in s2_rcs]
    s2 = structure_features(frame.positions, frame.cell, types, origin=frame.origin,
                            mus=[], L=1.0, g_cutoff=max(rcs) + kernel_truncate * s2_sigma,
                            s2_rcs=rcs, sigma=s2_sigma, dr=s2_dr,
                            kernel_truncate=kernel_truncate,
                            species=list(range(1, len(elements) + 1)))
    for c in s2.columns:
        table[c] = s2[c].to_numpy()

    # time-relevant Shannon entropy along the 700 K run
    entropy_t = pd.DataFrame({"t": [], "S_mean": []})
    table["S_voro"] = np.nan
    table["n_voro_states"] = np.nan
    if disp is not None and times is not None:
        order = pd.Series(np.arange(len(disp_ids)), index=disp_ids).reindex(ids).to_numpy()
        if np.isnan(order.astype(float)).any():
            raise ValueError("the dynamics table does not hold every atom of the IS")
        d = np.asarray(disp)[order.astype(np.int64)]
        img = read_image_flags(data_file)
        x0 = frame.positions + (img @ frame.cell if img is not None else 0.0)
        t = times["t"].to_numpy(dtype=float)
        vols = times["vol"].to_numpy(dtype=float) if "vol" in times else None
        S, n_states = voronoi_entropy(x0, d, t, frame.cell, frame.origin, vols,
                                      weights=entropy_weights,
                                      edge_threshold=edge_threshold,
                                      face_threshold=face_threshold,
                                      relative_face_threshold=relative_face_threshold)
        table["S_voro"] = S[:, -1]
        table["n_voro_states"] = n_states
        entropy_t = pd.DataFrame({"t": t, "S_mean": S.mean(axis=0)})
        for k, el in enumerate(elements, start=1):
            m = types == k
            entropy_t[f"S_mean_{el}"] = S[m].mean(axis=0) if m.any() else np.nan

    rad = species_radial_features(frame.positions, frame.cell, types, r_grid=radial_r,
                                  sigma=radial_sigma, cutoff=radial_cutoff,
                                  species=list(range(1, len(elements) + 1)),
                                  origin=frame.origin)
    radial = pd.DataFrame(rad, columns=radial_columns(radial_r, elements))
    radial.insert(0, "type", types)
    radial.insert(0, "id", ids)
    units = {**UNITS, **{c: "kB" for c in s2.columns}, **{c: "" for c in radial.columns},
             "t": "ps", **{c: "" for c in entropy_t.columns if c != "t"}}
    return table, radial, entropy_t, units


def s2_columns(rcs: Iterable[float]) -> list[str]:
    """Names ``S2_<rc>`` of the S2 columns (as :func:`igd.structure.features.s2_column`)."""
    from igd.structure.features import s2_column

    return [s2_column(float(x)) for x in rcs]


def add_structural_flexibility(local: Mapping[str, pd.DataFrame],
                               radial: Mapping[str, pd.DataFrame], *,
                               test_samples: Sequence[str], C: float = 1.0,
                               epsilon: float = 0.0, tol: float = 1e-4,
                               max_iter: int = 10000, seed: int = 0
                               ) -> tuple[dict[str, pd.DataFrame], dict]:
    """Stage driver: SF for every sample (:func:`structural_flexibility`), trained on the
    samples not in ``test_samples`` (the IGD split), target ``ln_vflex``.

    ``local`` {sample: table of :func:`local_descriptors`}, ``radial`` {sample: its radial
    features}. Returns ({sample: local table + ``SF``}, report for ``sf_model.json``).
    """
    train = [s for s in local if s not in set(test_samples)]
    if not train:
        raise ValueError("no training sample left for the SF regression")
    feats, types, target = {}, {}, {}
    for s, tab in local.items():
        rad = radial[s].set_index("id").reindex(tab["id"].to_numpy())
        cols = [c for c in rad.columns if c.startswith("Gs_")]
        feats[s] = rad[cols].to_numpy(dtype=float)
        types[s] = tab["type"].to_numpy()
        target[s] = tab["ln_vflex"].to_numpy(dtype=float)
    species = sorted({int(t) for ts in types.values() for t in np.unique(ts)})
    sf, report = structural_flexibility(feats, types, target, train, species=species, C=C,
                                        epsilon=epsilon, tol=tol, max_iter=max_iter,
                                        seed=seed)
    out = {}
    for s, tab in local.items():
        t = tab.copy()
        t["SF"] = sf[s]
        out[s] = t
    report = {"train_samples": train, "test_samples": list(test_samples),
              "feature_columns": cols, "by_species": report,
              "params": {"C": C, "epsilon": epsilon, "tol": tol, "max_iter": max_iter,
                         "seed": seed}}
    return out, report
