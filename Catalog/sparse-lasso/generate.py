"""Generates the `sparse-lasso` reference cases (format implicit-case/1).

    /work/jaxvenv/bin/python Catalog/sparse-lasso/generate.py [CASE_ID ...]   # from the repository root

x*(lam, b) = argmin_x 0.5*||A x - b||^2 + lam*||x||_1 with a sparse design A, stored in the case
as COO triplets. The reference is JAXopt 0.8.5's ProximalGradient (FISTA) on a
`jax.experimental.sparse.BCOO` design, differentiated implicitly (custom_root, dense LU solve of
the fixed-point Jacobian, which is p x p and small here); the design itself is never densified by
the solver. Every Jacobian is cross-checked against central finite differences of tight re-solves
and against the closed form on the support. Needs jax, jaxopt, numpy, scipy; no test needs Python.
"""

import json
import os
import re
import sys

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import jaxopt  # noqa: E402
import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402
import scipy.sparse.linalg as spla  # noqa: E402
from jax.experimental import sparse  # noqa: E402
from jaxopt import version as jaxopt_version  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
TOL, MAXITER = 1e-14, 100_000
ONLY = []


def design(seed, n, p, density):
    """A random n x p sparse design (COO, canonical: no duplicates, sorted) and its BCOO twin."""
    rng = np.random.default_rng(seed)
    m = sp.random(n, p, density=density, format="coo", random_state=rng, data_rvs=rng.standard_normal)
    m = m.tocsr().tocoo()  # canonical order, duplicates summed
    m.data /= np.sqrt(n * density)  # columns of roughly unit norm
    bcoo = sparse.BCOO((jnp.asarray(m.data), jnp.stack([jnp.asarray(m.row), jnp.asarray(m.col)], axis=1)),
                       shape=(n, p))
    return m, bcoo, rng


def compact(text):
    """One line per innermost list of numbers (the file stays short and diffable)."""
    number = r"-?\d[\d.eE+-]*"
    return re.sub(r"\[\s*(" + number + r"(?:,\s*" + number + r")*)\s*\]",
                  lambda m: "[" + ", ".join(re.split(r",\s*", m.group(1))) + "]", text)


def solver(A, stepsize):
    def fun(x, b):
        r = A @ x - b
        return 0.5 * jnp.dot(r, r)

    return jaxopt.ProximalGradient(
        fun=fun, prox=jaxopt.prox.prox_lasso, stepsize=stepsize, acceleration=True, tol=TOL, maxiter=MAXITER,
        implicit_diff=True, implicit_diff_solve=jaxopt.linear_solve.solve_lu)


