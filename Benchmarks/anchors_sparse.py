"""Python anchors of the sparse workloads (issue 11), imported by compare.py's JAXopt worker.

    sparse-lasso     JAXopt ProximalGradient (FISTA: acceleration=True, fixed iterations, tol=-1) on a
                     jax.experimental.sparse.BCOO design, implicit differentiation as JAXopt does by
                     default (implicit_diff=True, default implicit_diff_solve); and celer's Lasso
                     (forward only: what a user would pick for the solve alone).
    sparse-logistic  JAXopt GradientDescent (acceleration=True, fixed iterations, tol=-1) on BCOO,
                     implicit differentiation with CG at tol 1e-5 (the Hessian is SPD), as compare.py's
                     dense logistic workloads.

Both read the Swift suite's exported arrays (`benchmarks --export-data DIR`): the COO triplets of the
CSR matrices the suite builds (duplicates already summed), targets or ±1 labels, λ or θ, and the
suite's Lipschitz estimate L (both sides step 1/L, so the iterates agree). The objectives are the
suite's: ½‖Xw − y‖² + λ‖w‖₁ (a sum, λ = 0.05·‖Xᵀy‖_∞) and mean softplus(−y·Xw) + ½Σθⱼwⱼ²; the outer
losses ½·mean((X_val·w − y_val)²) and the validation logistic loss. L, λ and the BCOO construction are
outside the timed calls (the Swift side reports its own setup separately).
"""

import json
import os
import time


def load_sparse(np, folder):
    def load(name):
        return np.load(os.path.join(folder, name + ".npy"))

    n, p = (int(v) for v in load("shape"))

    def triplets(prefix):
        return (load(prefix + "_rows").astype(np.int64), load(prefix + "_cols").astype(np.int64),
                load(prefix + "_vals"))

    return load, n, p, triplets("X"), triplets("X_val")


def bcoo(np, jnp, sparse, t, shape):
    rows, cols, vals = t
    indices = jnp.asarray(np.stack([rows, cols], axis=1).astype(np.int32))
    # Sorted, unique indices (they come from a CSR): let JAX know, as a user reading CSR would.
    return sparse.BCOO((jnp.asarray(vals), indices), shape=shape, indices_sorted=True, unique_indices=True)


def celer_forward(np, t, shape, y, lam, reps):
    """celer's Lasso on the same problem: celer minimises ½‖y − Xw‖²/n + α‖w‖₁, so α = λ/n.
    Forward only, celer's defaults (tol 1e-4 on the duality gap, max_iter 100 outer iterations);
    timed as the median of `reps` fits (after one warm-up fit)."""
    try:
        import scipy.sparse as sp
        from celer import Lasso
    except ImportError as error:
        return {"celer_error": f"celer not installed ({error}); pip install celer"}
    rows, cols, vals = t
    X = sp.csc_matrix((vals, (rows, cols)), shape=shape)  # celer's coordinate descent wants columns
    n = shape[0]
    model = Lasso(alpha=lam / n, fit_intercept=False)
    model.fit(X, y)
    times = []
    for _ in range(max(1, reps)):
        t0 = time.perf_counter()
        model = Lasso(alpha=lam / n, fit_intercept=False)
        model.fit(X, y)
        times.append(time.perf_counter() - t0)
    w = model.coef_
    r = X @ w - y
    objective = 0.5 * float(r @ r) + lam * float(np.abs(w).sum())
    return {"celer_forward_s": float(np.median(times)), "celer_samples_s": times,
            "celer_settings": "celer.Lasso(alpha=λ/n, fit_intercept=False), defaults tol=1e-4, max_iter=100; "
                              "CSC input (converted outside the timing)",
            "celer_iterations": int(np.max(model.n_iter_)) if np.ndim(model.n_iter_) else int(model.n_iter_),
            "celer_objective": objective, "celer_support": int((w != 0).sum()), "celer_coef": w}


