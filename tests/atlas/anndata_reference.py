"""Python anndata side of the h5ad round-trip tests (run with Debian's /usr/bin/python3).

  anndata_reference.py dump FILE    read FILE with anndata, print it as canonical JSON
  anndata_reference.py write FILE   write a reference file with anndata, then dump it

The canonical JSON form is what tests/atlas/h5ad_python_test.cc builds from the C++ AnnData,
so that the two sides are compared value by value.
"""
import json
import sys

import anndata as ad
import numpy as np
import pandas as pd
import scipy.sparse as sp


def scalar(v):
    if isinstance(v, (np.bool_, bool)):
        return bool(v)
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return float(v)
    return v


def column(series):
    dtype = str(series.dtype)
    out = {"dtype": dtype}
    if dtype == "category":
        out["categories"] = [str(c) for c in series.cat.categories]
        out["codes"] = [int(c) for c in series.cat.codes]
        out["ordered"] = bool(series.cat.ordered)
    elif dtype in ("Int64", "Int32", "boolean", "string"):
        out["values"] = [None if pd.isna(v) else scalar(v) for v in series]
    else:
        out["values"] = [scalar(v) for v in series.tolist()]
    return out


def frame(df):
    return {"index": [str(i) for i in df.index], "columns": list(df.columns),
            "data": {c: column(df[c]) for c in df.columns}}


def tree(v):
    if isinstance(v, dict):
        return {str(k): tree(x) for k, x in v.items()}
    if isinstance(v, pd.DataFrame):
        return {"dataframe": frame(v)}
    if isinstance(v, np.ndarray):
        return {"array": [scalar(x) for x in v.ravel().tolist()], "shape": list(v.shape)}
    if isinstance(v, (list, tuple)):
        return [tree(x) for x in v]
    return scalar(v)


def dump(a):
    X = a.X
    if X is not None and sp.issparse(X):
        X = X.toarray()
    return {
        "shape": list(a.shape),
        "X": None if X is None else np.asarray(X, dtype=np.float64).ravel().tolist(),
        "obs": frame(a.obs),
        "var": frame(a.var),
        "uns": tree(dict(a.uns)),
        "obsm": {k: tree(np.asarray(v)) for k, v in a.obsm.items()},
        "layers": {k: np.asarray(v.toarray() if sp.issparse(v) else v,
                                 dtype=np.float64).ravel().tolist()
                   for k, v in a.layers.items()},
    }


def write_reference(path):
    X = sp.csr_matrix(np.array([[0, 1.5, 0, 2], [0, 0, 0, 0], [3.25, 0, 1, 0],
                                [0, 0, 0, 7], [1, 2, 3, 4], [0, 0.5, 0, 0]], dtype=np.float32))
    obs = pd.DataFrame(
        {
            "cell_type": pd.Categorical(["T", "B", "T", None, "NK", "B"],
                                        categories=["B", "NK", "T"]),
            "batch": ["b1", "b1", "b2", "b2", "b1", "b2"],
            "barcode_note": ["n0", "n1", "n2", "n3", "n4", "n5 é"],
            "n_counts": np.array([10, 20, 30, 40, 50, 60], dtype=np.int64),
            "pct_mito": [0.1, 0.2, 0.3, 0.4, 0.5, 0.25],
            "is_doublet": [False, True, False, False, True, False],
            "nullable_int": pd.array([1, None, 3, 4, 5, 6], dtype="Int64"),
            "nullable_bool": pd.array([True, None, False, True, False, True], dtype="boolean"),
            "stage": pd.Categorical(["early", "late", "mid", "early", "late", "mid"],
                                    categories=["early", "mid", "late"], ordered=True),
        },
        index=[f"cell{i}" for i in range(6)],
    )
    var = pd.DataFrame(
        {"gene_symbols": ["STAT1", "IRF1", "GBP1", "CXCL10"],
         "highly_variable": [True, False, True, False],
         "means": [0.5, 1.5, 2.5, 3.5]},
        index=pd.Index(["ENSG1", "ENSG2", "ENSG3", "ENSG4"], name="gene_ids"),
    )
    a = ad.AnnData(X=X, obs=obs, var=var)
    a.obsm["X_pca"] = np.arange(12, dtype=np.float32).reshape(6, 2)
    a.layers["counts"] = sp.csr_matrix(np.asarray(X.toarray() * 2, dtype=np.float32))
    a.uns["haystack"] = {
        "run_id": "hay_20261125_abc", "iteration": 3, "score": 0.875, "converged": True,
        "np_int32": np.int32(7), "genes": ["STAT1", "IRF1"], "ints": [1, 2, 3],
        "floats": np.array([0.5, 1.25]),
        "params": {"strategy": "direct", "k": 50, "nested": {"deep": "yes"}},
    }
    a.uns["df_in_uns"] = pd.DataFrame({"gene": ["STAT1", "IRF1"], "logfc": [1.5, -0.5]})
    a.write_h5ad(path)


