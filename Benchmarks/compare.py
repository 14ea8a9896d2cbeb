#!/usr/bin/env python3
"""Side by side: alternate the Swift suite and JAXopt (../shared/bench/bench_jaxopt.py) in one time
window, on the same data, and report per-workload ratios with their spread (min / median / max
over rounds).

    python3 compare.py --ids all --rounds 3 --runs 3 --out results/final/compare.json
    python3 compare.py --ids ridge-p1000,svm-pg-p100 --rounds 1 --runs 1 --out results/smoke/compare.json
    python3 compare.py --quick --ids all ...      # the quick sizes of both suites
    python3 report.py results/final/compare.json  # regenerates ../docs/benchmarks.md and its plots

Needs a Python with jax/jaxopt (default: /work/jaxvenv/bin/python for the JAXopt runs; this driver
itself uses only the standard library). Optional: nothing in CI needs Python.

Same data: before the rounds, `benchmarks --export-data DIR` writes the Swift suite's exact arrays
(.npy) and iteration counts; the JAXopt worker loads them and times JAXopt on them with
bench_jaxopt.py's objectives, outer losses, timing protocol (`timeit_group`) and solver settings
(step 1/L from ‖X‖₂², fixed iterations, tol = -1, acceleration, CG at 1e-5 where the Hessian is
SPD, else JAXopt's default normal-equation CG). `--data own` (or a workload whose arrays are
missing) falls back to bench_jaxopt.py's own functions and draws; every JAXopt record says which
(`data`). With the same data the JAXopt hypergradient is also compared with the Swift suite's
tight-tolerance reference.

Each round runs `benchmarks --only IDS --runs N --json` (release build of this package), then one
JAXopt process timing the same workloads.
"""

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import time

import anchors_batch  # the batch workloads' anchors (qpth, cvxpylayers, JAXopt vmap)

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH_JAXOPT = os.environ.get("BENCH_JAXOPT", os.path.join(HERE, "..", "..", "shared", "bench"))
if not os.path.isdir(BENCH_JAXOPT):
    BENCH_JAXOPT = "/work/shared/bench"

# The 14 workloads of ../shared/benchmarks.md, in its order, and the quick run's ids (the sparse ones added below).
ALL_IDS = [f"svm-{m}-p{p}" for p in (100, 1000, 5000) for m in ("md", "pg", "bcd")] + [
    "ridge-p1000", "logistic-p1000", "ridge-p10000", "logistic-p10000", "lasso-p2000"]
QUICK_IDS = ["svm-md-p100", "svm-pg-p100", "svm-bcd-p100", "ridge-p1000", "logistic-p1000", "lasso-p500"]
# The sparse workloads of issue 11 (anchors in anchors_sparse.py: JAXopt on BCOO, celer).
ALL_IDS += ["sparse-lasso", "sparse-logistic"]
QUICK_IDS += ["sparse-lasso-quick", "sparse-logistic-quick"]


def parse_id(workload):
    family, _, size = workload.rpartition("-p")
    return family, int(size)


# ----------------------------------------------------------------------------------------------
# JAXopt worker (runs inside the JAXopt venv)
# ----------------------------------------------------------------------------------------------

