"""Stage 10 (PROTOCOL §10, beyond the paper): the companion papers' per-atom descriptors and
one leaderboard scoring them with the IGD.

voronoi (cells, index, f5, a_i) · flexibility (v_flex) · entropy (S_voro along the 700 K
run) · sf (radial features, SVR, SF) · local (per-sample driver) · per_atom (the scored
table) · catalogue (what is scored, with which sign) · scoring (r, ρ, AUC, χ) ·
leaderboard (the board, its Markdown) · figures · tasks (one function per rule).
"""
