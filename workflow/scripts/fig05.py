"""Rule fig05: VDOS and reduced VDOS with the Debye level; a few single atoms (Fig. 5)."""

import numpy as np

from igd.common.datafile import read_lammps_data
from igd.hessian.figures import debye_level_sound, fig05_vdos
from igd.common.io import read_table
from igd.common.logs import setup

sm = snakemake  # noqa: F821
setup(sm.log[0])
h = sm.params.hessian
vdos = {s: read_table(f) for s, f in zip(sm.params.samples, sm.input.vdos)}
if h["sound_velocities"]:
    c_t, c_l = h["sound_velocities"]
    frames = [read_lammps_data(f) for f in sm.input.data]
    density = float(np.mean([fr.n_atoms / abs(np.linalg.det(fr.cell)) for fr in frames]))
    debye = debye_level_sound(density, c_t, c_l)
    label = f"c_T {c_t:g}, c_L {c_l:g} km/s, n {density:.4f} Å⁻³"
else:
    debye, label = h["debye_window"], None
fig05_vdos(vdos, read_table(sm.input.curves), debye=debye, debye_label=label,
           band=h["band"], path=sm.output[0])