def jaxopt_own_draws(bj, ids, quick, reps):
    """Old mode: bench_jaxopt's own functions and data draws (same shapes, other numbers)."""
    svm_iters = {"MD": 100, "PG": 100, "BCD": 10} if quick else {"MD": 500, "PG": 500, "BCD": 50}
    l2_T, lasso_T = (50, 100) if quick else (300, 500)
    done = set()
    first = len(bj.RESULTS)
    for workload in ids:
        family, p = parse_id(workload)
        if family.startswith("svm-"):
            key = ("svm", p)
            if key not in done:
                bj.bench_svm(p, reps, svm_iters, unroll_bcd_max_p=1000)
        elif family in ("ridge", "logistic"):
            key = ("l2", p)
            if key not in done:
                bj.bench_l2(p, reps, l2_T)
        elif family == "lasso":
            key = ("lasso", p)
            if key not in done:
                bj.bench_lasso(reps, lasso_T, p=p)
        else:
            raise SystemExit(f"no JAXopt counterpart for {workload}")
        done.add(key)
    results = {}
    for r in bj.RESULTS[first:]:
        p = int(r["size"].split("p=")[1].split(",")[0])
        if r["bench"] == "(i)":
            wid = f"svm-{r['solver'].lower()}-p{p}"
        elif r["bench"] == "(ii)":
            if not r["implicit_linear_solve"].startswith("CG"):
                continue  # JAXopt's best solve where the Hessian is SPD: CG
            wid = f"{r['problem']}-p{p}"
        else:
            wid = f"lasso-p{p}"
        if wid in ids:
            r = dict(r)
            r["data"] = "bench_jaxopt.py's own draws (same shapes and scales)"
            results[wid] = r
    return results


