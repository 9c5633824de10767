"""Tasks of stage 7 (PROTOCOL §7): one function per rule of ``workflow/rules/hessian.smk``."""

from __future__ import annotations

import numpy as np

from igd.common import lammps
from igd.common.datafile import read_lammps_data
from igd.common.io import read_metadata, read_table, write_table
from igd.common.job import Job
from igd.hessian.figures import debye_level_sound, fig05_vdos
from igd.hessian.stage import ATOM_VDOS_UNITS, boson_peak_stage


def hessian(job: Job) -> None:
    """Hessian, VDOS and per-atom I_BP of one IS (:func:`igd.hessian.stage.boson_peak_stage`:
    dense up to ``hessian.max_dense_atoms``, sparse KPM above).

    params ``hessian, n_atoms, potential, lammps``; input ``data``; outputs ``vdos, atoms,
    curves, atom_vdos``. Under MPI the dense route's 6N force calls run on all ranks;
    LAMMPS writes the matrix from rank 0, and only rank 0 reads and diagonalises it. The
    sparse route runs on rank 0 alone.
    """
    p = job.params
    h = p.hessian
    result = boson_peak_stage(job.input.data, potential=p.potential, params=h,
                              n_atoms=p.n_atoms, log_file=job.log, threads=job.threads,
                              suffix=p.lammps["suffix"], writes=job.ranks.writes)
    if result is None:          # MPI ranks > 0 (writes False)
        return
    vdos_df, atoms_df, units, diag = result
    curves = diag.pop("curves")
    per_atom = diag.pop("atom_vdos")
    params = {**h, "sample": job.wildcards.sample}
    prov = lammps.provenance(p.potential, rule=job.rule)
    write_table(vdos_df, job.output.vdos, units=units, params=params, provenance=prov,
                extra={"diagnostics": diag})
    write_table(atoms_df, job.output.atoms, units=units, params=params, provenance=prov,
                extra={"diagnostics": diag})
    write_table(curves, job.output.curves,
                units={**units, "g": "1/THz (N*g_i)", "g_over_nu2": "1/THz^3 (N*g_i/nu^2)"},
                params=params, provenance=prov)
    write_table(per_atom, job.output.atom_vdos, units=ATOM_VDOS_UNITS, params=params,
                provenance=prov)


def fig05(job: Job) -> None:
    """Paper Fig. 5: VDOS and reduced VDOS with the Debye level; a few single atoms.

    inputs ``vdos`` (one per sample), ``curves`` (first sample), ``data`` (the IS of every
    sample, for the number density of the sound-velocity Debye level); params ``samples,
    hessian``; output ``fig``. The Debye level is 3/ν_D³ from ``hessian.sound_velocities``
    (km/s) and the mean density (Å⁻³) if given, else a ν² fit in ``hessian.debye_window``.
    """
    h = job.params.hessian
    vdos = {s: read_table(f) for s, f in zip(job.params.samples, job.input.vdos)}
    if h["sound_velocities"]:
        c_t, c_l = h["sound_velocities"]
        frames = [read_lammps_data(f) for f in job.input.data]
        density = float(np.mean([fr.n_atoms / abs(np.linalg.det(fr.cell)) for fr in frames]))
        debye = debye_level_sound(density, c_t, c_l)
        label = f"c_T {c_t:g}, c_L {c_l:g} km/s, n {density:.4f} Å⁻³"
    else:
        debye, label = h["debye_window"], None
    # the band I_BP used in the first sample (whose atom curves are drawn): with
    # band_start auto it starts at half that sample's lowest non-zero mode
    band = read_metadata(job.input.vdos[0])["diagnostics"]["band_THz"]
    fig05_vdos(vdos, read_table(job.input.curves), debye=debye, debye_label=label,
               band=band, path=job.output.fig)
