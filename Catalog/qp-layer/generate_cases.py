#!/usr/bin/env python3
"""Generates the `qp-layer` reference cases with JAXopt 0.8.5 (float64):

    /work/jaxvenv/bin/python Catalog/qp-layer/generate_cases.py   # from the repository root

Each case is a batch of B planted QPs of one shape (x*, ν*, λ* chosen first, with margins of
strict complementarity ≥ 0.5; non-symmetric Q, whose symmetric part is positive definite). Each
element is solved exactly on its known active set, that solve decorated with
`jaxopt.implicit_diff.custom_root(make_kkt_optimality_fun(...), solve=solve_lu)`, and the batch
is `jax.vmap`ped; the Jacobians of x (B×n) with respect to the stacked inputs come from
`jax.jacrev` of the vmapped function (block-diagonal across elements), cross-checked against
central finite differences of re-solves (numpy, active set re-detected at each perturbed point).
"""

import json
import os

import jax
import jax.numpy as jnp
import numpy as np
from importlib.metadata import version

jax.config.update("jax_enable_x64", True)
from jaxopt import linear_solve  # noqa: E402
from jaxopt.implicit_diff import custom_root  # noqa: E402
from jaxopt._src.implicit_diff import make_kkt_optimality_fun  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
NAMES = ("Q", "c", "E", "d", "G", "h")


def planted(rng, n, p, m, active):
    M = rng.standard_normal((n, n)) / np.sqrt(n)
    Qs = M.T @ M + 0.5 * np.eye(n)
    K = 0.3 * rng.standard_normal((n, n))
    Q = Qs + K - K.T  # same symmetric part, non-symmetric entries
    E, G = rng.standard_normal((p, n)), rng.standard_normal((m, n))
    x, nu = rng.standard_normal(n), rng.standard_normal(p)
    act = np.zeros(m, bool)
    act[rng.permutation(m)[:active]] = True
    lam = np.where(act, rng.uniform(0.5, 2, m), 0.0)
    h = G @ x + np.where(act, 0.0, rng.uniform(0.5, 2, m))
    c = -(Qs @ x + E.T @ nu + G.T @ lam)
    return dict(Q=Q, c=c, E=E, d=E @ x, G=G, h=h)


def kkt_solve_np(Q, c, E, d, G, h):
    """Exact solve: the equality KKT system of the active set, the active set found by trying the
    unconstrained-in-G solution and adding/removing constraints (primal-dual active set)."""
    n, p, m = len(c), len(d), len(h)
    Qs = 0.5 * (Q + Q.T)
    active = np.zeros(m, bool)
    for _ in range(100):
        A = np.vstack([E, G[active]])
        K = np.block([[Qs, A.T], [A, np.zeros((len(A), len(A)))]])
        sol = np.linalg.solve(K, np.concatenate([-c, d, h[active]]))
        x, y = sol[:n], sol[n:]
        lam = np.zeros(m)
        lam[active] = y[p:]
        new = np.where(active, lam > 0, G @ x - h > 1e-13)
        if (new == active).all():
            return x, y[:p], lam
        active = new
    raise RuntimeError("active set did not settle")


def layer(active_masks):
    """The vmapped, custom_root-decorated exact solver on fixed active sets."""
    def obj(x, params_obj):
        Q, c = params_obj
        return 0.5 * x @ Q @ x + c @ x

    def eq(x, params_eq):
        E, d = params_eq
        return E @ x - d

    def ineq(x, params_ineq):
        G, h = params_ineq
        return G @ x - h

    optimality = make_kkt_optimality_fun(obj, eq, ineq)

    def one(Q, c, E, d, G, h, a):
        n, p = c.shape[0], d.shape[0]

        def flat_optimality(z, po, pe, pi):
            # z = (x, ν, λ) flattened, so that the dense LU of solve_lu applies.
            return jnp.concatenate(optimality((z[:n], z[n:n + p], z[n + p:]), po, pe, pi))

        @custom_root(flat_optimality, solve=linear_solve.solve_lu)
        def solver(init, params_obj, params_eq, params_ineq):
            (Q, c), (E, d), (G, h) = params_obj, params_eq, params_ineq
            n, p, m = c.shape[0], d.shape[0], h.shape[0]
            Qs = 0.5 * (Q + Q.T)
            # Static shape: an inactive row reads λᵢ = 0.
            K = jnp.block([[Qs, E.T, G.T], [E, jnp.zeros((p, p)), jnp.zeros((p, m))],
                           [a[:, None] * G, jnp.zeros((m, p)), jnp.diag(1.0 - a)]])
            return jnp.linalg.solve(K, jnp.concatenate([-c, d, a * h]))
        return solver(None, (Q, c), (E, d), (G, h))[:n]

    return lambda *args: jax.vmap(one)(*args, active_masks)