def jaxopt_same_data(bj, wid, folder, quick, reps):
    """Times JAXopt on the Swift suite's exported arrays of `wid`, with bench_jaxopt's objectives,
    outer losses and timing protocol; the solvers are configured as in bench_jaxopt's bench_*."""
    from functools import partial
    np, jax, jnp = bj.np, bj.jax, bj.jnp

    def load(name):
        return np.load(os.path.join(folder, name + ".npy"))

    def jitted(forward, outer, implicit_solver, unrolled_solver=None):
        """bench_jaxopt's three timed functions of the same arguments (data passed to jit)."""
        funcs = {"fwd": jax.jit(forward), "imp": jax.jit(jax.grad(partial(outer, s=implicit_solver)))}
        if unrolled_solver is not None:
            funcs["unr"] = jax.jit(jax.grad(partial(outer, s=unrolled_solver)))
        return funcs

    with open(os.path.join(folder, "workload.json")) as fh:
        meta = json.load(fh)
    T = meta["quick_iterations"] if quick else meta["iterations"]
    family, p = parse_id(wid)
    extra = {}
    if family.startswith("svm-"):
        method = family.split("-")[1].upper()
        X, Y, Xv = (jnp.asarray(load(a)) for a in ("X", "Y", "X_val"))
        yv = jnp.asarray(np.argmax(load("Y_val"), axis=1))
        theta = float(load("theta")[0])
        n, k = Y.shape
        fun = bj.objective.multiclass_linear_svm_dual
        L = float(np.linalg.norm(np.asarray(X), 2) ** 2) / theta
        beta0 = jnp.ones((n, k)) / k

        def make(implicit):
            if method == "MD":
                pg = bj.MirrorDescent.make_projection_grad(
                    projection=lambda z, hp: jax.nn.softmax(z, axis=-1), mapping_fun=bj.safe_log)
                return bj.MirrorDescent(fun=fun, projection_grad=pg, stepsize=1.0 / L, maxiter=T, tol=-1.0,
                                        implicit_diff=implicit)
            if method == "PG":
                return bj.ProjectedGradient(
                    fun=fun, projection=lambda B, hp: jax.vmap(bj.projection_simplex)(B), stepsize=1.0 / L,
                    maxiter=T, tol=-1.0, acceleration=True, implicit_diff=implicit)
            return bj.BlockCoordinateDescent(fun=fun, block_prox=bj.make_prox_from_projection(bj.projection_simplex),
                                             maxiter=T, tol=-1.0, implicit_diff=implicit)

        s_imp, s_unr = make(True), make(False)

        def outer(th, X_, Y_, Xv_, yv_, s):
            beta = s.run(beta0, None, l2reg=th, data=(X_, Y_)).params
            return bj.svm_val_loss(X_.T @ (Y_ - beta) / th, Xv_, yv_)

        args = (theta, X, Y, Xv, yv)
        skip_unrolled = method == "BCD" and p > 1000  # bench_jaxopt's unroll_bcd_max_p
        funcs = jitted(lambda th, X_, Y_, Xv_, yv_: s_imp.run(beta0, None, l2reg=th, data=(X_, Y_)).params,
                       outer, s_imp, None if skip_unrolled else s_unr)
        if skip_unrolled:
            extra["note"] = "unrolled BCD skipped above p = 1000, as in bench_jaxopt.py (memory)"
        final = jax.jit(lambda th, X_, Y_: s_imp.run(beta0, None, l2reg=th, data=(X_, Y_)))(theta, X, Y)
        lin = "jaxopt default (normal CG, tol 1e-5)"
    elif family in ("ridge", "logistic"):
        X, y, Xv, yv, theta = (jnp.asarray(load(a)) for a in ("X", "y", "X_val", "y_val", "theta"))
        n = X.shape[0]
        smax2 = float(np.linalg.norm(np.asarray(X), 2) ** 2) / n
        if family == "ridge":
            f, fv, L = bj.ridge_obj, bj.ridge_val, smax2 + float(theta.max())
        else:
            f, fv, L = bj.logreg_obj, bj.logreg_val, 0.25 * smax2 + float(theta.max())
        w0 = jnp.zeros(X.shape[1])
        fwd_solver = bj.GradientDescent(fun=f, stepsize=1.0 / L, acceleration=True, maxiter=T, tol=-1.0)
        s_unr = bj.GradientDescent(fun=f, stepsize=1.0 / L, acceleration=True, maxiter=T, tol=-1.0,
                                   implicit_diff=False)
        s_imp = bj.GradientDescent(fun=f, stepsize=1.0 / L, acceleration=True, maxiter=T, tol=-1.0,
                                   implicit_diff=True,
                                   implicit_diff_solve=partial(bj.linear_solve.solve_cg, tol=1e-5))

        def outer(t, X_, y_, Xv_, yv_, s):
            return fv(s.run(w0, t, X_, y_).params, Xv_, yv_)

        args = (theta, X, y, Xv, yv)
        funcs = jitted(lambda t, X_, y_, Xv_, yv_: fwd_solver.run(w0, t, X_, y_).params, outer, s_imp, s_unr)
        final = jax.jit(lambda t, X_, y_: fwd_solver.run(w0, t, X_, y_))(theta, X, y)
        lin = "CG (solve_cg, tol 1e-5), Hessian is SPD"
    elif family == "lasso":
        X, y, Xv, yv = (jnp.asarray(load(a)) for a in ("X", "y", "X_val", "y_val"))
        lam = float(load("lambda")[0])
        n = X.shape[0]
        L = float(np.linalg.norm(np.asarray(X), 2) ** 2) / n
        w0 = jnp.zeros(X.shape[1])

        def mk(implicit):
            return bj.ProximalGradient(fun=bj.lsq_mean, prox=bj.prox_lasso, stepsize=1.0 / L, acceleration=True,
                                       maxiter=T, tol=-1.0, implicit_diff=implicit)

        s_imp, s_unr = mk(True), mk(False)

        def outer(l_, X_, y_, Xv_, yv_, s):
            return bj.lsq_mean(s.run(w0, l_, X_, y_).params, Xv_, yv_)

        args = (lam, X, y, Xv, yv)
        funcs = jitted(lambda l_, X_, y_, Xv_, yv_: s_imp.run(w0, l_, X_, y_).params, outer, s_imp, s_unr)
        final = jax.jit(lambda l_, X_, y_: s_imp.run(w0, l_, X_, y_))(lam, X, y)
        lin = "jaxopt default (normal CG, tol 1e-5)"
    else:
        raise ValueError(f"no JAXopt counterpart for {wid}")
    tm = bj.timeit_group(funcs, args, reps)

    def scalar(g):
        g = np.asarray(g)
        return float(g) if g.ndim == 0 else float(np.linalg.norm(g))

    gi = scalar(tm["imp"][1])
    gu = scalar(tm["unr"][1]) if "unr" in tm else None
    extra.update({"final_error": float(final.state.error), "hypergrad_implicit": gi, "hypergrad_unrolled": gu,
                  "data": f"Swift suite's exported arrays ({folder})"})
    bj.record("same", family, "", f"p={p}", T, lin, tm["fwd"][0], tm["imp"][0],
              tm["unr"][0] if "unr" in tm else None, extra)
    return dict(bj.RESULTS[-1], workload=wid)


