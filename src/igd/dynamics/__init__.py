"""igd.dynamics.md."""
