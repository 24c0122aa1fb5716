"""Independent NumPy reference for the CPU in-context baseline (docs/inference.md).

usage: icl_reference.py DIR   (DIR holds shape.txt and prompt/reference/query .f32 files)
Writes DIR/expected.f32: max(0, query + (mean(prompt) - mean(reference or query))).
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
effect = prompt.mean(axis=0) - reference.astype(np.float64).mean(axis=0)
expected = np.maximum(0.0, query.astype(np.float64) + effect).astype("<f4")
expected.tofile(os.path.join(d, "expected.f32"))
