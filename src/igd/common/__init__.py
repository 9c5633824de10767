"""igd.common."""
