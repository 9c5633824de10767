"""igd.hessian."""
