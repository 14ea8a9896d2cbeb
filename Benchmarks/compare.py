#!/usr/bin/env python3
"""Side by side: alternate the Swift suite and JAXopt (../shared/bench/bench_jaxopt.py) in one time
window and report per-workload ratios with their spread (min / median / max over rounds).

    python3 compare.py --ids ridge-p1000,lasso-p2000,svm-pg-p100 --rounds 3 --runs 3 --out results/compare.json
    python3 compare.py --quick ...          # the quick sizes of both suites

Needs a Python with jax/jaxopt (default: /work/jaxvenv/bin/python for the JAXopt runs; this driver
itself uses only the standard library). Optional: nothing in CI needs Python.

Each round runs `benchmarks --only IDS --runs N --json` (release build of this package), then one
JAXopt process timing the same workloads (same sizes, fixed iteration counts, its default reps
protocol with at least N rounds). JAXopt generates its own data with NumPy (same shapes and scales,
other draws); `benchmarks --export-data DIR` writes the Swift suite's exact arrays for same-data
checks.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH_JAXOPT = os.environ.get("BENCH_JAXOPT", os.path.join(HERE, "..", "..", "shared", "bench"))
if not os.path.isdir(BENCH_JAXOPT):
    BENCH_JAXOPT = "/work/shared/bench"


def parse_id(workload):
    family, _, size = workload.rpartition("-p")
    return family, int(size)


def jaxopt_worker(ids, quick, reps, out):
    """Runs inside the JAXopt venv: times the workloads with bench_jaxopt's own functions."""
    sys.path.insert(0, BENCH_JAXOPT)
    import bench_jaxopt as bj  # noqa: E402

    svm_iters = {"MD": 100, "PG": 100, "BCD": 10} if quick else {"MD": 500, "PG": 500, "BCD": 50}
    l2_T, lasso_T = (50, 100) if quick else (300, 500)
    done = set()
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
    for r in bj.RESULTS:
        p = int(r["size"].split("p=")[1].split(",")[0])
        if r["bench"] == "(i)":
            wid = f"svm-{r['solver'].lower()}-p{p}"
        elif r["bench"] == "(ii)":
            if not r["implicit_linear_solve"].startswith("CG"):
                continue  # JAXopt's best solve where the Hessian is SPD: CG
            wid = f"{r['problem']}-p{p}"
        else:
            wid = f"lasso-p{p}"
        results[wid] = r
    with open(out, "w") as fh:
        json.dump({"versions": bj.versions(), "results": results}, fh, indent=1)


