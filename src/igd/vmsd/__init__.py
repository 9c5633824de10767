"""igd.vmsd.md."""
