"""igd.glass.quench."""
