"""Atom snapshots of one sample (paper 001 Figs. 8a/b, 9a, 11a), rendered with OVITO.

* :func:`value_colors`, :func:`slab_mask`, :func:`corner_mask` prepare what is drawn;
  :func:`igd.analysis.render.render_atoms` renders it (OVITO Tachyon).
* :func:`snapshot_figure` composes rendered panels with matplotlib (titles, colour bars
  with units); :func:`fig08_snapshots`, :func:`fig09a_igd_snapshot`,
  :func:`fig11a_snapshots` draw the paper's panels from one sample's per-atom table.
* :func:`skipped_snapshot` draws, in place of a snapshot, a small figure saying the
  snapshots are switched off (``learning.analysis.snapshot.enabled: false``, e.g. no
  Vulkan loader for OVITO) and how to switch them on.

Lengths in Å. Colours are RGB in [0, 1].
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from igd.analysis.render import render_atoms
from igd.common.neighbors import wrap

RADII: dict[int, float] = {1: 1.28, 2: 1.60}
"""Display radii (Å) per atom type: metallic radii of Cu (type 1) and Zr (type 2)."""


NAN_GREY = 0.3
"""Grey level of atoms without a value (e.g. no IGD after a failed ARTn search)."""

SKIPPED = (
    "OVITO snapshots skipped (learning.analysis.snapshot.enabled: false).\n"
    "To draw them, install the Vulkan loader and a CPU Vulkan driver for OVITO:\n"
    "apt-get install libvulkan1 mesa-vulkan-drivers   (or run bin/setup as root),\n"
    "then set learning.analysis.snapshot.enabled: true and rerun rule snapshots."
)
"""What :func:`skipped_snapshot` says."""


# --------------------------------------------------------------------------- geometry

def slab_mask(positions: np.ndarray, cell: np.ndarray, thickness: float, *, axis: int = 2,
              center: float = 0.5, origin: Sequence[float] = (0.0, 0.0, 0.0)) -> np.ndarray:
    """Atoms in a periodic slab of ``thickness`` (Å) normal to cell vector ``axis``.

    The slab is centred at the fractional coordinate ``center`` along ``axis`` and measured
    along the plane normal (the cell's perpendicular width), so it is exact for triclinic
    cells too. Paper Fig. 8b: a slice of 3.5 Å.
    """
    cell = np.asarray(cell, dtype=float)
    frac = (np.asarray(positions, dtype=float) - np.asarray(origin)) @ np.linalg.inv(cell)
    normal = np.cross(cell[(axis + 1) % 3], cell[(axis + 2) % 3])
    width = abs(np.dot(cell[axis], normal)) / np.linalg.norm(normal)
    d = (frac[:, axis] - center + 0.5) % 1.0 - 0.5            # in [−0.5, 0.5)
    return np.abs(d) * width <= 0.5 * thickness


def corner_mask(positions: np.ndarray, cell: np.ndarray, fraction: float, *,
                origin: Sequence[float] = (0.0, 0.0, 0.0)) -> np.ndarray:
    """True for atoms *outside* the cubic corner (fractional coords all > 1 − fraction^(1/3)).

    Removing that corner (``fraction`` of the volume) shows the inside of the box, as in
    paper Fig. 9a. ``fraction`` = 0 keeps every atom.
    """
    if not 0 <= fraction < 1:
        raise ValueError(f"corner fraction must be in [0, 1), got {fraction}")
    frac = (np.asarray(positions, dtype=float) - np.asarray(origin)) @ np.linalg.inv(
        np.asarray(cell, dtype=float))
    frac = frac - np.floor(frac)
    edge = 1.0 - fraction ** (1.0 / 3.0)
    return ~(frac > edge).all(axis=1) if fraction > 0 else np.ones(len(frac), bool)


def value_colors(values: np.ndarray, cmap: str = "viridis", vmin: float | None = None,
                 vmax: float | None = None, log: bool = False) -> tuple[np.ndarray, Any]:
    """RGB colours (N, 3) of per-atom ``values`` and the matplotlib ``Normalize`` used.

    ``log``: logarithmic colour scale (values ≤ 0 are clipped to vmin). ``vmin``/``vmax``
    default to the 2nd / 98th percentile of the finite values. NaN → dark grey.
    """
    from matplotlib import colormaps, colors

    v = np.asarray(values, dtype=float)
    ok = np.isfinite(v) & ((v > 0) if log else True)
    if not ok.any():
        raise ValueError("no finite values to colour")
    lo = np.percentile(v[ok], 2) if vmin is None else vmin
    hi = np.percentile(v[ok], 98) if vmax is None else vmax
    if hi <= lo:
        hi = lo + (abs(lo) or 1.0) * 1e-6
    norm = colors.LogNorm(lo, hi, clip=True) if log else colors.Normalize(lo, hi, clip=True)
    rgb = np.full((v.size, 3), NAN_GREY)
    vv = np.where(ok, v, lo)
    rgb[ok] = colormaps[cmap](norm(vv[ok]))[:, :3]
    return rgb, norm


# --------------------------------------------------------------------------- figures

def snapshot_figure(panels: Sequence[Mapping[str, Any]], path: str | os.PathLike, *,
                    suptitle: str | None = None, panel_inches: float = 4.2) -> None:
    """Compose rendered PNGs side by side with matplotlib.

    Each panel: ``image`` (PNG path), ``title``, optional ``norm`` + ``cmap`` + ``label``
    (a colour bar with units), optional ``legend`` (list of (RGB, text)), ``note`` (text
    under the image).
    """
    import matplotlib.image as mpimg
    from matplotlib import cm
    from matplotlib.lines import Line2D

    from igd.common.plotting import plt, save

    fig, axes = plt.subplots(1, len(panels), figsize=(panel_inches * len(panels),
                                                      panel_inches + 0.9), squeeze=False)
    for ax, p in zip(axes[0], panels):
        ax.imshow(_crop(mpimg.imread(p["image"])))
        ax.set_axis_off()
        ax.set_title(p.get("title", ""), fontsize=10, pad=16 if p.get("note") else 6)
        if p.get("norm") is not None:
            sm = cm.ScalarMappable(norm=p["norm"], cmap=p.get("cmap", "viridis"))
            fig.colorbar(sm, ax=ax, orientation="horizontal", fraction=0.05, pad=0.03,
                         label=p.get("label", ""))
        if p.get("legend"):
            handles = [Line2D([], [], ls="none", marker="o", ms=8, mfc=c, mec="0.3",
                              label=t) for c, t in p["legend"]]
            ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.01),
                      ncol=1, fontsize=8, frameon=False)
        if p.get("note"):
            ax.text(0.5, 1.01, p["note"], transform=ax.transAxes, ha="center",
                    va="bottom", fontsize=7, color="0.3")
    if suptitle:
        fig.suptitle(suptitle, fontsize=11)
    save(fig, path)


def _crop(img: np.ndarray, pad: int = 8) -> np.ndarray:
    """The image without its uniform background margins (kept: ``pad`` pixels)."""
    rgb = img[..., :3]
    diff = np.abs(rgb - rgb[0, 0]).max(axis=2) > 0.02
    if not diff.any():
        return img
    rows, cols = np.flatnonzero(diff.any(axis=1)), np.flatnonzero(diff.any(axis=0))
    r0, r1 = max(0, rows[0] - pad), min(img.shape[0], rows[-1] + pad + 1)
    c0, c1 = max(0, cols[0] - pad), min(img.shape[1], cols[-1] + pad + 1)
    return img[r0:r1, c0:c1]


def _radii(types: np.ndarray, scale: float) -> np.ndarray:
    return scale * np.vectorize(lambda t: RADII.get(int(t), 1.4))(np.asarray(types))


def _slab_view(axis: int) -> tuple[float, float, float]:
    d = [0.0, 0.0, 0.0]
    d[axis] = -1.0
    return tuple(d)


def _shift(axis: int, amount: float) -> np.ndarray:
    s = np.zeros(3)
    s[axis] = amount
    return s


def fig08_snapshots(atoms: pd.DataFrame, cell: np.ndarray, path: str | os.PathLike, *,
                    origin: Sequence[float] = (0.0, 0.0, 0.0), slab: float = 3.5,
                    axis: int = 2, threshold: float | None = None, radius_scale: float = 0.9,
                    size: int = 800, sample: str = "") -> None:
    """Paper Fig. 8a, b for one sample.

    (a) 3-D view of the rearranged atoms (``label`` 1): purple if predicted rearranged
    (IGD > 0), orange if missed; the other atoms are left out. (b) A slab of ``slab`` Å
    normal to cell vector ``axis``: atoms coloured by ΔD²min (log scale, Å²), the atoms
    predicted active (IGD > 0) marked by small white spheres.
    ``atoms`` needs ``type, x, y, z, label, igd, dd2min``.
    """
    pos = wrap(atoms[["x", "y", "z"]].to_numpy(), cell, origin)
    types, label = atoms["type"].to_numpy(), atoms["label"].to_numpy() > 0
    igd = atoms["igd"].to_numpy(dtype=float)
    pred = igd > 0
    purple, orange = np.array([0.50, 0.15, 0.70]), np.array([1.0, 0.60, 0.10])
    grey = np.full(3, NAN_GREY)
    with tempfile.TemporaryDirectory() as tmp:
        img_a, img_b = Path(tmp, "a.png"), Path(tmp, "b.png")
        sel = label
        col = np.where(pred[sel, None], purple, orange)
        col[~np.isfinite(igd[sel])] = grey
        render_atoms(pos[sel], cell, col, img_a, radii=_radii(types[sel], radius_scale),
                     origin=origin, size=(size, size))
        m = slab_mask(pos, cell, slab, axis=axis, origin=origin)
        rgb, norm = value_colors(atoms["dd2min"].to_numpy()[m], "inferno", log=True)
        marks = m & pred
        render_atoms(pos[m], cell, rgb, img_b, radii=_radii(types[m], radius_scale),
                     origin=origin, ortho=True, camera_dir=_slab_view(axis),
                     size=(size, size),
                     overlay={"positions": pos[marks] + _shift(axis, 3.0),
                              "colors": np.ones((marks.sum(), 3)), "radii": 0.45})
        n_a = int(sel.sum())
        n_ok = int((sel & np.isfinite(igd)).sum())
        recall = 100.0 * (pred & label).sum() / max(1, n_ok)
        snapshot_figure([
            {"image": img_a,
             "title": f"(a) the {n_a} rearranged atoms: {recall:.0f} % predicted",
             "legend": [(purple, "rearranged, predicted (IGD > 0)"),
                        (orange, "rearranged, not predicted (IGD ≤ 0)")]
             + ([(grey, f"no IGD (failed ARTn): {n_a - n_ok}")] if n_a > n_ok else [])},
            {"image": img_b, "title": f"(b) ΔD²min in a {slab:g} Å slab ({int(m.sum())} atoms)",
             "norm": norm, "cmap": "inferno", "label": "ΔD²min (Å²)",
             "note": "white dots: predicted active (IGD > 0)"
                     + (f"; rearranged: ΔD²min > {threshold:g} Å²" if threshold else "")},
        ], path, suptitle=f"Prediction of athermal rearrangements, sample {sample}".strip())


def fig09a_igd_snapshot(atoms: pd.DataFrame, cell: np.ndarray, path: str | os.PathLike, *,
                        origin: Sequence[float] = (0.0, 0.0, 0.0), corner: float = 0.125,
                        radius_scale: float = 0.9, size: int = 800, sample: str = "") -> None:
    """Paper Fig. 9a: 3-D snapshot, atoms coloured by IGD (diverging colour map centred
    at 0), the cubic corner holding ``corner`` of the volume removed."""
    pos = wrap(atoms[["x", "y", "z"]].to_numpy(), cell, origin)
    igd = atoms["igd"].to_numpy()
    keep = corner_mask(pos, cell, corner, origin=origin)
    lim = float(np.nanpercentile(np.abs(igd), 98))
    rgb, norm = value_colors(igd[keep], "coolwarm", -lim, lim)
    with tempfile.TemporaryDirectory() as tmp:
        img = Path(tmp, "a.png")
        render_atoms(pos[keep], cell, rgb, img,
                     radii=_radii(atoms["type"].to_numpy()[keep], radius_scale),
                     origin=origin, camera_dir=(-1.0, -1.4, -1.0), size=(size, size))
        snapshot_figure([{"image": img, "title": f"(a) IGD, sample {sample}".strip(),
                          "norm": norm, "cmap": "coolwarm",
                          "label": "IGD (SVM decision value, dimensionless)",
                          "note": f"corner ({100 * corner:g} % of the box) removed; "
                                  "dark grey: no IGD (failed ARTn)"}],
                        path, panel_inches=5.0)


def fig11a_snapshots(atoms: pd.DataFrame, cell: np.ndarray, path: str | os.PathLike, *,
                     origin: Sequence[float] = (0.0, 0.0, 0.0), slab: float = 3.5,
                     axis: int = 2, threshold: float = 0.05, bubble_max: float = 1.2,
                     radius_scale: float = 0.9, size: int = 800, sample: str = "") -> None:
    """Paper Fig. 11a beside ΔD²min: two maps of the same ``slab`` (Å).

    Left: atoms coloured by IGD, white bubbles on the rearranged atoms (ΔD²min >
    ``threshold`` Å²) with radius ∝ √ΔD²min (largest ``bubble_max`` Å). Right: the same
    slab coloured by ΔD²min (log scale).
    """
    pos = wrap(atoms[["x", "y", "z"]].to_numpy(), cell, origin)
    types = atoms["type"].to_numpy()
    igd, dd = atoms["igd"].to_numpy(), atoms["dd2min"].to_numpy()
    m = slab_mask(pos, cell, slab, axis=axis, origin=origin)
    lim = float(np.nanpercentile(np.abs(igd), 98))
    rgb_i, norm_i = value_colors(igd[m], "coolwarm", -lim, lim)
    rgb_d, norm_d = value_colors(dd[m], "inferno", log=True)
    ev = m & (dd > threshold)
    r_ev = bubble_max * np.sqrt(dd[ev] / dd[ev].max()) if ev.any() else np.zeros(0)
    with tempfile.TemporaryDirectory() as tmp:
        img_i, img_d = Path(tmp, "i.png"), Path(tmp, "d.png")
        common = dict(radii=_radii(types[m], radius_scale), origin=origin, ortho=True,
                      camera_dir=_slab_view(axis), size=(size, size))
        render_atoms(pos[m], cell, rgb_i, img_i,
                     overlay={"positions": pos[ev] + _shift(axis, 3.0),
                              "colors": np.ones((ev.sum(), 3)), "radii": r_ev},
                     **common)
        render_atoms(pos[m], cell, rgb_d, img_d, **common)
        snapshot_figure([
            {"image": img_i, "title": f"(a) IGD in a {slab:g} Å slab", "norm": norm_i,
             "cmap": "coolwarm", "label": "IGD (dimensionless)",
             "note": f"white bubbles: ΔD²min > {threshold:g} Å², radius ∝ √ΔD²min "
                     f"({int(ev.sum())} atoms); dark grey: no IGD"},
            {"image": img_d, "title": "ΔD²min in the same slab", "norm": norm_d,
             "cmap": "inferno", "label": "ΔD²min (Å²)"},
        ], path, suptitle=f"IGD map and athermal events, sample {sample}".strip())


def skipped_snapshot(path: str | os.PathLike, title: str) -> None:
    """A small matplotlib PNG in place of the OVITO snapshot ``title``: the snapshots were
    skipped (``learning.analysis.snapshot.enabled: false``) and how to enable them
    (:data:`SKIPPED`)."""
    from igd.common.plotting import plt, save

    fig, ax = plt.subplots(figsize=(6.5, 3.0))
    ax.set(xticks=[], yticks=[], facecolor="0.95")
    ax.text(0.5, 0.62, title, ha="center", va="center", fontsize=11, transform=ax.transAxes)
    ax.text(0.5, 0.3, SKIPPED, ha="center", va="center", fontsize=8, color="0.2",
            transform=ax.transAxes)
    save(fig, path)
