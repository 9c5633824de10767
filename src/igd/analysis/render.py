"""Atoms rendered with OVITO's software ray tracer (Tachyon) to a PNG.

:func:`render_atoms` draws one set of atoms (positions, cell, per-atom RGB colours,
radii; optionally a second set of spheres on top). OVITO 3.17 needs a Vulkan loader and
driver even for Tachyon (CPU: ``apt-get install libvulkan1 mesa-vulkan-drivers``,
lavapipe); when rendering is impossible — OVITO not importable, its Vulkan backend
missing, or a blank picture — :class:`RenderError` (a ``RuntimeError``) says so
(:data:`MISSING_VULKAN`) instead of leaving an empty picture.

Lengths in Å. Colours are RGB in [0, 1].
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from igd.common.io import atomic_path

MISSING_VULKAN = (
    "OVITO could not render the atom snapshot: OVITO 3.17 needs a Vulkan loader and a "
    "Vulkan driver even for its software (Tachyon) renderer. On Debian/Ubuntu install the "
    "CPU driver with `apt-get install libvulkan1 mesa-vulkan-drivers` (lavapipe); in a "
    "container without system packages, switch the snapshots off with "
    "`learning.analysis.snapshot.enabled: false` in the config (the three PNGs, "
    "results/figures/fig08_snapshots.png, fig09a_igd_snapshot.png, fig11a_snapshots.png, "
    "then only say that they were skipped)."
)


class RenderError(RuntimeError):
    """OVITO (or its Vulkan backend) cannot render here."""


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
