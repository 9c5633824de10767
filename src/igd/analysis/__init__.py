"""igd.analysis.correlation."""
