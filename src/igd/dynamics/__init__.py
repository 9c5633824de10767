"""igd.dynamics: stage 8, the 700 K dynamics of an inherent structure and its S(q)."""
