"""Atom snapshots rendered with OVITO (paper 001 Figs. 8a/b, 9a, 11a) and OVITO dumps.

* :func:`render_atoms` renders one set of atoms (positions, cell, per-atom RGB colours,
  radii) to a PNG with OVITO's software ray tracer (Tachyon). OVITO 3.17 needs a Vulkan
  loader and driver even for Tachyon (CPU: ``apt-get install libvulkan1
  mesa-vulkan-drivers``, lavapipe); when rendering is impossible :class:`RenderError`
  (a ``RuntimeError``) says so instead of leaving an empty picture.
* :func:`value_colors`, :func:`slab_mask`, :func:`corner_mask` prepare what is drawn.
* :func:`snapshot_figure` composes rendered panels with matplotlib (titles, colour bars
  with units); :func:`fig08_snapshots`, :func:`fig09a_igd_snapshot`,
  :func:`fig11a_snapshots` draw the paper's panels from one sample's per-atom table.
* :func:`atom_properties` (driver of rule ``ovito_dump``) joins every per-atom output of
  a sample into one table; :func:`write_lammps_dump` writes it as a LAMMPS text dump
  that ``ovito.io.import_file`` reads (one column per property).

Lengths in Å. Colours are RGB in [0, 1].
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from igd.common.io import atomic_path

log = logging.getLogger(__name__)

MISSING_VULKAN = (
    "OVITO could not render the atom snapshot: OVITO 3.17 needs a Vulkan loader and a "
    "Vulkan driver even for its software (Tachyon) renderer. On Debian/Ubuntu install the "
    "CPU driver with `apt-get install libvulkan1 mesa-vulkan-drivers` (lavapipe); in a "
    "container without system packages, skip the snapshot rules "
    "(results/figures/fig08_snapshots.png, fig09a_igd_snapshot.png, fig11a_snapshots.png)."
)

RADII: dict[int, float] = {1: 1.28, 2: 1.60}
"""Display radii (Å) per atom type: metallic radii of Cu (type 1) and Zr (type 2)."""


NAN_GREY = 0.3
"""Grey level of atoms without a value (e.g. no IGD after a failed ARTn search)."""


class RenderError(RuntimeError):
    """OVITO (or its Vulkan backend) cannot render here."""


# --------------------------------------------------------------------------- geometry

def wrap_positions(positions: np.ndarray, cell: np.ndarray,
                   origin: Sequence[float] = (0.0, 0.0, 0.0)) -> np.ndarray:
    """Positions wrapped into the periodic cell (rows of ``cell`` = a, b, c)."""
    cell = np.asarray(cell, dtype=float)
    frac = (np.asarray(positions, dtype=float) - np.asarray(origin)) @ np.linalg.inv(cell)
    return np.asarray(origin) + (frac - np.floor(frac)) @ cell


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


# --------------------------------------------------------------------------- OVITO

def _import_ovito():
    try:
        import ovito  # noqa: F401
        from ovito.data import DataCollection
        from ovito.pipeline import Pipeline, StaticSource
        from ovito.vis import TachyonRenderer, Viewport
    except Exception as err:                                     # noqa: BLE001
        raise RenderError(f"{MISSING_VULKAN}\nOVITO import failed: {err}") from err
    return DataCollection, Pipeline, StaticSource, TachyonRenderer, Viewport


def render_atoms(positions: np.ndarray, cell: np.ndarray, colors: np.ndarray,
                 path: str | os.PathLike, *, radii: np.ndarray | float = 1.0,
                 origin: Sequence[float] = (0.0, 0.0, 0.0),
                 overlay: Mapping[str, np.ndarray] | None = None,
                 camera_dir: Sequence[float] = (-1.0, -1.6, -0.9), ortho: bool = False,
                 size: tuple[int, int] = (800, 800), show_cell: bool = True,
                 background: Sequence[float] = (1.0, 1.0, 1.0)) -> Path:
    """Render atoms with OVITO's Tachyon ray tracer to the PNG ``path`` (atomically).

    ``positions`` (N, 3) Å, ``cell`` rows a, b, c (Å) with ``origin``, ``colors`` (N, 3)
    RGB, ``radii`` (Å, scalar or (N,)). ``overlay``: optional second set of spheres drawn
    on top (``positions``, ``colors``, ``radii``, optional ``transparency``), e.g. white
    markers of events over a slab (shift them toward the camera to keep them in front).
    ``camera_dir``: viewing direction; ``ortho``: orthographic projection (maps/slabs).
    Raises :class:`RenderError` (naming libvulkan1 / mesa-vulkan-drivers) when OVITO cannot
    render, or when the image comes out blank.
    """
    DataCollection, Pipeline, StaticSource, TachyonRenderer, Viewport = _import_ovito()
    positions = np.asarray(positions, dtype=float)
    n = len(positions)
    if n == 0:
        raise ValueError("no atoms to render")
    colors = np.asarray(colors, dtype=float)
    if colors.shape != (n, 3):
        raise ValueError(f"colors must have shape ({n}, 3), got {colors.shape}")

    def pipeline(pos, col, rad, transparency=None, cell_vis=False):
        dc = DataCollection()
        mat = np.zeros((3, 4))
        mat[:, :3] = np.asarray(cell, dtype=float).T
        mat[:, 3] = origin
        c = dc.create_cell(mat, pbc=(True, True, True))
        c.vis.enabled = cell_vis
        if cell_vis:
            c.vis.rendering_color = (0.2, 0.2, 0.2)
            c.vis.line_width = 0.15
        p = dc.create_particles(count=len(pos))
        p.create_property("Position", data=pos)
        p.create_property("Color", data=col)
        p.create_property("Radius", data=np.broadcast_to(np.asarray(rad, float), len(pos)))
        if transparency is not None:
            p.create_property("Transparency",
                              data=np.broadcast_to(np.asarray(transparency, float), len(pos)))
        pipe = Pipeline(source=StaticSource(data=dc))
        pipe.add_to_scene()
        return pipe

    pipes = []
    try:
        pipes.append(pipeline(positions, colors, radii, cell_vis=show_cell))
        if overlay is not None and len(overlay["positions"]):
            pipes.append(pipeline(np.asarray(overlay["positions"], float),
                                  np.asarray(overlay["colors"], float),
                                  overlay.get("radii", 0.5), overlay.get("transparency")))
        vp = Viewport(type=Viewport.Type.Ortho if ortho else Viewport.Type.Perspective,
                      camera_dir=tuple(camera_dir))
        vp.zoom_all(size=size)
        with atomic_path(path, suffix=".png") as tmp:
            vp.render_image(size=size, filename=str(tmp), background=tuple(background),
                            renderer=TachyonRenderer(antialiasing_samples=6))
            _check_not_blank(tmp)
    except RenderError:
        raise
    except Exception as err:                                     # noqa: BLE001
        raise RenderError(f"{MISSING_VULKAN}\nOVITO error: {err}") from err
    finally:
        for pipe in pipes:
            pipe.remove_from_scene()
    return Path(path)


def _check_not_blank(png: Path) -> None:
    import matplotlib.image as mpimg

    img = mpimg.imread(png)
    if img[..., :3].std() < 1e-3:
        raise RenderError(f"{MISSING_VULKAN}\nOVITO rendered a blank image ({png}).")


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
    pos = wrap_positions(atoms[["x", "y", "z"]].to_numpy(), cell, origin)
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
    pos = wrap_positions(atoms[["x", "y", "z"]].to_numpy(), cell, origin)
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
    pos = wrap_positions(atoms[["x", "y", "z"]].to_numpy(), cell, origin)
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


# --------------------------------------------------------------------------- dumps

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
    (I_BP, participation fractions), ``dynamics`` (700 K displacement table with
    ``dx_<k>``…; written as squared displacement ``dr2_<t>ps`` at each time of
    ``times_ps``). Returns ``(table, units)``; the table's ``id, type, x, y, z`` come first.
    """
    from igd.dynamics.md import displacements_from_table

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
        ids, disp = displacements_from_table(dynamics)
        t = np.asarray(times_ps if times_ps is not None else np.arange(disp.shape[1]), float)
        if t.size != disp.shape[1]:
            raise ValueError(f"{t.size} times for {disp.shape[1]} displacement columns")
        r2 = np.einsum("itd,itd->it", disp, disp)
        cols = {f"dr2_{ti:g}ps": r2[:, k] for k, ti in enumerate(t)}
        join(pd.DataFrame({"id": ids, **cols}))
        units.update({c: "Å^2 (700 K)" for c in cols})
    for c in out.columns:
        units.setdefault(c, "")
    return out, units
