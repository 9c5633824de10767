"""A glass from a structure file instead of the melt-quench (samples sheet rows whose
source is a file; rule import_glass).

The file is read and checked (:func:`igd.common.glassfile.check_source`: elements and
masses of the potential, no overlapping atoms, a box wide enough), converted once to a
LAMMPS data file (atom_style atomic, types in the order of potential.elements, ids 1 … N)
and minimised with the configured potential exactly as a quenched glass
(:func:`igd.glass.quench.relax_inherent`, glass.minimize, the max residual force checked
against fmax_tolerance). The outputs are those the glass stage gives the later stages:
the inherent structure (data file) and its per-atom table.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, Mapping

import pandas as pd

from igd.common import lammps as lmpmod
from igd.common.datafile import write_lammps_data
from igd.common.glassfile import check_source
from igd.glass.quench import relax_inherent


def import_glass(source: str | os.PathLike, data_out: str | os.PathLike, *,
                 config: Mapping[str, Any], log_file: str | os.PathLike | None = None,
                 threads: int = 1, root: str | os.PathLike = "."
                 ) -> tuple[pd.DataFrame, dict]:
    """Inherent structure of the glass in ``source`` written to ``data_out``.

    ``config``: the sections ``potential``, ``glass`` (its ``minimize``, ``barostat``,
    ``pressure``), ``lammps`` (``suffix``, ``neighbor_skin``) and, for the box checks,
    ``artn``. Returns (atoms, summary) as :func:`igd.glass.quench.relax_inherent`, the
    summary with ``source`` (the path) and ``n_atoms``. Raises
    :class:`igd.common.glassfile.GlassFileError` for an unusable file and
    :class:`igd.glass.quench.GlassError` when the minimum is not reached.
    """
    pot = config["potential"]
    frame = check_source(source, config, root)
    lmp = lmpmod.start_lammps(log_file, threads=threads, suffix=config["lammps"]["suffix"])
    try:
        with tempfile.TemporaryDirectory(dir=Path(data_out).parent) as tmp:
            converted = write_lammps_data(Path(tmp) / "converted.data", frame,
                                          title=f"converted from {source}")
            lmp.command("atom_modify map yes")
            lmpmod.load_structure(lmp, converted, pot, root=root,
                                  neighbor_skin=config["lammps"]["neighbor_skin"])
        lmp.commands_list(["neigh_modify every 1 delay 0 check yes",
                           "thermo_style custom step temp press vol pe fmax", "thermo 0"])
        atoms, summary = relax_inherent(lmp, data_out, glass=config["glass"],
                                        elements=pot["elements"], masses=pot["masses"])
    finally:
        lmp.close()
    summary.update(source=str(source), n_atoms=frame.n_atoms)
    return atoms, summary
