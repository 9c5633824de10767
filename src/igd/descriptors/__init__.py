"""igd.descriptors.local."""