def run(bj, wid, folder, quick, reps):
    """Times the anchors of one sparse workload on the exported arrays; returns compare.py's record."""
    from functools import partial
    from jax.experimental import sparse
    np, jax, jnp = bj.np, bj.jax, bj.jnp
    with open(os.path.join(folder, "workload.json")) as fh:
        meta = json.load(fh)
    T = meta["quick_iterations"] if quick else meta["iterations"]
    load, n, p, train, validation = load_sparse(np, folder)
    X, Xv = bcoo(np, jnp, sparse, train, (n, p)), bcoo(np, jnp, sparse, validation, (n, p))
    y, yv = jnp.asarray(load("y")), jnp.asarray(load("y_val"))
    L = float(load("lipschitz")[0])
    w0 = jnp.zeros(p)
    extra = {}
    if wid.startswith("sparse-lasso"):
        lam = float(load("lambda")[0])

        def fun(w, X_, y_):
            r = X_ @ w - y_
            return 0.5 * jnp.sum(r ** 2)

        def mk(implicit):
            return bj.ProximalGradient(fun=fun, prox=bj.prox_lasso, stepsize=1.0 / L, acceleration=True,
                                       maxiter=T, tol=-1.0, implicit_diff=implicit)

        solver = mk(True)

        def outer(l_, X_, y_, Xv_, yv_):
            w = solver.run(w0, l_, X_, y_).params
            return 0.5 * jnp.mean((Xv_ @ w - yv_) ** 2)

        funcs = {"fwd": jax.jit(lambda l_, X_, y_, Xv_, yv_: solver.run(w0, l_, X_, y_).params),
                 "imp": jax.jit(jax.grad(outer))}
        args = (lam, X, y, Xv, yv)
        lin = "jaxopt default (implicit_diff_solve=None: normal CG, tol 1e-5)"
        final = jax.jit(lambda l_, X_, y_: solver.run(w0, l_, X_, y_))(lam, X, y)
        celer = celer_forward(np, train, (n, p), np.asarray(load("y")), lam, reps)
        coef = celer.pop("celer_coef", None)
        extra.update(celer)
    else:
        theta = jnp.asarray(load("theta"))

        def fun(w, t, X_, y_):
            return jnp.mean(jnp.logaddexp(0.0, -y_ * (X_ @ w))) + 0.5 * jnp.sum(t * w ** 2)

        solver = bj.GradientDescent(fun=fun, stepsize=1.0 / L, acceleration=True, maxiter=T, tol=-1.0,
                                    implicit_diff=True,
                                    implicit_diff_solve=partial(bj.linear_solve.solve_cg, tol=1e-5))

        def outer(t, X_, y_, Xv_, yv_):
            w = solver.run(w0, t, X_, y_).params
            return jnp.mean(jnp.logaddexp(0.0, -yv_ * (Xv_ @ w)))

        funcs = {"fwd": jax.jit(lambda t, X_, y_, Xv_, yv_: solver.run(w0, t, X_, y_).params),
                 "imp": jax.jit(jax.grad(outer))}
        args = (theta, X, y, Xv, yv)
        lin = "CG (solve_cg, tol 1e-5), Hessian is SPD"
        final = jax.jit(lambda t, X_, y_: solver.run(w0, t, X_, y_))(theta, X, y)
        coef = None
    tm = bj.timeit_group(funcs, args, reps)
    g = np.asarray(tm["imp"][1])
    hyper = float(g) if g.ndim == 0 else float(np.linalg.norm(g))
    if coef is not None:
        w = np.asarray(tm["fwd"][1])
        extra["celer_vs_jaxopt_solution_rel_diff"] = float(np.linalg.norm(coef - w) / max(np.linalg.norm(w), 1e-300))
    extra.update({"final_error": float(final.state.error), "hypergrad_implicit": hyper, "hypergrad_unrolled": None,
                  "data": f"Swift suite's exported arrays ({folder})",
                  "design": f"jax.experimental.sparse.BCOO, {int(train[2].size)} nonzeros, int32 indices"})
    family = "sparse-lasso" if wid.startswith("sparse-lasso") else "sparse-logistic"
    bj.record("same", family, "", f"p={p}, n={n}", T, lin, tm["fwd"][0], tm["imp"][0], None, extra)
    return dict(bj.RESULTS[-1], workload=wid)
