#!/usr/bin/env python3
"""Markdown tables for docs/benchmarks.md from the suite's JSON (`benchmarks --json FILE`) and,
optionally, the comparison driver's JSON (`compare.py --out FILE`). Standard library only.

    python3 report.py results/swift-full.json [results/compare.json]
"""

import json
import sys


def f(x, digits=4):
    return "n/a" if x is None else f"{x:.{digits}f}"


def e(x):
    return "n/a" if x is None else f"{x:.1e}"


def suite_table(path):
    with open(path) as fh:
        doc = json.load(fh)
    m = doc["machine"]
    print(f"Machine: {m.get('cpu', '?')}, {m['cores']} cores, {m['memory_bytes'] / 2**30:.0f} GiB; "
          f"measured bandwidth {m['bandwidth_one_thread_GBps']:.1f} GB/s (one thread), "
          f"{m['bandwidth_all_cores_GBps']:.1f} GB/s (all cores); cache-resident (4 MB) "
          f"{m.get('cache_bandwidth_one_thread_GBps', float('nan')):.1f} / {m.get('cache_bandwidth_all_cores_GBps', float('nan')):.1f} GB/s; {doc['date']}; runs = {doc['runs']}"
          f"{', --quick' if doc['quick'] else ''}.\n")
    print("| workload | T | forward s | floor | implicit s (JAXopt's solve, 1e-5) | floor | lin. it. | "
          "implicit s (library default) | default solve | unrolled s | implicit ≤ unrolled | "
          "rel. diff vs reference (1e-5 / default) | rel. diff vs unrolled | final error |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in doc["results"]:
        if "error" in r:
            print(f"| {r['workload']} | {r['iterations']} | failed: {r['error']} |" + " |" * 11)
            continue
        u = r.get("unrolled_s")
        ok = "n/a" if u is None else ("yes" if r["implicit_s"] <= u else "**no**")
        print(f"| {r['workload']} | {r['iterations']} | {f(r['forward_s'])} | {f(r['forward_floor_s'])} | "
              f"{f(r['implicit_s'])} | {f(r['implicit_floor_s'])} | {r['linear_solve']} {r['linear_iterations']} | "
              f"{f(r['implicit_default_tolerance_s'])} | {r['default_linear_solve']} {r['default_linear_iterations']} | "
              f"{f(u) if u is not None else 'n/a (' + r.get('unrolled_note', '') + ')'} | {ok} | "
              f"{e(r['implicit_vs_reference_rel_diff'])} / {e(r['implicit_default_vs_reference_rel_diff'])} | "
              f"{e(r.get('implicit_vs_unrolled_rel_diff'))} | {e(r['final_error'])} |")


def compare_table(path):
    with open(path) as fh:
        doc = json.load(fh)

    def sp(s, digits=2):
        return "n/a" if s is None else f"{s['median']:.{digits}f} [{s['min']:.{digits}f}–{s['max']:.{digits}f}]"

    print(f"\n{doc['rounds']} rounds (Swift then JAXopt in each), {doc['runs']} timed runs per side per round; "
          "seconds and ratios are median [min–max] over rounds.\n")
    print("| workload | Swift forward s | JAXopt forward s | forward ratio | Swift implicit s | JAXopt implicit s | "
          "implicit ratio | implicit ratio, library default tol | Swift unrolled s | JAXopt unrolled s | "
          "Swift implicit / own unrolled | implicit floor s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for wid, t in doc["ratios"].items():
        print(f"| {wid} | {sp(t['swift_forward_s'], 4)} | {sp(t['jaxopt_forward_s'], 4)} | {sp(t['forward'])} | "
              f"{sp(t['swift_implicit_s'], 4)} | {sp(t['jaxopt_implicit_s'], 4)} | {sp(t['implicit'])} | "
              f"{sp(t['implicit_default'])} | {sp(t['swift_unrolled_s'], 4)} | {sp(t['jaxopt_unrolled_s'], 4)} | "
              f"{sp(t['implicit_vs_own_unrolled'])} | {f(t['floors']['implicit_floor_s'])} |")


if __name__ == "__main__":
    suite_table(sys.argv[1])
    if len(sys.argv) > 2:
        compare_table(sys.argv[2])
