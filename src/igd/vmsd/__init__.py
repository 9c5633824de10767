"""Stage 3 (PROTOCOL §3): vibrational MSD, the array core (msd) and the LAMMPS driver (md);
its figure (figures); rule tasks in tasks."""
