"""igd: the integrated glassy defect (IGD) of Cu50Zr50 metallic glass.

One subpackage per pipeline stage, in pipeline order (PROTOCOL §), each mirrored by
``workflow/rules/<stage>.smk`` and ``tests/<stage>/``, each with a ``tasks`` module that
holds one task function per rule (``task(job) -> None``, :mod:`igd.common.job`):

``glass``        1  melt–quench to the inherent structure, g(r)
``labels``       2  athermal quasi-static shear, ΔD²min, rearrangement labels
``vmsd``         3  vibrational MSD at 20 temperatures
``structure``    5  radial Gaussians G and two-body excess entropies S2
``artn``         4  ARTn activation energies (pure search, local region, LAMMPS forces)
``hessian``      7  Hessian, per-atom VDOS, boson peak, participation fractions
``dynamics``     8  the 700 K run: MSD, α2, F_s; S(q)
``learning``     6  feature tables, the IGD SVM and its ablations, metrics
``analysis``     9  C(r) and ξ, partial g(r), P(active), snapshots, transferability, figures
``descriptors`` 10  the companion papers' descriptors and the leaderboard

``common`` holds what the stages share: the one LAMMPS starter (``lammps``), MPI ranks
(``mpi``), the glue (``job``), Parquet I/O (``io``), config, provenance, logs, the cost
model (``cost``, ``rules``), the neighbour search and ``wrap`` (``neighbors``), the EAM
reader (``eam``), LAMMPS data files (``datafile``), plotting and system checks. Nothing
here imports Snakemake. Units are LAMMPS ``metal`` throughout: Å, eV, ps, amu, K, bar;
frequencies in THz.
"""

__version__ = "0.1.0"