def spread(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {"min": min(values), "median": statistics.median(values), "max": max(values), "n": len(values)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ids", default="ridge-p1000,lasso-p2000,svm-pg-p100")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--python", default="/work/jaxvenv/bin/python")
    ap.add_argument("--out", default=os.path.join(HERE, "results", "compare.json"))
    ap.add_argument("--jaxopt-worker", help=argparse.SUPPRESS)
    args = ap.parse_args()
    ids = args.ids.split(",")
    if args.jaxopt_worker:
        jaxopt_worker(ids, args.quick, args.runs, args.jaxopt_worker)
        return
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    base = os.path.splitext(os.path.abspath(args.out))[0]
    subprocess.run(["swift", "build", "-c", "release"], cwd=HERE, check=True)
    binary = os.path.join(HERE, ".build", "release", "benchmarks")
    rounds = []
    for k in range(args.rounds):
        swift_json, jax_json = f"{base}-swift-{k}.json", f"{base}-jaxopt-{k}.json"
        t = time.time()
        cmd = [binary, "--only", args.ids, "--runs", str(args.runs), "--json", swift_json]
        if args.quick:
            cmd.append("--quick")
        subprocess.run(cmd, check=True)
        print(f"round {k}: swift {time.time() - t:.0f} s", flush=True)
        t = time.time()
        worker = [args.python, os.path.abspath(__file__), "--ids", args.ids, "--runs", str(args.runs),
                  "--jaxopt-worker", jax_json] + (["--quick"] if args.quick else [])
        subprocess.run(worker, check=True)
        print(f"round {k}: jaxopt {time.time() - t:.0f} s", flush=True)
        with open(swift_json) as fh:
            swift = {r["workload"]: r for r in json.load(fh)["results"]}
        with open(jax_json) as fh:
            jax = json.load(fh)
        rounds.append({"swift": swift, "jaxopt": jax["results"], "swift_json": swift_json, "jaxopt_json": jax_json,
                       "jaxopt_versions": jax["versions"]})

    def ratio(a, b):
        return None if a is None or b is None or b == 0 else a / b

    table = {}
    for wid in ids:
        per = {"forward": [], "implicit": [], "implicit_default": [], "unrolled": [], "implicit_vs_own_unrolled": [],
               "swift_forward_s": [], "swift_implicit_s": [], "swift_unrolled_s": [],
               "jaxopt_forward_s": [], "jaxopt_implicit_s": [], "jaxopt_unrolled_s": []}
        for rd in rounds:
            s, j = rd["swift"].get(wid), rd["jaxopt"].get(wid)
            if s is None or j is None or "error" in s:
                continue
            per["forward"].append(ratio(s["forward_s"], j["forward_s"]))
            per["implicit"].append(ratio(s["implicit_s"], j["implicit_grad_s"]))
            per["implicit_default"].append(ratio(s["implicit_default_tolerance_s"], j["implicit_grad_s"]))
            per["unrolled"].append(ratio(s.get("unrolled_s"), j.get("unrolled_grad_s")))
            per["implicit_vs_own_unrolled"].append(ratio(s["implicit_s"], s.get("unrolled_s")))
            for side, rec, keys in (("swift", s, ("forward_s", "implicit_s", "unrolled_s")),
                                    ("jaxopt", j, ("forward_s", "implicit_grad_s", "unrolled_grad_s"))):
                for name, key in zip(("forward_s", "implicit_s", "unrolled_s"), keys):
                    per[f"{side}_{name}"].append(rec.get(key))
        last = rounds[-1]["swift"].get(wid, {})
        table[wid] = {k: spread(v) for k, v in per.items()}
        table[wid]["floors"] = {"forward_floor_s": last.get("forward_floor_s"),
                                "implicit_floor_s": last.get("implicit_floor_s")}
    out = {"ids": ids, "quick": args.quick, "rounds": args.rounds, "runs": args.runs,
           "jaxopt_versions": rounds[-1]["jaxopt_versions"] if rounds else None,
           "files": [{"swift": r["swift_json"], "jaxopt": r["jaxopt_json"]} for r in rounds],
           "ratios": table,
           "note": "ratio = Swift / JAXopt seconds, per round; min/median/max over rounds. "
                   "JAXopt draws its own data (same shapes/scales)."}
    with open(args.out, "w") as fh:
        json.dump(out, fh, indent=1)

    def fmt(sp):
        return "n/a" if sp is None else f"{sp['median']:.2f} [{sp['min']:.2f}–{sp['max']:.2f}]"

    print("\n| workload | Swift implicit s | JAXopt implicit s | implicit ratio | forward ratio | "
          "implicit (library default tol) ratio | unrolled ratio | Swift implicit / own unrolled |")
    print("|---|---|---|---|---|---|---|---|")
    for wid, t in table.items():
        si, ji = t["swift_implicit_s"], t["jaxopt_implicit_s"]
        print(f"| {wid} | {'n/a' if si is None else format(si['median'], '.4f')} | "
              f"{'n/a' if ji is None else format(ji['median'], '.4f')} | {fmt(t['implicit'])} | {fmt(t['forward'])} | "
              f"{fmt(t['implicit_default'])} | {fmt(t['unrolled'])} | {fmt(t['implicit_vs_own_unrolled'])} |")
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
