"""Stage 4 (PROTOCOL §4): ARTn activation energies.

The search (:mod:`~igd.artn.search`) and its pieces: parameters (:mod:`~igd.artn.params`),
the force-provider interface (:mod:`~igd.artn.provider`), the minimum mode
(:mod:`~igd.artn.lanczos`), FIRE relaxation (:mod:`~igd.artn.relax`). On LAMMPS: the force
provider (:mod:`~igd.artn.lammps_forces`), the random start of an attempt
(:mod:`~igd.artn.perturb`), the per-atom driver (:mod:`~igd.artn.driver`), the local mode
(:mod:`~igd.artn.region`, :mod:`~igd.artn.carve`, :mod:`~igd.artn.boundary`), the output
tables (:mod:`~igd.artn.tables`), the figure (:mod:`~igd.artn.figures`) and the rules'
tasks (:mod:`~igd.artn.tasks`).
"""