def jaxopt_worker(ids, quick, reps, out, data_dir):
    sys.path.insert(0, BENCH_JAXOPT)
    import bench_jaxopt as bj  # noqa: E402

    results, fallback = {}, []
    for wid in ids:
        folder = os.path.join(data_dir, wid) if data_dir else None
        if wid.startswith("sparse-"):
            # Sparse workloads: same data only (no own draws); a failure is recorded, not replaced.
            sys.path.insert(0, HERE)
            import anchors_sparse  # noqa: E402
            try:
                results[wid] = anchors_sparse.run(bj, wid, folder, quick, reps)
            except Exception as error:  # noqa: BLE001 — recorded in the JSON
                print(f"sparse anchor {wid} failed: {error!r}", flush=True)
                results[wid] = {"workload": wid, "error": repr(error)}
            continue
        if folder and os.path.exists(os.path.join(folder, "workload.json")):
            try:
                results[wid] = jaxopt_same_data(bj, wid, folder, quick, reps)
                continue
            except Exception as error:  # noqa: BLE001 — fall back, and say so
                print(f"same-data JAXopt run of {wid} failed ({error!r}); using bench_jaxopt's own draws",
                      flush=True)
        fallback.append(wid)
    if fallback:
        results.update(jaxopt_own_draws(bj, fallback, quick, reps))
    with open(out, "w") as fh:
        json.dump({"versions": bj.versions(), "results": results}, fh, indent=1)


# ----------------------------------------------------------------------------------------------
# Driver
# ----------------------------------------------------------------------------------------------

