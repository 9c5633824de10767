"""igd.structure.features."""
