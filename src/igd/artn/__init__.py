"""igd.artn.search."""