def run_case(case_id, title, seed, n, p, density, lam_fraction, wrt, k_true=8):
    if ONLY and case_id not in ONLY:
        return
    m, A, rng = design(seed, n, p, density)
    x_true = np.zeros(p)
    x_true[rng.choice(p, k_true, replace=False)] = rng.standard_normal(k_true) * 2
    b = m @ x_true + 0.1 * rng.standard_normal(n)
    lam_max = np.abs(m.T @ b).max()
    lam = float(lam_fraction * lam_max)
    L = float(spla.svds(m.tocsc(), k=1, return_singular_vectors=False)[0] ** 2)
    pg = solver(A, 1.0 / L)

    @jax.jit
    def solve(lam_, b_):
        return pg.run(jnp.zeros(p), hyperparams_prox=lam_, b=b_).params

    csc = m.tocsc()

    def resolve(lam_, b_):
        """A tight re-solve: FISTA, then the exact solve on the support it found (one Newton step)."""
        z = np.asarray(solve(lam_, jnp.asarray(b_)))
        S_ = np.flatnonzero(z != 0)
        AS_ = csc[:, S_].toarray()
        out = np.zeros(p)
        out[S_] = np.linalg.solve(AS_.T @ AS_, AS_.T @ b_ - lam_ * np.sign(z[S_]))
        return out, tuple(S_)

    state = pg.run(jnp.zeros(p), hyperparams_prox=lam, b=jnp.asarray(b)).state
    x = np.asarray(solve(lam, jnp.asarray(b)))
    if wrt == "lam":
        J = np.asarray(jax.jacrev(solve, argnums=0)(lam, jnp.asarray(b)))
    else:
        J = np.asarray(jax.jacrev(solve, argnums=1)(lam, jnp.asarray(b)))

    # Finite differences of re-solves (the lasso path is piecewise affine: exact off a support change).
    # Steps small enough that no perturbation changes the support (asserted).
    h = 1e-5
    base_support = tuple(np.flatnonzero(x != 0))

    def difference(plus, minus, step):
        (xp, sp_), (xm, sm_) = plus, minus
        assert sp_ == base_support and sm_ == base_support, "support changed under a finite-difference step"
        return (xp - xm) / (2 * step)

    if wrt == "lam":
        hl = h * lam
        fd = difference(resolve(lam + hl, b), resolve(lam - hl, b), hl)
    else:
        fd = np.zeros((p, n))
        for j in range(n):
            e = np.zeros(n)
            e[j] = h
            fd[:, j] = difference(resolve(lam, b + e), resolve(lam, b - e), h)
    fd_err = float(np.abs(fd - J).max() / np.abs(J).max())

    # Closed form on the support S (s = sign(x_S)), and the margin of strict complementarity.
    S = np.flatnonzero(x != 0)
    AS = m.tocsc()[:, S].toarray()
    G = AS.T @ AS
    closed = np.zeros_like(J)
    if wrt == "lam":
        closed[S] = -np.linalg.solve(G, np.sign(x[S]))
    else:
        closed[S, :] = np.linalg.solve(G, AS.T)
    closed_err = float(np.abs(closed - J).max() / np.abs(J).max())
    corr = np.abs(m.T @ (m @ x - b))
    off = np.setdiff1d(np.arange(p), S)
    margin = float((lam - corr[off].max()) / lam)
    assert fd_err < 1e-8 and closed_err < 1e-8 and margin > 1e-4, (fd_err, closed_err, margin)

    data = {"A": {"shape": [n, p], "rows": m.row.tolist(), "columns": m.col.tolist(), "values": m.data.tolist()}}
    theta = {}
    (theta if wrt == "lam" else data)["lam"] = lam
    (theta if wrt == "b" else data)["b"] = b.tolist()
    doc = {
        "format": "implicit-case/1",
        "id": case_id,
        "family": "sparse-lasso",
        "title": title,
        "problem": "x*(lam, b) = argmin_x 0.5*||A x - b||^2 + lam*||x||_1, A sparse (COO triplets: shape, rows, "
        "columns, values; duplicates summed)",
        "optimality_condition": "F(x) = prox_lasso(x - eta*grad f(x), lam, eta) - x  (ProximalGradient fixed point)",
        "data": data,
        "theta": theta,
        "outputs": {"x": {"value": x.tolist(), "jacobian": {wrt: J.tolist()}}},
        "reference": {
            "computed_with": f"JAXopt {jaxopt_version.__version__} / JAX {jax.__version__}, float64",
            "design": f"jax.experimental.sparse.BCOO, {n} x {p}, {m.nnz} nonzeros (density {m.nnz / (n * p):.4f}), "
            f"seed {seed}",
            "solver": {
                "name": "jaxopt.ProximalGradient",
                "prox": "jaxopt.prox.prox_lasso",
                "stepsize": 1.0 / L,
                "acceleration": True,
                "tol": TOL,
                "maxiter": MAXITER,
                "implicit_diff_solve": "jaxopt.linear_solve.solve_lu",
                "iter_num": int(state.iter_num),
                "error": float(state.error),
            },
            "lam_over_lam_max": lam_fraction,
            "support_size": int(S.size),
            "complementarity_margin": margin,
            "finite_difference_max_rel_err": fd_err,
            "finite_difference": f"central, step {h:g} (relative for lam), re-solves by FISTA + exact solve on the "
            "detected support (unchanged by every step)",
            "closed_form_max_rel_err": closed_err,
            "closed_form": "on support S, s = sign(x_S): dx_S/dlam = -(A_S^T A_S)^{-1} s ; "
            "dx_S/db = (A_S^T A_S)^{-1} A_S^T ; zero off S",
        },
    }
    path = os.path.join(HERE, "cases", case_id + ".json")
    with open(path, "w") as f:
        f.write(compact(json.dumps(doc, indent=1)) + "\n")
    print(path, os.path.getsize(path), "bytes; support", S.size, "fd", fd_err, "closed", closed_err, "margin", margin,
          "iters", int(state.iter_num))


if __name__ == "__main__":
    ONLY[:] = sys.argv[1:]  # case ids to regenerate (default: all)
    run_case("s1_sparse_lasso_wrt_lam", "Lasso on a sparse design, derivative w.r.t. the l1 strength",
             seed=11, n=100, p=400, density=0.03, lam_fraction=0.1, wrt="lam")
    run_case("s2_sparse_lasso_wrt_b", "Lasso on a sparse design, derivative w.r.t. the targets b",
             seed=12, n=60, p=300, density=0.04, lam_fraction=0.2, wrt="b")
    # Above the library's dense threshold (1000 unknowns): no Newton polish, a matrix-free implicit solve.
    run_case("s3_sparse_lasso_wide_wrt_lam", "Lasso on a wide sparse design (1500 features), derivative w.r.t. lam",
             seed=13, n=150, p=1500, density=0.01, lam_fraction=0.15, wrt="lam")
