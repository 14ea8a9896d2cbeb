#!/usr/bin/env python3
"""Python anchors of the batch workloads of issue 11, on the Swift suite's exported arrays
(`benchmarks --only IDS --export-data DIR`), timed in compare.py's alternating rounds.

- `qp-layer-b128`: forward + VJP of Σᵢ⟨wᵢ, x*ᵢ⟩ w.r.t. Q, q, A, b, G, h of the 128 QPs, with
  qpth (`QPFunction`, PDIPM batched, float64, CPU) and cvxpylayers (`CvxpyLayer`, diffcp on Clarabel with the
  dense adjoint, float64, CPU;
  Q enters as its Cholesky factor, so the gradient w.r.t. Q flows through `torch.linalg.cholesky`).
  Runs in a venv with torch (CPU), qpth and cvxpylayers (default /work/qpvenv/bin/python, or $QP_PYTHON):
      python3 -m venv /work/qpvenv && /work/qpvenv/bin/pip install torch \\
          --index-url https://download.pytorch.org/whl/cpu && /work/qpvenv/bin/pip install qpth cvxpylayers numpy
  (offline: a CPU torch wheel instead of the index, e.g. /opt/wheels/torch-*+cpu-*.whl).
  The gradients are compared with the Swift layer's (exported beside the data), per element and per
  input, on the elements whose active sets agree: max |g − g_swift| / max |g_swift|.
  Both anchors stop at ~1e-5 (qpth's interior-point backward, Clarabel's conic solve); an untimed
  check with cvxpylayers on SCS at eps 1e-12 (dense adjoint) on the first 4 QPs shows the agreement
  a tight anchor reaches (~1e-9).
- `ridge-sweep-64`: JAXopt (default /work/jaxvenv/bin/python) `jax.vmap` over the 64 θ of the
  hypergradient of the validation MSE: the same data, 300 iterations of accelerated gradient descent
  with step 1/L (L = ‖A‖₂² + max θ, as the Swift solver), implicit differentiation with CG at 1e-10
  (the Swift default's accuracy). Compared with the Swift hypergradients.

Standalone: `python3 anchors_batch.py --data DIR --ids qp-layer-b128,ridge-sweep-64 --runs 3`.
compare.py calls `run_round` once per round and `summarize` at the end.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

IDS = ("qp-layer-b128", "ridge-sweep-64")
QP_PYTHON = os.environ.get("QP_PYTHON", "/work/qpvenv/bin/python")
JAX_PYTHON = os.environ.get("JAX_PYTHON", "/work/jaxvenv/bin/python")
HERE = os.path.dirname(os.path.abspath(__file__))


def _dist_version(name):
    from importlib.metadata import version
    return version(name)


def _timed(bodies, runs):
    """One warm-up call of each body, then `runs` rounds in alternation; every sample (seconds)."""
    results = {name: body() for name, body in bodies.items()}
    samples = {name: [] for name in bodies}
    for _ in range(max(1, runs)):
        for name, body in bodies.items():
            t = time.perf_counter()
            results[name] = body()
            samples[name].append(time.perf_counter() - t)
    return samples, results


# ----------------------------------------------------------------------------------------------
# qp-layer-b128 (torch venv)
# ----------------------------------------------------------------------------------------------

def worker_qp(folder, runs):
    import numpy as np
    import torch
    torch.set_default_dtype(torch.float64)
    from qpth.qp import QPFunction
    import cvxpy as cp
    from cvxpylayers.torch import CvxpyLayer

    arrays = {k: np.load(os.path.join(folder, k + ".npy")) for k in ("Q", "q", "A", "b", "G", "h", "w")}
    swift = {k: np.load(os.path.join(folder, "swift_" + k + ".npy"))
             for k in ("x", "lambda", "slack", "grad_Q", "grad_q", "grad_A", "grad_b", "grad_G", "grad_h")}
    B, n = arrays["q"].shape
    p, m = arrays["A"].shape[1], arrays["G"].shape[1]
    w = torch.tensor(arrays["w"])
    names = ("Q", "q", "A", "b", "G", "h")

    def inputs():
        return [torch.tensor(arrays[k], requires_grad=True) for k in names]

    def qpth_run():
        Q, q, A, b, G, h = inputs()
        x = QPFunction(verbose=-1, eps=1e-12, maxIter=50)(Q, q, G, h, A, b)
        (w * x).sum().backward()
        return x.detach().numpy(), {k: t.grad.numpy() for k, t in zip(names, (Q, q, A, b, G, h))}

    xv = cp.Variable(n)
    Lt, qp_, Ap, bp, Gp, hp = (cp.Parameter((n, n)), cp.Parameter(n), cp.Parameter((p, n)), cp.Parameter(p),
                               cp.Parameter((m, n)), cp.Parameter(m))
    problem = cp.Problem(cp.Minimize(0.5 * cp.sum_squares(Lt @ xv) + qp_ @ xv), [Ap @ xv == bp, Gp @ xv <= hp])
    assert problem.is_dpp()
    layer = CvxpyLayer(problem, parameters=[Lt, qp_, Ap, bp, Gp, hp], variables=[xv])
    # diffcp's default adjoint (LSQR) left the gradients ~7% off on these data; the dense mode is exact
    # for the solve it differentiates. SCS at eps 1e-12 agrees with Swift to 1e-9 but takes ~2 s per QP.
    solver_args = {"mode": "dense", "solve_method": "Clarabel", "tol_gap_abs": 1e-12, "tol_gap_rel": 1e-12,
                   "tol_feas": 1e-12, "tol_ktratio": 1e-10}

    def cvxpylayers_run():
        Q, q, A, b, G, h = inputs()
        L = torch.linalg.cholesky(0.5 * (Q + Q.transpose(-1, -2)))
        (x,) = layer(L.transpose(-1, -2), q, A, b, G, h, solver_args=solver_args)
        (w * x).sum().backward()
        return x.detach().numpy(), {k: t.grad.numpy() for k, t in zip(names, (Q, q, A, b, G, h))}

    samples, results = _timed({"qpth": qpth_run, "cvxpylayers": cvxpylayers_run}, runs)

    # Not timed: the anchors' own accuracy limits the agreement (qpth's interior-point backward,
    # Clarabel's conic solve). cvxpylayers with SCS at eps 1e-12 and the dense adjoint on the first
    # few QPs shows how close a tight anchor gets to the Swift gradients.
    few = 4
    tight_args = {"mode": "dense", "solve_method": "SCS", "eps": 1e-12, "max_iters": 100000}
    Qf, qf, Af, bf, Gf, hf = (torch.tensor(arrays[k][:few], requires_grad=True) for k in names)
    Lf = torch.linalg.cholesky(0.5 * (Qf + Qf.transpose(-1, -2)))
    (xf,) = layer(Lf.transpose(-1, -2), qf, Af, bf, Gf, hf, solver_args=tight_args)
    (w[:few] * xf).sum().backward()
    tight = {k: float(max(np.abs(t.grad.numpy()[i] - swift["grad_" + k][i]).max() / np.abs(swift["grad_" + k][i]).max()
                          for i in range(few)))
             for k, t in zip(names, (Qf, qf, Af, bf, Gf, hf))}

    # Swift's active sets: λᵢ > 0 beats the slack (strict complementarity holds on these data).
    lam_scale = np.maximum(1, np.abs(swift["lambda"]).max(axis=1, keepdims=True))
    swift_active = swift["lambda"] / lam_scale > -swift["slack"] / np.maximum(1, np.abs(arrays["h"]).max())
    out = {}
    for name, (x, grads) in results.items():
        slack = np.einsum("bmn,bn->bm", arrays["G"], x) - arrays["h"]
        scale = np.maximum(1, np.abs(arrays["h"]).max(axis=1, keepdims=True))
        active = slack > -1e-6 * scale
        agree = [i for i in range(B) if (active[i] == swift_active[i]).all()]
        diffs = {}
        for k in names:
            g, s = grads[k], swift["grad_" + k]
            per = [np.abs(g[i] - s[i]).max() / max(np.abs(s[i]).max(), 1e-300) for i in agree]
            diffs[k] = max(per) if per else None
        xdiff = max((np.abs(x[i] - swift["x"][i]).max() / max(1, np.abs(swift["x"][i]).max()) for i in agree),
                    default=None)
        out[name] = {"median_s": statistics.median(samples[name]), "samples_s": samples[name],
                     "active_sets_agree": len(agree), "batch": B,
                     "grad_max_rel_diff": diffs,
                     "grad_max_rel_diff_all_inputs": max((d for d in diffs.values() if d is not None), default=None),
                     "x_max_rel_diff": xdiff}
    import qpth
    import cvxpylayers
    import diffcp
    out["versions"] = {"torch": torch.__version__, "qpth": getattr(qpth, "__version__", None) or _dist_version("qpth"),
                       "cvxpylayers": cvxpylayers.__version__, "cvxpy": cp.__version__,
                       "diffcp": getattr(diffcp, "__version__", "?"), "torch_threads": torch.get_num_threads()}
    out["tight_cvxpylayers_first_4"] = {"grad_max_rel_diff": tight, "settings": json.dumps(tight_args),
                                          "x_max_rel_diff": float(np.abs(xf.detach().numpy() - swift["x"][:few]).max())}
    out["settings"] = {"qpth": "QPFunction(eps=1e-12, maxIter=50), PDIPM batched, float64",
                       "cvxpylayers": "CvxpyLayer, 0.5‖Lᵀx‖² with L = chol(Q) (grad to Q via torch), "
                                      + json.dumps(solver_args)}
    return out


# ----------------------------------------------------------------------------------------------
# ridge-sweep-64 (JAXopt venv)
# ----------------------------------------------------------------------------------------------

def worker_ridge(folder, runs):
    import numpy as np
    import jax
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import jaxopt
    from functools import partial

    def load(k):
        return jnp.asarray(np.load(os.path.join(folder, k + ".npy")))

    A, b, Xv, yv, thetas = (load(k) for k in ("A", "b", "X_val", "y_val", "thetas"))
    T = int(np.load(os.path.join(folder, "iterations.npy"))[0])
    swift = np.load(os.path.join(folder, "swift_hypergradients.npy"))
    n, p = A.shape
    spectrum = float(np.linalg.norm(np.asarray(A), 2) ** 2)
    w0 = jnp.zeros(p)

    def f(w, theta):
        r = A @ w - b
        return 0.5 * jnp.dot(r, r) + 0.5 * jnp.sum(theta * w ** 2)

    def hypergradient(theta):
        L = spectrum + jnp.max(theta)
        solver = jaxopt.GradientDescent(fun=f, stepsize=lambda _: 1.0 / L, acceleration=True, maxiter=T, tol=-1.0,
                                        implicit_diff=True,
                                        implicit_diff_solve=partial(jaxopt.linear_solve.solve_cg, tol=1e-10))

        def outer(th):
            wv = solver.run(w0, th).params
            r = Xv @ wv - yv
            return 0.5 * jnp.dot(r, r) / n
        return jax.grad(outer)(theta)

    sweep = jax.jit(jax.vmap(hypergradient))
    samples, results = _timed({"jaxopt_vmap": lambda: sweep(thetas).block_until_ready()}, runs)
    g = np.asarray(results["jaxopt_vmap"])
    rel = max(np.abs(g[i] - swift[i]).max() / max(np.abs(swift[i]).max(), 1e-300) for i in range(len(swift)))
    return {"jaxopt_vmap": {"median_s": statistics.median(samples["jaxopt_vmap"]),
                            "samples_s": samples["jaxopt_vmap"], "hypergradient_max_rel_diff": float(rel)},
            "versions": {"jax": jax.__version__, "jaxopt": _dist_version("jaxopt")},
            "settings": f"jax.jit(jax.vmap(grad)) over {len(swift)} θ; GradientDescent(acceleration, step 1/L, "
                        f"maxiter={T}, tol=-1), implicit diff CG tol 1e-10, float64"}


# ----------------------------------------------------------------------------------------------
# Driver hooks (compare.py)
# ----------------------------------------------------------------------------------------------

def run_round(ids, data_dir, runs, out_json):
    """Runs the anchors of the batch workloads among `ids` (each in its venv); returns {id: record}."""
    records = {}
    for wid, python, kind in (("qp-layer-b128", QP_PYTHON, "qp"), ("ridge-sweep-64", JAX_PYTHON, "ridge")):
        if wid not in ids:
            continue
        path = f"{os.path.splitext(out_json)[0]}-{kind}.json"
        folder = os.path.join(data_dir, wid)
        try:
            subprocess.run([python, os.path.abspath(__file__), "--worker", kind, "--data", folder,
                            "--runs", str(runs), "--out", path], check=True)
            with open(path) as fh:
                records[wid] = json.load(fh)
        except (subprocess.CalledProcessError, OSError) as error:
            records[wid] = {"error": repr(error)}
    return records


def summarize(rounds):
    """Per batch workload: Swift's seconds against the anchors', per round (`rounds`: compare.py's
    list, each with `swift` and `batch_anchors`), as min / median / max."""
    def spread(values):
        values = [v for v in values if v is not None]
        return None if not values else {"min": min(values), "median": statistics.median(values),
                                        "max": max(values), "n": len(values)}
    table = {}
    for wid in IDS:
        per = {}
        last = {}
        for rd in rounds:
            s, a = rd["swift"].get(wid), rd.get("batch_anchors", {}).get(wid)
            if s is None or a is None or "error" in s or "error" in a:
                continue
            last = {"swift": {k: v for k, v in s.items() if not k.endswith("_samples_s")}, "anchors": a}
            per.setdefault("swift_batch_s", []).append(s["batch_s"])
            per.setdefault("swift_speedup_one_to_all_threads", []).append(s["speedup_one_to_all_threads"])
            anchors = {k: v for k, v in a.items() if isinstance(v, dict) and "median_s" in v}
            for name, rec in anchors.items():
                per.setdefault(f"{name}_s", []).append(rec["median_s"])
                per.setdefault(f"swift_over_{name}", []).append(s["batch_s"] / rec["median_s"])
                diff = rec.get("grad_max_rel_diff_all_inputs", rec.get("hypergradient_max_rel_diff"))
                per.setdefault(f"{name}_vs_swift_grad_max_rel_diff", []).append(diff)
            if anchors:
                per.setdefault("swift_over_fastest_anchor", []).append(
                    s["batch_s"] / min(r["median_s"] for r in anchors.values()))
        table[wid] = {k: spread(v) for k, v in per.items()}
        table[wid]["last"] = last
    return table


def report_lines(batch):
    """Markdown lines for docs/benchmarks.md (report.py) from compare.py's `batch` summary."""
    def med(sp, fmt):
        return "n/a" if not sp else format(sp["median"], fmt)
    lines = ["\n## Batches\n",
             "Issue 11's batch workloads, timed in the same rounds as their Python anchors on the same exported data "
             "(`anchors_batch.py`); median over rounds. Targets: Swift ≤ 0.5× the faster anchor on `qp-layer-b128`, "
             "≥ 1.7× from one core to two on both; gradients within 1e-6 where the active sets agree.\n",
             "| workload | Swift batch s | speed-up 1→2 cores | anchor | anchor s | Swift / anchor | "
             "anchor vs Swift gradient (max rel.) |",
             "|---|---|---|---|---|---|---|"]
    for wid, t in batch.items():
        anchors = sorted(k[:-2] for k in t if k.endswith("_s") and not k.startswith("swift"))
        for name in anchors:
            lines.append(f"| {wid} | {med(t.get('swift_batch_s'), '.4f')} | "
                         f"{med(t.get('swift_speedup_one_to_all_threads'), '.2f')}× | {name} | "
                         f"{med(t.get(name + '_s'), '.4f')} | {med(t.get('swift_over_' + name), '.2f')} | "
                         f"{med(t.get(name + '_vs_swift_grad_max_rel_diff'), '.1e')} |")
        tight = t.get("last", {}).get("anchors", {}).get("tight_cvxpylayers_first_4")
        if tight:
            worst = max(tight["grad_max_rel_diff"].values())
            lines.append(f"\n`{wid}`: cvxpylayers with `{tight['settings']}` on the first 4 QPs (untimed) agrees with "
                         f"the Swift gradients to {worst:.1e}: the anchors' default accuracy, not ours, bounds the "
                         "agreement above.\n")
    return lines


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--worker", choices=("qp", "ridge"))
    ap.add_argument("--data", required=True, help="an export folder (worker) or the export root (standalone)")
    ap.add_argument("--ids", default=",".join(IDS))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    if args.worker:
        record = worker_qp(args.data, args.runs) if args.worker == "qp" else worker_ridge(args.data, args.runs)
        with open(args.out, "w") as fh:
            json.dump(record, fh, indent=1)
        return
    out = args.out or os.path.join(HERE, "results", "anchors_batch.json")
    records = run_round(args.ids.split(","), args.data, args.runs, out)
    with open(out, "w") as fh:
        json.dump(records, fh, indent=1)
    print(json.dumps(records, indent=1))


if __name__ == "__main__":
    sys.exit(main())
