"""The same mean-shift baseline in NumPy, timed on the same shapes as inference_bench.

usage: numpy_baseline.py QUERY_CELLS PROMPT_CELLS GENES   → prints "cells_per_second <x>"
The data are random log1p-like float32 matrices (the timing does not depend on the values).
"""
import sys
import time

import numpy as np

n_query, n_prompt, genes = (int(v) for v in sys.argv[1:4])
rng = np.random.default_rng(0)


def expression(rows):
    m = rng.uniform(0, 3, size=(rows, genes)).astype(np.float32)
    m[rng.random((rows, genes)) < 0.6] = 0
    return m


query, prompt, reference = expression(n_query), expression(n_prompt), expression(n_prompt)
best = float("inf")
for _ in range(3):
    start = time.perf_counter()
    effect = prompt.mean(axis=0, dtype=np.float64) - reference.mean(axis=0, dtype=np.float64)
    predicted = np.maximum(0, query + effect.astype(np.float32))
    best = min(best, time.perf_counter() - start)
print(f"cells_per_second {n_query / best:.1f}")
