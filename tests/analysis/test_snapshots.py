"""OVITO snapshots and dumps (igd.analysis.render, .snapshots, .atoms_dump): rendering, the
clear error, dump round trip."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

from conftest import assert_png
from igd.analysis import atoms_dump, render
from igd.analysis import snapshots as sn


def fcc_box(n: int = 2, a: float = 3.6):
    basis = np.array([[0, 0, 0], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5]])
    cells = np.array([[i, j, k] for i in range(n) for j in range(n) for k in range(n)])
    pos = a * (cells[:, None, :] + basis[None]).reshape(-1, 3)
    return pos, np.eye(3) * n * a


def test_render_fcc_box_coloured_by_x(tmp_path):
    pos, cell = fcc_box()
    rgb, norm = sn.value_colors(pos[:, 0], "viridis")
    out = render.render_atoms(pos, cell, rgb, tmp_path / "fcc.png", radii=1.0, size=(320, 240))
    assert_png(out)
    assert not list(tmp_path.glob(".fcc.png.*"))          # the atomic temp file is gone
    assert norm.vmin < norm.vmax


def test_render_error_names_vulkan_packages(tmp_path, monkeypatch):
    import ovito.vis

    def fail(*args, **kwargs):
        raise RuntimeError("Could not initialize the Vulkan graphics backend.")

    monkeypatch.setattr(ovito.vis.Viewport, "render_image", fail)
    pos, cell = fcc_box(1)
    with pytest.raises(RuntimeError, match="libvulkan1 mesa-vulkan-drivers") as err:
        render.render_atoms(pos, cell, np.ones((len(pos), 3)) * 0.5, tmp_path / "x.png",
                        size=(300, 300))
    assert isinstance(err.value, render.RenderError)
    assert "Vulkan graphics backend" in str(err.value)
    assert not (tmp_path / "x.png").exists()                # nothing drawn


def test_missing_ovito_module_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ovito.vis", None)     # import fails
    pos, cell = fcc_box(1)
    with pytest.raises(render.RenderError, match="mesa-vulkan-drivers"):
        render.render_atoms(pos, cell, np.zeros((len(pos), 3)), tmp_path / "x.png")


def test_blank_render_is_an_error(tmp_path, monkeypatch):
    import matplotlib.pyplot as plt
    import ovito.vis

    def blank(self, size, filename, **kwargs):
        plt.imsave(filename, np.ones((size[1], size[0], 3)))

    monkeypatch.setattr(ovito.vis.Viewport, "render_image", blank)
    pos, cell = fcc_box(1)
    with pytest.raises(render.RenderError, match="blank"):
        render.render_atoms(pos, cell, np.zeros((len(pos), 3)), tmp_path / "x.png",
                        size=(300, 300))
    assert not (tmp_path / "x.png").exists()


def test_slab_mask_is_periodic_and_exact():
    cell = np.eye(3) * 10.0
    z = np.array([0.2, 4.0, 5.0, 6.8, 9.9, 13.0])
    pos = np.column_stack([np.zeros_like(z), np.zeros_like(z), z])
    assert sn.slab_mask(pos, cell, 3.5).tolist() == [False, True, True, False, False, False]
    # a slab centred on the boundary takes atoms on both sides (and images)
    assert sn.slab_mask(pos, cell, 1.0, center=0.0).tolist() == [True, False, False, False,
                                                                  True, False]


def test_corner_mask_removes_one_octant():
    g = (np.arange(4) + 0.5) * 2.5
    pos = np.array(np.meshgrid(g, g, g, indexing="ij")).reshape(3, -1).T
    keep = sn.corner_mask(pos, np.eye(3) * 10.0, 0.125)
    assert keep.sum() == 64 - 8
    assert (pos[~keep] > 5).all()
    assert sn.corner_mask(pos, np.eye(3) * 10.0, 0.0).all()


def test_value_colors_nan_grey_and_log():
    rgb, norm = sn.value_colors(np.array([1e-3, 1e-2, 1e-1, np.nan]), "inferno", log=True)
    assert rgb.shape == (4, 3)
    assert np.allclose(rgb[3], sn.NAN_GREY)
    assert norm(1e-2) == pytest.approx(0.5, abs=0.05)


def test_fig09a_snapshot_png(tmp_path):
    pos, cell = fcc_box(3)
    df = pd.DataFrame({"type": np.arange(len(pos)) % 2 + 1, "x": pos[:, 0], "y": pos[:, 1],
                       "z": pos[:, 2], "igd": np.sin(pos[:, 0] / 3.0)})
    df.loc[0, "igd"] = np.nan
    sn.fig09a_igd_snapshot(df, cell, tmp_path / "f.png", size=300, sample="t")
    assert_png(tmp_path / "f.png")


def test_dump_round_trip_through_ovito(tmp_path):
    from ovito.io import import_file

    pos, cell = fcc_box()
    n = len(pos)
    df = pd.DataFrame({"id": np.arange(n, 0, -1), "type": np.arange(n) % 2 + 1,
                       "x": pos[:, 0], "y": pos[:, 1], "z": pos[:, 2],
                       "igd": np.linspace(-1, 1, n), "label": np.where(np.arange(n) % 3, -1, 1),
                       "rearranged": np.arange(n) % 3 == 0, "G_1.5": np.arange(n) * 0.5,
                       "dd2min": np.full(n, 1e-4), "I_BP": np.arange(n) * 1e-3})
    df.loc[1, "igd"] = np.nan
    path = atoms_dump.write_lammps_dump(df, cell, tmp_path / "atoms.dump",
                                        origin=(-1.0, 0.0, 0.0))
    data = import_file(str(path)).compute()
    p = data.particles
    assert p.count == n
    names = set(p.keys())
    assert {"Position", "Particle Identifier", "Particle Type", "igd", "label", "rearranged",
            "g_1p5", "dd2min"} <= names
    order = np.argsort(p["Particle Identifier"][...])
    ref = df.sort_values("id")
    assert np.allclose(p["Position"][...][order], ref[["x", "y", "z"]].to_numpy())
    igd = p["igd"][...][order]
    assert np.isnan(igd[ref["igd"].isna().to_numpy()]).all()
    assert np.allclose(igd[~ref["igd"].isna().to_numpy()], ref["igd"].dropna())
    assert np.array_equal(p["label"][...][order], ref["label"])
    assert np.array_equal(p["rearranged"][...][order], ref["rearranged"].astype(int))
    assert np.allclose(p["g_1p5"][...][order], ref["G_1.5"])
    assert np.allclose(p["i_bp"][...][order], ref["I_BP"])
    assert np.allclose(data.cell[...][:, :3], cell)
    assert np.allclose(data.cell[...][:, 3], [-1.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="collide"):
        atoms_dump.write_lammps_dump(df.assign(i_bp=1.0), cell, tmp_path / "c.dump")


def test_dump_triclinic_cell_round_trip(tmp_path):
    from ovito.io import import_file

    cell = np.array([[10.0, 0, 0], [2.0, 9.0, 0], [1.0, -1.5, 8.0]])
    frac = np.random.default_rng(0).random((20, 3))
    pos = frac @ cell
    df = pd.DataFrame({"id": np.arange(1, 21), "type": 1, "x": pos[:, 0], "y": pos[:, 1],
                       "z": pos[:, 2], "v": frac[:, 0]})
    dump = atoms_dump.write_lammps_dump(df, cell, tmp_path / "t.dump")
    data = import_file(str(dump)).compute()
    assert np.allclose(data.cell[...][:, :3], cell.T)
    with pytest.raises(ValueError, match="LAMMPS form"):
        atoms_dump.write_lammps_dump(df, cell.T, tmp_path / "bad.dump")


def test_atom_properties_joins_everything():
    ids = np.array([3, 1, 2])
    atoms = pd.DataFrame({"id": ids, "type": [1, 2, 1], "element": ["Cu", "Zr", "Cu"],
                          "x": [0.0, 1, 2], "y": 0.0, "z": 0.0, "pe": -4.0})
    labels = pd.DataFrame({"id": [1, 2, 3], "type": [2, 1, 1], "dd2min_max": [0.1, 0.01, 0.2],
                           "rearranged": [True, False, True],
                           "direction_at_max": ["xy", "zx", "yz"]})
    igd = pd.DataFrame({"sample": "s0", "id": [2, 3, 1], "label": [-1, 1, 1],
                        "igd": [np.nan, 0.5, 1.0]})
    feats = pd.DataFrame({"id": [1, 2, 3], "type": [2, 1, 1], "label": [1, -1, 1],
                          "G_1.5": 1.0, "vmsd_025K": 0.01, "dQ_01": [1.0, 2, 3],
                          "dQ_02": [3.0, 4, 5]})
    hess = pd.DataFrame({"id": [1, 2, 3], "type": [2, 1, 1], "I_BP": [0.1, 0.2, 0.3]})
    disp = np.zeros((3, 2, 3))
    disp[:, 1, 0] = [1.0, 2.0, 3.0]                         # ids 1, 2, 3 (table order)
    from igd.dynamics.correlators import Moments
    from igd.dynamics.tables import moment_table
    dyn, _ = moment_table(np.array([1, 2, 3]), np.array([2, 1, 1]),
                          Moments.from_displacements(disp, 2.7))
    table, units = atoms_dump.atom_properties(atoms, labels=labels, igd=igd, features=feats,
                                              hessian=hess, dynamics=dyn,
                                              times_ps=[0.01, 1.0])
    t = table.set_index("id")
    assert list(table.columns[:5]) == ["id", "type", "x", "y", "z"]
    assert t.loc[1, "dd2min"] == 0.1 and t.loc[3, "direction_at_max"] == 1
    assert t.loc[1, "dQ_mean"] == 2.0 and t.loc[3, "dQ_mean"] == 4.0
    assert np.isnan(t.loc[2, "igd"]) and t.loc[1, "igd"] == 1.0
    assert t.loc[2, "dr2_1ps"] == 4.0 and t.loc[3, "dr2_0.01ps"] == 0.0
    assert t.loc[3, "I_BP"] == 0.3 and "label" in t and "element" not in t
    assert units["dr2_1ps"].startswith("Å^2") and units["I_BP"] == "1/THz^3"
    assert units["dQ_mean"] == "eV" and units["vmsd_025K"] == "Å^2"
