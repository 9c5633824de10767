"""igd.labels."""
