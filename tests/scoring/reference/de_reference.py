#!/usr/bin/python3
"""Independent reference for tests/scoring: reads float32 group matrices written by the C++
test and prints SciPy's (and a re-implemented scanpy's) statistics, one gene per line.

usage: de_reference.py DIR   (DIR holds treated.f32, control.f32, shape.txt: n1 n2 genes)
prints per gene: u p_mwu z_scanpy p_scanpy t p_welch lfc, then BH and Bonferroni of p_mwu.
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
        ma, mb = a.astype(np.float64).mean(), b.astype(np.float64).mean()
        lfc = np.log2((np.expm1(ma) + 1e-9) / (np.expm1(mb) + 1e-9))
        rows.append([u, p, z, pz, t, pt, lfc])
    rows = np.array(rows)
    q = bh(rows[:, 1])
    bonf = np.minimum(rows[:, 1] * g, 1.0)
    for r, qq, bb in zip(rows, q, bonf):
        print(" ".join(repr(float(v)) for v in list(r) + [qq, bb]))


main()
