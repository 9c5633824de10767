"""igd: the integrated glassy defect (IGD) of Cu50Zr50 metallic glass.

The science of the workflow as plain functions: glass preparation and analyses driven
through LAMMPS (``igd.common.lammps`` is the one place that starts it), descriptors computed from
positions and a periodic box, and the learning of the IGD. Snakemake glue lives in
``workflow/``; nothing here imports Snakemake.

Units are LAMMPS ``metal`` throughout: Å, eV, ps, amu, K, bar; frequencies in THz.
"""

__version__ = "0.1.0"
