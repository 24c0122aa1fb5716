#!/usr/bin/python3
"""Wilcoxon DE: HAYSTACK vs SciPy's vectorised mannwhitneyu on the same data, in one run.

usage: bench/scoring/compare_scipy.py BUILD_DIR [--scipy-genes N] [driver flags...]

Runs build/bench/scoring/bench_scoring_wilcoxon (default 20,000 genes x 5,000 vs 5,000 cells,
~75% zeros, 1 and 2 threads), then scipy.stats.mannwhitneyu(x, y, axis=0,
method="asymptotic") on the first N genes (default 2,000; "all" for every gene). With a subset,
SciPy's time is extrapolated linearly to all genes (its cost is per gene column) and the script
says so. Prints wall and CPU seconds, the ratios, and the largest relative p-value difference.
Needs Debian's /usr/bin/python3 (numpy, scipy).
"""
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np
from scipy import sparse, stats


def load(d, group, cells, genes):
    indptr = np.fromfile(f"{d}/{group}_indptr.i64", dtype=np.int64)
    indices = np.fromfile(f"{d}/{group}_indices.i32", dtype=np.int32)
    data = np.fromfile(f"{d}/{group}_data.f32", dtype=np.float32)
    return sparse.csr_matrix((data, indices, indptr), shape=(cells, genes))


def main():
    args = sys.argv[1:]
    if not args:
        sys.exit(__doc__)
    build = args.pop(0)
    scipy_genes = "2000"
    if "--scipy-genes" in args:
        i = args.index("--scipy-genes")
        scipy_genes = args[i + 1]
        del args[i:i + 2]
    driver = os.path.join(build, "bench/scoring/bench_scoring_wilcoxon")
    with tempfile.TemporaryDirectory() as d:
        out = subprocess.run([driver, *args, "--write", d], check=True, capture_output=True,
                             text=True).stdout
        print(out, end="")
        times = {int(t): (float(w), float(c)) for t, w, c in re.findall(
            r"haystack wilcoxon threads=(\d+): ([\d.]+) s wall, ([\d.]+) s CPU", out)}
        n1, n2, genes = (int(v) for v in open(f"{d}/shape.txt").read().split())
        ours_p = np.fromfile(f"{d}/pvalues.f64", dtype=np.float64)
        k = genes if scipy_genes == "all" else min(genes, int(scipy_genes))
        x = load(d, "treated", n1, genes)[:, :k].toarray().astype(np.float64)
        y = load(d, "control", n2, genes)[:, :k].toarray().astype(np.float64)
    wall0, cpu0 = time.perf_counter(), time.process_time()
    res = stats.mannwhitneyu(x, y, axis=0, method="asymptotic", use_continuity=True,
                             alternative="two-sided")
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    scale = genes / k
    note = "measured" if k == genes else f"measured on {k} genes, extrapolated x{scale:g} to {genes}"
    print(f"scipy mannwhitneyu (vectorised): {wall * scale:.1f} s wall, {cpu * scale:.1f} s CPU "
          f"({note})")
    ref = res.pvalue
    rel = np.abs(ours_p[:k] - ref) / np.maximum(np.abs(ref), 1e-300)
    print(f"p-values vs scipy on {k} genes: max relative difference {rel.max():.2e}, "
          f"smallest p {ref.min():.3g}")
    for t, (w, c) in sorted(times.items()):
        print(f"speed-up vs scipy, {t} thread(s): {wall * scale / w:.0f}x wall, "
              f"{cpu * scale / c:.0f}x CPU")
    if 1 in times and 2 in times:
        print(f"2 vs 1 thread wall-clock speed-up: {times[1][0] / times[2][0]:.2f}x "
              f"(CPU seconds {times[1][1]:.2f} vs {times[2][1]:.2f})")


main()
