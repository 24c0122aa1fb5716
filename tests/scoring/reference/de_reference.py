#!/usr/bin/python3
"""Independent reference for tests/scoring: reads float32 group matrices written by the C++
test and prints SciPy's (and a re-implemented scanpy's) statistics, one gene per line.

usage: de_reference.py DIR   (DIR holds treated.f32, control.f32, shape.txt: n1 n2 genes)
prints per gene: u p_mwu z_scanpy p_scanpy t p_welch lfc tested, then BH and Bonferroni of
p_mwu over the tested genes (1 for the others). lfc = log2(mean(expm1 x) + 1) per group (Seurat's
pseudocount 1); tested = detected (x != 0) in >= 10% of the cells of either group (Seurat min.pct).
"""
import sys

import numpy as np
from scipy import stats


def bh(p):
    # Benjamini-Hochberg written out independently of the C++ (statsmodels is not installed and
    # Debian's SciPy 1.10 predates false_discovery_control).
    p = np.asarray(p, dtype=np.float64)
    n = p.size
    order = np.argsort(p, kind="mergesort")
    ranked = p[order] * n / np.arange(1, n + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(n)
    out[order] = np.minimum(q, 1.0)
    return out


def main():
    d = sys.argv[1]
    n1, n2, g = (int(v) for v in open(d + "/shape.txt").read().split())
    x = np.fromfile(d + "/treated.f32", dtype=np.float32).reshape(n1, g)
    y = np.fromfile(d + "/control.f32", dtype=np.float32).reshape(n2, g)
    n = n1 + n2
    rows = []
    for j in range(g):
        a, b = x[:, j], y[:, j]
        u, p = stats.mannwhitneyu(a, b, method="asymptotic", use_continuity=True,
                                  alternative="two-sided")
        # scanpy rank_genes_groups(method="wilcoxon") default: no tie, no continuity correction.
        ranks = stats.rankdata(np.concatenate([a, b]))
        z = (ranks[:n1].sum() - n1 * (n + 1) / 2) / np.sqrt(n1 * n2 * (n + 1) / 12)
        pz = 2 * stats.norm.sf(abs(z))
        t, pt = stats.ttest_ind(a.astype(np.float64), b.astype(np.float64), equal_var=False)
        a64, b64 = a.astype(np.float64), b.astype(np.float64)
        lfc = np.log2(np.expm1(a64).mean() + 1) - np.log2(np.expm1(b64).mean() + 1)
        tested = max((a != 0).mean(), (b != 0).mean()) >= 0.1
        rows.append([u, p, z, pz, t, pt, lfc, float(tested)])
    rows = np.array(rows)
    tested = rows[:, 7] == 1
    q = np.ones(g)
    q[tested] = bh(rows[tested, 1])
    bonf = np.ones(g)
    bonf[tested] = np.minimum(rows[tested, 1] * tested.sum(), 1.0)
    for r, qq, bb in zip(rows, q, bonf):
        print(" ".join(repr(float(v)) for v in list(r) + [qq, bb]))


main()