def spread(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {"min": min(values), "median": statistics.median(values), "max": max(values), "n": len(values)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ids", default="ridge-p1000,lasso-p2000,svm-pg-p100",
                    help="comma-separated workload ids, or `all` (the 14 of benchmarks.md; with --quick, "
                         "the quick ones)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--data", choices=("same", "own"), default="same",
                    help="same: JAXopt on the Swift suite's exported arrays (default); own: bench_jaxopt's draws")
    ap.add_argument("--python", default="/work/jaxvenv/bin/python")
    ap.add_argument("--out", default=os.path.join(HERE, "results", "compare.json"))
    ap.add_argument("--jaxopt-worker", help=argparse.SUPPRESS)
    ap.add_argument("--data-dir", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.ids == "all":
        ids = QUICK_IDS if args.quick else ALL_IDS
    else:
        ids = args.ids.split(",")
    id_list = ",".join(ids)
    plain_ids = [i for i in ids if i not in anchors_batch.IDS]  # the batch workloads have their own anchors
    if args.jaxopt_worker:
        jaxopt_worker(ids, args.quick, args.runs, args.jaxopt_worker, args.data_dir)
        return
    started = time.time()
    start_stamp = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    base = os.path.splitext(os.path.abspath(args.out))[0]
    # SwiftPM can reuse a stale build plan that misses source files added to the library (a path
    # dependency) since the last build; removing the plan makes it rescan (about a second).
    stale_plan = os.path.join(HERE, ".build", "release.yaml")
    if os.path.exists(stale_plan):
        os.remove(stale_plan)
    subprocess.run(["swift", "build", "-c", "release"], cwd=HERE, check=True)
    binary = os.path.join(HERE, ".build", "release", "benchmarks")
    data_dir = None
    if args.data == "same":
        data_dir = f"{base}-data"
        subprocess.run([binary, "--only", id_list, "--export-data", data_dir], check=True,
                       stdout=subprocess.DEVNULL)
    rounds = []
    for k in range(args.rounds):
        swift_json, jax_json = f"{base}-swift-{k}.json", f"{base}-jaxopt-{k}.json"
        t = time.time()
        cmd = [binary, "--only", id_list, "--runs", str(args.runs), "--json", swift_json]
        if args.quick:
            cmd.append("--quick")
        subprocess.run(cmd, check=True)
        swift_wall = time.time() - t
        print(f"round {k}: swift {swift_wall:.0f} s", flush=True)
        t = time.time()
        worker = [args.python, os.path.abspath(__file__), "--ids", ",".join(plain_ids), "--runs", str(args.runs),
                  "--jaxopt-worker", jax_json] + (["--quick"] if args.quick else [])
        if data_dir:
            worker += ["--data-dir", data_dir]
        if plain_ids:
            subprocess.run(worker, check=True)
        jax_wall = time.time() - t
        print(f"round {k}: jaxopt {jax_wall:.0f} s", flush=True)
        t = time.time()
        batch_anchors = anchors_batch.run_round(ids, data_dir, args.runs, f"{base}-anchors-{k}.json") if data_dir else {}
        print(f"round {k}: batch anchors {time.time() - t:.0f} s", flush=True)
        with open(swift_json) as fh:
            swift_doc = json.load(fh)
        jax = {"results": {}, "versions": None}
        if plain_ids:
            with open(jax_json) as fh:
                jax = json.load(fh)
        rounds.append({"swift": {r["workload"]: r for r in swift_doc["results"]}, "jaxopt": jax["results"],
                       "machine": swift_doc["machine"], "swift_json": swift_json, "jaxopt_json": jax_json,
                       "jaxopt_versions": jax["versions"], "swift_wall_s": swift_wall, "jaxopt_wall_s": jax_wall,
                       "batch_anchors": batch_anchors})

    # The cost of one derivative product per objective, once, after the rounds (a few seconds).
    products_json = f"{base}-products.json"
    subprocess.run([binary, "--products", "--json", products_json], check=True)

    def ratio(a, b):
        return None if a is None or b is None or b == 0 else a / b

    def rel(a, b):
        return None if a is None or b is None or b == 0 else abs(a - b) / abs(b)

    table = {}
    for wid in plain_ids:
        per = {"forward": [], "implicit": [], "implicit_default": [], "unrolled": [], "implicit_vs_own_unrolled": [],
               "swift_forward_s": [], "swift_implicit_s": [], "swift_implicit_default_s": [], "swift_unrolled_s": [],
               "jaxopt_forward_s": [], "jaxopt_implicit_s": [], "jaxopt_unrolled_s": [],
               "jaxopt_vs_swift_reference_rel_diff": [], "celer_forward_s": [], "forward_vs_celer": []}
        data = set()
        for rd in rounds:
            s, j = rd["swift"].get(wid), rd["jaxopt"].get(wid)
            if s is None or j is None or "error" in s or "error" in j:
                continue
            if "celer_forward_s" in j:
                per["celer_forward_s"].append(j["celer_forward_s"])
                per["forward_vs_celer"].append(ratio(s["forward_s"], j["celer_forward_s"]))
            data.add(j.get("data", "?"))
            per["forward"].append(ratio(s["forward_s"], j["forward_s"]))
            per["implicit"].append(ratio(s["implicit_s"], j["implicit_grad_s"]))
            per["implicit_default"].append(ratio(s["implicit_default_tolerance_s"], j["implicit_grad_s"]))
            per["unrolled"].append(ratio(s.get("unrolled_s"), j.get("unrolled_grad_s")))
            per["implicit_vs_own_unrolled"].append(ratio(s["implicit_s"], s.get("unrolled_s")))
            if j.get("data", "").startswith("Swift"):
                per["jaxopt_vs_swift_reference_rel_diff"].append(
                    rel(j.get("hypergrad_implicit"), s.get("hypergradient_reference")))
            for side, rec, keys in (
                    ("swift", s, ("forward_s", "implicit_s", "implicit_default_tolerance_s", "unrolled_s")),
                    ("jaxopt", j, ("forward_s", "implicit_grad_s", None, "unrolled_grad_s"))):
                for name, key in zip(("forward_s", "implicit_s", "implicit_default_s", "unrolled_s"), keys):
                    if key is not None:
                        per[f"{side}_{name}"].append(rec.get(key))
        last_swift = next((rd["swift"][wid] for rd in reversed(rounds) if wid in rd["swift"]), {})
        last_jax = next((rd["jaxopt"][wid] for rd in reversed(rounds) if wid in rd["jaxopt"]), {})
        table[wid] = {k: spread(v) for k, v in per.items()}
        table[wid]["data"] = sorted(data)
        table[wid]["floors"] = {"forward_floor_s": last_swift.get("forward_floor_s"),
                                "implicit_floor_s": last_swift.get("implicit_floor_s")}
        table[wid]["swift_last"] = {k: v for k, v in last_swift.items() if not k.endswith("_samples_s")}
        table[wid]["jaxopt_last"] = last_jax
    out = {"ids": ids, "quick": args.quick, "rounds": args.rounds, "runs": args.runs, "data": args.data,
           "command": "python3 compare.py " + " ".join(sys.argv[1:]),
           "started": start_stamp,
           "finished": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
           "wall_s": time.time() - started,
           "machine": rounds[-1]["machine"] if rounds else None,
           "jaxopt_versions": rounds[-1]["jaxopt_versions"] if rounds else None,
           "products_json": products_json,
           "files": [{"swift": r["swift_json"], "jaxopt": r["jaxopt_json"], "swift_wall_s": r["swift_wall_s"],
                      "jaxopt_wall_s": r["jaxopt_wall_s"]} for r in rounds],
           "ratios": table,
           "batch": anchors_batch.summarize(rounds),
           "note": "ratio = Swift / JAXopt seconds, per round; min/median/max over rounds. "
                   + ("JAXopt timed on the Swift suite's exported arrays unless a workload's `data` says otherwise."
                      if args.data == "same" else "JAXopt draws its own data (same shapes/scales).")}
    with open(args.out, "w") as fh:
        json.dump(out, fh, indent=1)

    def fmt(sp):
        return "n/a" if sp is None else f"{sp['median']:.2f} [{sp['min']:.2f}–{sp['max']:.2f}]"

    print("\n| workload | data | Swift implicit s | JAXopt implicit s | implicit ratio | forward ratio | "
          "implicit (library default tol) ratio | unrolled ratio | Swift implicit / own unrolled |")
    print("|---|---|---|---|---|---|---|---|---|")
    for wid, t in table.items():
        si, ji = t["swift_implicit_s"], t["jaxopt_implicit_s"]
        same = "same" if all(d.startswith("Swift") for d in t["data"]) and t["data"] else "own draws"
        print(f"| {wid} | {same} | {'n/a' if si is None else format(si['median'], '.4f')} | "
              f"{'n/a' if ji is None else format(ji['median'], '.4f')} | {fmt(t['implicit'])} | {fmt(t['forward'])} | "
              f"{fmt(t['implicit_default'])} | {fmt(t['unrolled'])} | {fmt(t['implicit_vs_own_unrolled'])} |")
    for wid, t in out["batch"].items():
        if wid in ids:
            print(f"{wid}: " + ", ".join(f"{k} {fmt(v)}" for k, v in t.items() if k != "last" and v))
    print(f"\nwrote {args.out} ({time.time() - started:.0f} s)")


if __name__ == "__main__":
    main()