def make_case(case_id, title, batch, n, p, m, actives, theta_names, seed):
    rng = np.random.default_rng(seed)
    problems = [planted(rng, n, p, m, actives[i % len(actives)]) for i in range(batch)]
    stacked = {k: np.stack([pr[k] for pr in problems]) for k in NAMES}
    solved = [kkt_solve_np(*(pr[k] for k in NAMES)) for pr in problems]
    masks = np.stack([(s[2] > 0).astype(float) for s in solved])
    f = layer(jnp.asarray(masks))
    args = [jnp.asarray(stacked[k]) for k in NAMES]
    x = np.asarray(f(*args))
    assert np.abs(x - np.stack([s[0] for s in solved])).max() < 1e-12
    jac = {}
    for name in theta_names:
        i = NAMES.index(name)
        jac[name] = np.asarray(jax.jacrev(lambda v: f(*args[:i], v, *args[i + 1:]))(args[i]))

    # Finite differences of re-solves (numpy, active sets re-detected).
    def resolve(st):
        return np.stack([kkt_solve_np(*(st[k][b] for k in NAMES))[0] for b in range(batch)])
    worst = 0.0
    for name in theta_names:
        fd = np.zeros_like(jac[name])
        base = stacked[name]
        for idx in np.ndindex(base.shape):
            step = 1e-6 * max(1.0, abs(base[idx]))
            plus, minus = dict(stacked), dict(stacked)
            plus[name], minus[name] = base.copy(), base.copy()
            plus[name][idx] += step
            minus[name][idx] -= step
            fd[(Ellipsis,) + idx] = (resolve(plus) - resolve(minus)) / (2 * step)
        worst = max(worst, np.abs(fd - jac[name]).max() / np.abs(jac[name]).max())
    assert worst < 1e-7, worst
    return {
        "format": "implicit-case/1", "id": case_id, "family": "qp-layer", "title": title,
        "problem": "for each i < B: x_i*(theta) = argmin_x 0.5*x^T Q_i x + c_i^T x  s.t.  E_i x = d_i,  G_i x <= h_i "
                   "(inputs stacked along a leading batch axis: Q is B x n x n, c is B x n, E is B x p x n, ...); "
                   "output x is B x n",
        "optimality_condition": "per element, KKT: [0.5*(Q+Q^T)x + c + E^T nu + G^T lam ; E x - d ; lam * (G x - h)] "
                                "(jaxopt._src.implicit_diff.make_kkt_optimality_fun), vmapped over the batch",
        "data": {k: stacked[k].tolist() for k in NAMES if k not in theta_names},
        "theta": {k: stacked[k].tolist() for k in theta_names},
        "outputs": {"x": {"value": x.tolist(), "jacobian": {k: v.tolist() for k, v in jac.items()}}},
        "reference": {
            "computed_with": f"JAXopt {version('jaxopt')} / JAX {jax.__version__}, float64",
            "solver": {"name": "exact active-set solve of each planted QP decorated with "
                               "jaxopt.implicit_diff.custom_root(make_kkt_optimality_fun), jax.vmap over the batch, "
                               "jax.jacrev", "implicit_diff_solve": "dense LU (linear_solve.solve_lu)"},
            "finite_difference_max_rel_err": worst,
            "generator": "Catalog/qp-layer/generate_cases.py",
        },
    }


def main():
    cases = [
        make_case("q1_qp_layer_b3_wrt_all", "Three QPs (n=5, p=1, m=4), non-symmetric Q; Jacobian of x w.r.t. "
                  "every input", 3, 5, 1, 4, (1, 2, 0), NAMES, 11),
        make_case("q2_qp_layer_b4_wrt_c_h", "Four QPs (n=6, p=2, m=5); Jacobian of x w.r.t. c and h", 4, 6, 2, 5,
                  (2, 3, 1, 2), ("c", "h"), 12),
    ]
    for case in cases:
        path = os.path.join(HERE, "cases", case["id"] + ".json")
        with open(path, "w") as fh:
            json.dump(case, fh, indent=1)
        print(f"wrote {path} (finite differences: {case['reference']['finite_difference_max_rel_err']:.1e})")


if __name__ == "__main__":
    main()
