#!/usr/bin/python3
"""Independent reference for RunPredictionDe (tests/scoring/prediction_de_test.cc), written from
docs/scoring.md §1.2 with NumPy and SciPy.

usage: prediction_de_reference.py DIR
DIR holds float32 matrices treated.f32, control.f32 (rows x genes, rows correspond),
evidence_t.f32, evidence_c.f32, int32 units.i32 (unit of each row, -1 = none), ec_units.i32
(unit of each evidence control row; empty file = within one sample) and shape.txt:
"rows genes evidence_treated_rows evidence_control_rows".

prints per gene: lfc tested p_units p_evidence p q   (nan where a test did not apply)
"""
import sys

import numpy as np
from scipy import stats

MIN_CELLS_PER_UNIT = 10
MIN_DETECTION = 0.1


def bh(p):
    p = np.asarray(p, dtype=np.float64)
    n = p.size
    if n == 0:
        return p
    order = np.argsort(p, kind="mergesort")
    ranked = p[order] * n / np.arange(1, n + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(n)
    out[order] = np.minimum(q, 1.0)
    return out


def log2_pseudobulk(x):
    return np.log2(np.expm1(x.astype(np.float64)).mean(axis=0) + 1)


def paired_t(d):
    if np.all(d == d[0]):
        return 0.0 if d[0] != 0 else 1.0
    return stats.ttest_rel(d, np.zeros_like(d)).pvalue  # = ttest_rel of the two log pseudobulks


def crawford_howell(case, controls):
    n = len(controls)
    s = controls.std(ddof=1)
    if s == 0:
        return (0.0 if case != controls.mean() else 1.0), np.sign(case - controls.mean())
    t = (case - controls.mean()) / (s * np.sqrt((n + 1) / n))
    return 2 * stats.t.sf(abs(t), n - 1), np.sign(t)


def main():
    d = sys.argv[1]
    rows, g, n_et, n_ec = (int(v) for v in open(d + "/shape.txt").read().split())
    t = np.fromfile(d + "/treated.f32", dtype=np.float32).reshape(rows, g)
    c = np.fromfile(d + "/control.f32", dtype=np.float32).reshape(rows, g)
    et = np.fromfile(d + "/evidence_t.f32", dtype=np.float32).reshape(n_et, g)
    ec = np.fromfile(d + "/evidence_c.f32", dtype=np.float32).reshape(n_ec, g)
    units = np.fromfile(d + "/units.i32", dtype=np.int32)
    ec_units = np.fromfile(d + "/ec_units.i32", dtype=np.int32)

    lfc = log2_pseudobulk(t) - log2_pseudobulk(c)
    tested = np.maximum((t != 0).mean(axis=0), (c != 0).mean(axis=0)) >= MIN_DETECTION
    usable = [u for u in np.unique(units) if u >= 0 and (units == u).sum() >= MIN_CELLS_PER_UNIT]
    diffs = np.array([log2_pseudobulk(t[units == u]) - log2_pseudobulk(c[units == u])
                      for u in usable]) if usable else np.zeros((0, g))

    if len(ec_units) == 0:
        p_e = np.array([stats.mannwhitneyu(et[:, j], ec[:, j], method="asymptotic",
                                           use_continuity=True, alternative="two-sided").pvalue
                        for j in range(g)])
        u1 = np.array([stats.mannwhitneyu(et[:, j], ec[:, j], method="asymptotic").statistic
                       for j in range(g)])
        dir_e = np.sign(u1 - n_et * n_ec / 2)
    else:
        case = log2_pseudobulk(et)
        donors = [u for u in np.unique(ec_units) if (ec_units == u).sum() >= MIN_CELLS_PER_UNIT]
        per_donor = np.array([log2_pseudobulk(ec[ec_units == u]) for u in donors])
        p_e, dir_e = np.ones(g), np.zeros(g)
        for j in range(g):
            p_e[j], dir_e[j] = crawford_howell(case[j], per_donor[:, j])

    out = []
    for j in range(g):
        p_u = paired_t(diffs[:, j]) if len(usable) >= 2 else np.nan
        pe = p_e[j] if dir_e[j] == (1 if lfc[j] > 0 else -1) else 1.0
        p = max(pe, p_u) if len(usable) >= 2 else pe
        out.append([lfc[j], float(tested[j]), p_u if tested[j] else np.nan,
                    pe if tested[j] else np.nan, p if tested[j] else 1.0])
    out = np.array(out)
    q = np.ones(g)
    q[tested] = bh(out[tested, 4])
    for r, qq in zip(out, q):
        print(" ".join(repr(float(v)) for v in list(r) + [qq]))


main()
