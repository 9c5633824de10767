"""The lowest Hessian eigenpair (minimum mode) by Lanczos on finite differences of forces."""

from __future__ import annotations

import numpy as np

from igd.artn.provider import ForceProvider


def lanczos_lowest(provider: ForceProvider, x: np.ndarray, f_x: np.ndarray,
                   v0: np.ndarray, *, h: float, max_iter: int, tol: float,
                   deflate: np.ndarray | None = None) -> tuple[float, np.ndarray, int]:
    """Lowest Hessian eigenpair at ``x`` by Lanczos on finite-difference products.

    ``H q ≈ −(F(x + h q) − F(x)) / h`` with unit ``q`` (one force call per product;
    ``f_x`` = F(x) is given). Full re-orthogonalisation. Stops when the lowest Ritz value
    changes by less than ``tol`` (eV/Å²) or after ``max_iter`` products. ``deflate``
    (orthonormal rows, ``(k, x.size)``) restricts the search to their orthogonal
    complement: with the lowest eigenvector there, it gives the second eigenpair.

    Returns ``(eigenvalue eV/Å², unit eigenvector shaped like x, force calls)``.
    """
    shape = x.shape
    q = np.asarray(v0, dtype=float).ravel().copy()
    if deflate is not None:
        q -= deflate.T @ (deflate @ q)
    nq = np.linalg.norm(q)
    if nq == 0:
        raise ValueError("Lanczos start vector is zero")
    q /= nq
    basis = [q]
    alphas: list[float] = []
    betas: list[float] = []
    theta_old = np.inf
    theta, y = np.inf, np.array([1.0])
    calls = 0
    f_x = f_x.ravel()
    for k in range(max_iter):
        _, f_h = provider(x + h * basis[k].reshape(shape))
        calls += 1
        w = -(f_h.ravel() - f_x) / h
        alphas.append(float(basis[k] @ w))
        t = np.diag(alphas)
        if betas:
            t += np.diag(betas, 1) + np.diag(betas, -1)
        evals, evecs = np.linalg.eigh(t)
        theta, y = float(evals[0]), evecs[:, 0]
        if k > 0 and abs(theta - theta_old) < tol:
            break
        theta_old = theta
        q_mat = np.array(basis) if deflate is None else np.vstack([deflate, basis])
        w -= q_mat.T @ (q_mat @ w)          # full re-orthogonalisation (twice is enough)
        w -= q_mat.T @ (q_mat @ w)
        beta = float(np.linalg.norm(w))
        if beta < 1e-10 or k == max_iter - 1:
            break
        betas.append(beta)
        basis.append(w / beta)
    v = np.array(basis[:len(y)]).T @ y
    v /= np.linalg.norm(v)
    return theta, v.reshape(shape), calls

