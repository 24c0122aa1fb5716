#!/usr/bin/python3
"""Issue 22's benchmarks on one large atlas, in one run: every figure with its ratio.

  /usr/bin/python3 bench/agent/scale.py --atlas /work/scale-data/cxg-1m.h5ad --build-dir build
      [--workdir /work/scale-data/bench] [--kb build/data/knowledge.sqlite] [--reps 3]
      [--query "How would CD14-positive monocytes respond to IFN-gamma?"]
      [--skip-io] [--skip-query] [--skip-run] [--skip-de]

The atlas is made once (docs/atlas.md, "At scale"):
  build/apps/haystack-atlas/haystack-atlas synth --layout cellxgene --cells 1000000 \\
      --genes 30000 --cell-types 320 --perturbations 320 --donors 60 --nnz-per-cell 1500 \\
      --kb build/data/knowledge.sqlite -o /work/scale-data/cxg-1m.h5ad

Sections, each beside what a user would otherwise run:
  io     open + obs, select, 50k-cell gather and the sequential read of the same bytes, vs
         Python anndata 0.8 backed (bench/atlas/compare.py's workers; warm page cache);
  query  query analysis with the atlas's full vocabulary (bench_query);
  run    a whole run on the CPU baseline (haystack-orchestrator run, SQLite, local artifacts):
         wall clock and peak RSS of the process, log.json's phases beside the wall clock,
         per-iteration overhead (the iteration minus inference), bytes of every artifact;
  de     Wilcoxon DE, 30k genes x 2k vs 2k cells at the atlas's sparsity, vs SciPy
         (bench/scoring/compare_scipy.py).
Needs Debian's /usr/bin/python3 (anndata, numpy, scipy).
"""
import argparse
import importlib.util
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def load_atlas_compare():
    """bench/atlas/compare.py, for its measurement workers and helpers."""
    spec = importlib.util.spec_from_file_location(
        "atlas_compare", os.path.join(HERE, "..", "atlas", "compare.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def median(v):
    v = sorted(v)
    m = len(v) // 2
    return v[m] if len(v) % 2 else (v[m - 1] + v[m]) / 2


def mib(b):
    return f"{b / 2**20:,.0f} MiB"


def goal(met, text):
    return f"(goal {text}: {'met' if met else 'NOT met'})"


# ---- io ---------------------------------------------------------------------------------

def io_section(a, cmp):
    bench = os.path.join(a.build_dir, "bench/atlas/atlas_bench")
    atlas = a.atlas
    import numpy as np

    def settle():
        cmp.py("warm", atlas)

    probe = json.loads(subprocess.run(
        [bench, "open", "--atlas", atlas], check=True, stdout=subprocess.PIPE,
        text=True).stdout.strip().splitlines()[-1])
    cells = probe["cells"]
    idx = np.sort(np.random.default_rng(1).choice(cells, a.gather_cells, replace=False))
    idx_file = os.path.join(a.workdir, "gather_indices.txt")
    np.savetxt(idx_file, idx, fmt="%d")
    where = ["cell_type=CD14-positive monocyte", "perturbation=IFNG,mock,sgNT"]
    runs = {k: [] for k in ("cpp_open", "ann_open", "cpp_sel", "ann_sel", "cpp_g", "ann_g",
                            "seq")}
    for _ in range(a.reps):
        settle()
        runs["cpp_open"].append(cmp.child([bench, "open", "--atlas", atlas]))
        runs["ann_open"].append(cmp.py("anndata-open", atlas))
        runs["cpp_sel"].append(cmp.child([bench, "select", "--atlas", atlas, "--where", *where]))
        runs["ann_sel"].append(py_select(atlas))
        runs["cpp_g"].append(cmp.child([bench, "gather", "--atlas", atlas, "--indices",
                                        idx_file]))
        runs["seq"].append(cmp.child([bench, "sequential", "--atlas", atlas, "--elements",
                                      str(runs["cpp_g"][-1]["nnz"])]))
        runs["ann_g"].append(cmp.py("anndata-gather", atlas, idx_file))
        assert runs["ann_g"][-1]["nnz"] == runs["cpp_g"][-1]["nnz"]
        assert runs["ann_sel"][-1]["cells"] == runs["cpp_sel"][-1]["cells"], runs
    s = {k: median([r["seconds"] for r in v]) for k, v in runs.items()}

    def paired(num, den):
        p = [d["seconds"] / n["seconds"] for n, d in zip(runs[num], runs[den])]
        return f"paired per round median {median(p):.2f}x (range {min(p):.2f}-{max(p):.2f})"

    print(f"\n## atlas I/O: {atlas} ({cells:,} cells, {mib(os.path.getsize(atlas))}), "
          f"{a.reps} interleaved rounds, warm page cache, medians")
    r = s["ann_open"] / s["cpp_open"]
    print(f"  open + obs      haystack {s['cpp_open']:.3f} s (peak RSS "
          f"{mib(runs['cpp_open'][0]['peak_rss'])})  anndata backed {s['ann_open']:.3f} s "
          f"(peak RSS {mib(runs['ann_open'][0]['peak_rss'])})")
    print(f"                  speed-up {r:.1f}x, {paired('cpp_open', 'ann_open')} "
          f"{goal(r >= 10, '>= 10x')}")
    print(f"  select          {' & '.join(where)}: {runs['cpp_sel'][0]['cells']:,} cells")
    print(f"                  haystack {s['cpp_sel']:.4f} s  anndata backed obs mask "
          f"{s['ann_sel']:.4f} s  speed-up {s['ann_sel'] / s['cpp_sel']:.1f}x")
    g = runs["cpp_g"][0]
    rg = s["ann_g"] / s["cpp_g"]
    rs = s["cpp_g"] / s["seq"]
    print(f"  gather {a.gather_cells:,} random cells ({g['nnz']:,} non-zeros, "
          f"{mib(g['bytes'])} of data+indices)")
    print(f"                  haystack {s['cpp_g']:.3f} s  anndata backed X[idx] {s['ann_g']:.3f} s"
          f"  sequential read of the same bytes {s['seq']:.3f} s")
    print(f"                  vs anndata {rg:.1f}x, {paired('cpp_g', 'ann_g')} "
          f"{goal(rg >= 5, '>= 5x')}")
    print(f"                  gather / sequential {rs:.2f}x "
          f"(sequential/gather {paired('seq', 'cpp_g')}) {goal(rs <= 2, '<= 2x')}")


def py_select(atlas):
    return json.loads(subprocess.run(
        [sys.executable, __file__, "--worker", "anndata-select", atlas], check=True,
        stdout=subprocess.PIPE, text=True).stdout.strip().splitlines()[-1])


def worker(args):
    if args[0] == "anndata-select":
        import anndata as ad
        b = ad.read_h5ad(args[1], backed="r")
        obs = b.obs
        t = time.perf_counter()
        mask = (obs["cell_type"] == "CD14-positive monocyte") & obs["treatment"].isin(
            ["IFNG", "mock", "sgNT"])
        cells = int(mask.values.nonzero()[0].size)
        s = time.perf_counter() - t
        print(json.dumps({"seconds": s, "cells": cells}))


# ---- query ------------------------------------------------------------------------------

def query_section(a):
    cmd = [os.path.join(a.build_dir, "bench/agent/bench_query"), "--atlas", a.atlas, "--kb",
           a.kb]
    t = time.perf_counter()
    out = json.loads(subprocess.run(cmd, check=True, stdout=subprocess.PIPE,
                                    text=True).stdout.strip().splitlines()[-1])
    wall = time.perf_counter() - t
    print(f"\n## query analysis with the full vocabulary ({out['cell_types']} cell types, "
          f"{out['perturbations']} perturbations, {out['donors']} donors, {out['genes']:,} genes)")
    print(f"  knowledge base open {out['kb_open_seconds']:.3f} s, atlas open "
          f"{out['atlas_open_seconds']:.3f} s, vocabulary build {out['vocabulary_seconds']:.3f} s "
          f"(once per run, before the query is read); process {wall:.2f} s, peak RSS "
          f"{mib(out['peak_rss'])}")
    for q in out["queries"]:
        print(f"  {q['seconds']:.4f} s  {q['query']!r}: {q['outcome'][:80]}")
    slowest = out["slowest_analyze_seconds"] + out["vocabulary_seconds"]
    print(f"  vocabulary + slowest analysis {slowest:.3f} s {goal(slowest <= 1, '<= 1 s')}")


# ---- run --------------------------------------------------------------------------------

def run_section(a):
    root = os.path.join(a.workdir, f"run-{int(time.time())}")
    os.makedirs(root)
    env = dict(os.environ)
    env.update({
        "HAYSTACK_DATABASE_URL": f"sqlite:///{root}/haystack.db",
        "HAYSTACK_ATLAS_PATH": a.atlas,
        "HAYSTACK_KNOWLEDGE_BASE": a.kb,
        "HAYSTACK_ARTIFACT_ROOT": os.path.join(root, "results"),
        "HAYSTACK_OUTBOX_DIR": os.path.join(root, "outbox"),
        "HAYSTACK_SCRATCH_DIR": os.path.join(root, "scratch"),
        "HAYSTACK_LOG_FORMAT": "json",
    })
    os.makedirs(env["HAYSTACK_SCRATCH_DIR"])
    cmd = [os.path.join(a.build_dir, "apps/haystack-orchestrator/haystack-orchestrator"), "run",
           "-q", a.query, "--email", "bench@example.org", "--seed", "1"]
    t = time.perf_counter()
    with open(os.path.join(root, "stdout.log"), "w") as out_f, \
            open(os.path.join(root, "stderr.log"), "w") as err:
        proc = subprocess.Popen(cmd, env=env, stdout=out_f, stderr=err)
        # wait4: this process's own peak RSS (RUSAGE_CHILDREN would mix in earlier sections).
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    code = os.waitstatus_to_exitcode(status)
    rss = usage.ru_maxrss * 1024
    out = open(os.path.join(root, "stdout.log")).read()
    print(f"\n## a whole run on the CPU baseline: {a.query!r}")
    print(f"  exit {code}, wall clock {wall:.1f} s, peak RSS {mib(rss)} "
          f"{goal(rss <= 2 * 2**30, '<= 2 GB')}")
    logs = [os.path.join(d, "log.json") for d, _, files in
            os.walk(os.path.join(root, "results")) if "log.json" in files]
    if not logs:
        print(f"  no log.json under {root}; stdout: {out[-500:]}")
        return
    log = json.load(open(logs[0]))
    phases = log.get("phases", [])
    logged = sum(p.get("duration_seconds") or 0 for p in phases)
    print(f"  log.json: status {log.get('status')}, {len(log.get('iterations', []))} iterations, "
          f"phases sum to {logged:.1f} s of {wall:.1f} s wall clock "
          f"({logged / wall:.0%}; the rest is process start, atlas open and the vocabulary)")
    for p in phases:
        it = p.get("iteration")
        print(f"    {p['phase']:24s} {'' if it is None else it!s:>3} "
              f"{p.get('duration_seconds') or 0:8.3f} s")
    worst = 0.0
    for it in log.get("iterations", []):
        ph = it.get("phase_seconds") or {}
        total = it.get("duration_seconds") or 0
        inference = sum(v for k, v in ph.items() if "inference" in k)
        worst = max(worst, total - inference)
        print(f"  iteration {it['number']}: {total:.2f} s, inference {inference:.2f} s, overhead "
              f"{total - inference:.2f} s  {json.dumps({k: round(v, 3) for k, v in ph.items()})}")
    print(f"  worst per-iteration overhead {worst:.2f} s {goal(worst <= 1, '<= 1 s')}")
    total_bytes = 0
    sizes = []
    for d, _, files in os.walk(os.path.join(root, "results")):
        for f in files:
            p = os.path.join(d, f)
            sizes.append((os.path.getsize(p), os.path.relpath(p, root)))
            total_bytes += sizes[-1][0]
    print(f"  artifacts: {len(sizes)} files, {mib(total_bytes)} in all; largest:")
    for size, name in sorted(sizes, reverse=True)[:8]:
        print(f"    {mib(size):>10}  {name}")
    if a.baseline_bytes:
        share = total_bytes / a.baseline_bytes
        print(f"  {share:.0%} of the {mib(a.baseline_bytes)} before the change "
              f"{goal(share <= 0.25, '<= 25%')}")
    check_readers(a, root)


def check_readers(a, root):
    """Every .h5ad artifact read back by Python anndata (shape and X's encoding)."""
    files = [os.path.join(d, f) for d, _, fs in os.walk(os.path.join(root, "results"))
             for f in fs if f.endswith(".h5ad")]
    code = ("import sys, anndata, h5py\n"
            "for p in sys.argv[1:]:\n"
            "    x = anndata.read_h5ad(p)\n"
            "    with h5py.File(p) as f:\n"
            "        enc = f['X'].attrs.get('encoding-type', 'array')\n"
            "        comp = (f['X'] if enc == 'array' else f['X/data']).compression\n"
            "    print(f'    {x.n_obs} x {x.n_vars} {enc} {comp}  {p}')\n")
    r = subprocess.run([sys.executable, "-c", code, *files], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    print(f"  anndata reads every .h5ad artifact: {'yes' if r.returncode == 0 else 'NO'}")
    print("\n".join(l.replace(root + "/", "") for l in r.stdout.splitlines()[-12:]))


# ---- de ---------------------------------------------------------------------------------

def de_section(a):
    print("\n## DE: Wilcoxon, 30,000 genes x 2,000 vs 2,000 cells, 95% zeros, vs SciPy")
    sys.stdout.flush()
    subprocess.run([sys.executable, os.path.join(HERE, "..", "scoring", "compare_scipy.py"),
                    a.build_dir, "--genes", "30000", "--cells", "2000", "--zeros", "0.95",
                    "--threads", "1,2"], check=True)


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker(sys.argv[2:])
        return
    p = argparse.ArgumentParser()
    p.add_argument("--atlas", required=True)
    p.add_argument("--build-dir", default="build")
    p.add_argument("--workdir", default="/tmp/haystack-scale-bench")
    p.add_argument("--kb", default=None)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--gather-cells", type=int, default=50_000)
    p.add_argument("--query", default="How would CD14-positive monocytes respond to IFN-gamma?")
    p.add_argument("--baseline-bytes", type=float, default=0,
                   help="artifact bytes of the same run before the change, for the ratio")
    for s in ("io", "query", "run", "de"):
        p.add_argument(f"--skip-{s}", action="store_true")
    a = p.parse_args()
    a.kb = a.kb or os.path.join(a.build_dir, "data/knowledge.sqlite")
    a.atlas = os.path.abspath(a.atlas)
    os.makedirs(a.workdir, exist_ok=True)
    print(f"# scale benchmarks ({os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.1f} at the start)")
    if not a.skip_io:
        io_section(a, load_atlas_compare())
    if not a.skip_query:
        query_section(a)
    if not a.skip_run:
        run_section(a)
    if not a.skip_de:
        de_section(a)
    print(f"\n(load average {os.getloadavg()[0]:.1f} at the end)")


if __name__ == "__main__":
    main()
