"""Independent NumPy reference for the CPU in-context baseline (docs/inference.md).

usage: icl_reference.py DIR [MIN_EFFECT_T]
(DIR holds shape.txt and prompt/reference/query .f32 files; MIN_EFFECT_T defaults to 3)
Writes DIR/expected.f32: max(0, query + effect), effect = mean(prompt) - mean(reference or
query) where the Welch |t| of that difference is >= MIN_EFFECT_T, else 0.
"""
import os
import sys

import numpy as np

d = sys.argv[1]
with open(os.path.join(d, "shape.txt")) as f:
    n_prompt, n_reference, n_query, genes = (int(v) for v in f.read().split())


def load(name, rows):
    return np.fromfile(os.path.join(d, name), dtype="<f4").reshape(rows, genes)


prompt = load("prompt.f32", n_prompt).astype(np.float64)
query = load("query.f32", n_query)
reference = load("reference.f32", n_reference).astype(np.float64) if n_reference else query
reference = reference.astype(np.float64)
min_t = float(sys.argv[2]) if len(sys.argv) > 2 else 3.0
difference = prompt.mean(axis=0) - reference.mean(axis=0)
se = np.sqrt(prompt.var(axis=0, ddof=1) / len(prompt) + reference.var(axis=0, ddof=1) / len(reference))
with np.errstate(divide="ignore", invalid="ignore"):
    t = np.where(se > 0, difference / se, np.where(difference == 0, 0.0, np.inf))
effect = np.where((min_t <= 0) | (np.abs(t) >= min_t), difference, 0.0)
expected = np.maximum(0.0, query.astype(np.float64) + effect).astype("<f4")
expected.tofile(os.path.join(d, "expected.f32"))
