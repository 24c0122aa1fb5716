#!/usr/bin/python3
"""Reads lines "k N K n" from the file named by argv[1] and prints scipy.stats.hypergeom.sf(k - 1, N, K, n) = P(X >= k)."""
import sys

from scipy import stats

for line in open(sys.argv[1]):
    if line.strip():
        k, N, K, n = (int(v) for v in line.split())
        print(repr(float(stats.hypergeom.sf(k - 1, N, K, n))))
