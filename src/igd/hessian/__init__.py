"""igd.hessian: stage 7, the Hessian of an inherent structure (VDOS, boson peak, I_BP)."""