def write_new_layout(path):
    """Encodings of anndata 0.11-0.13 that 0.8 cannot write, built with h5py: obs/_index as a
    nullable-string-array group (pandas 3 strings), a nullable string column, a `null` in uns,
    uint16 CSR indices with int64 indptr, and a CSC layer."""
    import h5py

    def enc(obj, t, v):
        obj.attrs["encoding-type"] = t
        obj.attrs["encoding-version"] = v

    s = h5py.string_dtype("utf-8")
    with h5py.File(path, "w") as f:
        enc(f, "anndata", "0.1.0")
        obs = f.create_group("obs")
        obs.attrs["_index"] = "_index"
        obs.attrs["column-order"] = np.array(["label"], dtype=object)
        enc(obs, "dataframe", "0.2.0")
        idx = obs.create_group("_index")
        enc(idx, "nullable-string-array", "0.1.0")
        idx.create_dataset("values", data=np.array(["a", "b", "c"], dtype=object), dtype=s)
        idx.create_dataset("mask", data=np.array([False, False, False]))
        lab = obs.create_group("label")
        enc(lab, "nullable-string-array", "0.1.0")
        lab.attrs["na-value"] = "NA"
        lab.create_dataset("values", data=np.array(["x", "", "z"], dtype=object), dtype=s)
        lab.create_dataset("mask", data=np.array([False, True, False]))
        var = f.create_group("var")
        var.attrs["_index"] = "_index"
        var.attrs["column-order"] = np.array([], dtype=np.float64)
        enc(var, "dataframe", "0.2.0")
        d = var.create_dataset("_index", data=np.array(["g0", "g1"], dtype=object), dtype=s)
        enc(d, "string-array", "0.2.0")
        X = f.create_group("X")
        enc(X, "csr_matrix", "0.1.0")
        X.attrs["shape"] = np.array([3, 2], dtype=np.int64)
        X.create_dataset("data", data=np.array([1.0, 2.0, 3.0], dtype=np.float64))
        X.create_dataset("indices", data=np.array([1, 0, 1], dtype=np.uint16))
        X.create_dataset("indptr", data=np.array([0, 1, 1, 3], dtype=np.int64))
        layers = f.create_group("layers")
        enc(layers, "dict", "0.1.0")
        L = layers.create_group("csc")
        enc(L, "csc_matrix", "0.1.0")
        L.attrs["shape"] = np.array([3, 2], dtype=np.int64)
        L.create_dataset("data", data=np.array([5.0, 6.0, 7.0], dtype=np.float32))
        L.create_dataset("indices", data=np.array([0, 2, 1], dtype=np.int32))
        L.create_dataset("indptr", data=np.array([0, 2, 3], dtype=np.int32))
        uns = f.create_group("uns")
        enc(uns, "dict", "0.1.0")
        n = uns.create_dataset("nothing", data=h5py.Empty("f"))
        enc(n, "null", "0.1.0")
        t = uns.create_dataset("title", data="déjà vu", dtype=s)
        enc(t, "string", "0.2.0")


def main():
    cmd, path = sys.argv[1], sys.argv[2]
    if cmd == "write-new-layout":
        write_new_layout(path)
        return
    if cmd == "write":
        write_reference(path)
    a = ad.read_h5ad(path)
    json.dump(dump(a), sys.stdout, ensure_ascii=False, sort_keys=True)


if __name__ == "__main__":
    main()
