#!/usr/bin/python3
"""Validation harness for the grounding scores: held-out perturbation x cell type cases, run on an
atlas and on the same atlas with its perturbation labels shuffled, where the truth is known.

usage: bench/scoring/validation.py --build BUILD [--atlas A.h5ad] [--kb K.sqlite]
           [--work DIR] [--label NAME] [--max-iterations 3] [--min-cells 20] [--limit N] [--stride K]
           [--shuffle-seed 1] [--only real|shuffled] [--columns JSON] [--out RESULTS.json]

For every perturbation p and cell type t with at least --min-cells perturbed cells of t and
--min-cells control cells of t, the cells (p, t) are removed from the atlas (held out), and the
whole run loop answers "How would <t> respond to <p>?" on what is left, through the real CLI
(haystack-orchestrator run; SQLite store, local artifacts, CPU baseline). The held-out cells are
the truth:

  observed DE   (p, t) cells vs the control cells of t, per donor pseudobulk (mean of expm1 X),
                paired t-test of log2(mean + 1) across the donors that have both (SciPy
                ttest_1samp of the per-donor differences, i.e. ttest_rel), BH, genes detected in >= 10% of either group; called at q <= 0.05 and
                |log2FC| >= 0.5, log2FC = log2(mean_T + 1) - log2(mean_C + 1) over all cells;
  predicted DE  the best iteration's DE calls as the run recorded them; its log2FC computed the
                same way from its predictions and control predictions (or query cells).

The same cases run on a copy of the atlas whose perturbation columns (perturbation,
perturbation_type, condition, is_control, moved together) are permuted across cells: nothing
there is a real response, so every DE call is false and the composite should drop.

Prints, per atlas: the composite (mean, AUC real > shuffled over cases, paired wins), DE
precision/recall and log2FC correlation against the held-out truth, the shuffled atlas's DE calls
and smallest p-values, and the largest |log2FC| reported. Needs Debian's /usr/bin/python3 (numpy,
scipy, anndata 0.8). Runs outside CI: 2-6 s per run loop on 2 shared cores, 7-13 min for the
demo atlas's 64 cases on both atlases.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time

import anndata
import numpy as np
from scipy import sparse, stats

COLUMNS = {
    "cell_type": "cell_type_ontology_term_id",
    "cell_type_label": "cell_type",
    # The first of these obs has, as the atlas reader looks them up (docs/atlas.md).
    "perturbation": ["perturbation", "treatment"],
    "is_control": "is_control",
    "donor": "donor_id",
    # Gene symbols: this var column when present (CELLxGENE), else the var index.
    "gene_symbols": "feature_name",
    # Moved together when labels are shuffled (those obs has).
    "shuffled": ["perturbation", "treatment", "perturbation_type", "condition", "is_control"],
}
MIN_DETECTION = 0.10
LFC_THRESHOLD = 0.5
ALPHA = 0.05


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


def dense_rows(x, rows):
    m = x[rows]
    return np.asarray(m.todense() if sparse.issparse(m) else m, dtype=np.float64)


def log2_pseudobulk(values):
    """log2(mean(expm1(x)) + 1) per gene: the expression-scale mean with pseudocount 1."""
    return np.log2(np.expm1(values).mean(axis=0) + 1)


def observed_de(x, treated, control, donors):
    """The truth for one case: see the module docstring."""
    t = dense_rows(x, treated)
    c = dense_rows(x, control)
    lfc = log2_pseudobulk(t) - log2_pseudobulk(c)
    detected = np.maximum((t > 0).mean(axis=0), (c > 0).mean(axis=0)) >= MIN_DETECTION
    shared = sorted(set(donors[treated]) & set(donors[control]))
    diffs = []
    for d in shared:
        td = t[donors[treated] == d]
        cd = c[donors[control] == d]
        if len(td) >= 3 and len(cd) >= 3:
            diffs.append(log2_pseudobulk(td) - log2_pseudobulk(cd))
    p = np.ones(x.shape[1])
    if len(diffs) >= 2:
        diffs = np.array(diffs)
        with np.errstate(all="ignore"):
            _, pp = stats.ttest_1samp(diffs, 0.0, axis=0)
        pp = np.where(np.isnan(pp), 1.0, pp)
        p = pp
    q = np.ones_like(p)
    q[detected] = bh(p[detected])
    called = detected & (q <= ALPHA) & (np.abs(lfc) >= LFC_THRESHOLD)
    return lfc, detected, called, len(diffs)


def resolve_columns(cols, obs):
    """The perturbation column: the first candidate obs has."""
    out = dict(cols)
    candidates = cols["perturbation"]
    if isinstance(candidates, str):
        candidates = [candidates]
    found = [c for c in candidates if c in obs]
    if not found:
        sys.exit(f"no perturbation column: none of {candidates} in obs ({list(obs.columns)})")
    out["perturbation"] = found[0]
    return out


def gene_names(adata, column):
    """The names the run reports genes by: the symbol column's value where it is the first gene
    with that symbol, else the var index (as the atlas reader names them, docs/atlas.md)."""
    if column not in adata.var:
        return list(adata.var_names)
    names, seen = [], set()
    for gene_id, symbol in zip(adata.var_names, adata.var[column].astype(str)):
        if symbol and symbol != "nan" and symbol not in seen:
            seen.add(symbol)
            names.append(symbol)
        else:
            names.append(gene_id)
    return names


def read_x(path):
    a = anndata.read_h5ad(path)
    return a.X, list(a.var_names)


def predicted_lfc(record, genes):
    pred, pred_genes = read_x(record["prediction_path"])
    control_path = record.get("control_prediction_path") or record["query_cells_path"]
    ctrl, _ = read_x(control_path)
    idx = {g: i for i, g in enumerate(pred_genes)}
    p = dense_rows(pred, slice(None))
    c = dense_rows(ctrl, slice(None))
    lfc = log2_pseudobulk(p) - log2_pseudobulk(c)
    return np.array([lfc[idx[g]] if g in idx else np.nan for g in genes])


def cell_type_wording(kb, cell_type, label):
    """The label, or when it holds a comma (which ends a phrase for the query analyzer) the
    shortest synonym the knowledge base has for the id that holds none."""
    if "," not in label:
        return label
    import sqlite3
    con = sqlite3.connect(kb)
    rows = con.execute("SELECT s.synonym FROM term_synonyms s JOIN terms t USING (term_id) "
                       "WHERE t.id = ?", (cell_type,)).fetchall()
    con.close()
    names = sorted((r[0] for r in rows if "," not in r[0]), key=len)
    return names[0] if names else label


def query_text(cell_type_label, perturbation):
    for suffix, word in (("_KO", "knockout"), ("_KD", "knockdown")):
        if perturbation.endswith(suffix):
            return f"How would {cell_type_label}s respond to {perturbation[:-len(suffix)]} {word}?"
    return f"How would {cell_type_label}s respond to {perturbation}?"


def run_cli(build, env, query, config, work):
    cli = os.path.join(build, "apps/haystack-orchestrator/haystack-orchestrator")
    started = time.time()
    out = subprocess.run([cli, "run", "--query", query, "--config-json", json.dumps(config)],
                         env=env, capture_output=True, text=True, cwd=work)
    seconds = time.time() - started
    run_id = None
    for line in out.stdout.splitlines():
        if line.startswith("created run "):
            run_id = line.split()[-1]
    if run_id is None:
        return None, out.returncode, out.stderr.strip()[-400:], seconds
    status = subprocess.run([cli, "status", run_id, "--json"], env=env, capture_output=True,
                            text=True, cwd=work)
    return json.loads(status.stdout), out.returncode, out.stderr.strip()[-400:], seconds


def summarise_case(run, genes, truth):
    """What one finished run says about its case."""
    out = {"status": run["status"], "termination_reason": run.get("termination_reason"),
           "final_score": run.get("final_score"), "iterations": len(run.get("iterations", []))}
    if run["status"] != "completed" or not run.get("best_iteration"):
        if run.get("error"):
            out["error"] = run["error"].get("message", "")[:300]
        return out
    best = run["iterations"][run["best_iteration"] - 1]
    score = best["grounding_score"]
    out["strategy"] = best["selected_prompt"]["strategy"]
    out["control_strategy"] = best.get("control_strategy")
    out["components"] = {c["name"]: c.get("score") for c in score.get("components", [])}
    de_summary = score.get("de_summary") or {}
    out["de_design"] = de_summary.get("design", "cells as replicates")
    up, down = score.get("de_genes_up", []), score.get("de_genes_down", [])
    out["n_de"] = len(up) + len(down)
    reported = de_summary.get("top_up", []) + de_summary.get("top_down", [])
    out["min_p"] = min((g["p_value"] for g in reported), default=None)
    out["min_q"] = min((g["adjusted_p_value"] for g in reported), default=None)
    out["n_p_below_1e6"] = sum(1 for g in reported if g["p_value"] < 1e-6)
    out["max_abs_lfc_reported"] = max((abs(g["log2_fold_change"]) for g in reported),
                                      default=0.0)
    lfc_obs, detected, called, n_donors = truth
    lfc_pred = predicted_lfc(best, genes)
    sign = {g: 1 for g in up}
    sign.update({g: -1 for g in down})
    gene_index = {g: i for i, g in enumerate(genes)}
    hits = sum(1 for g, s in sign.items()
               if g in gene_index and called[gene_index[g]] and
               np.sign(lfc_obs[gene_index[g]]) == s)
    n_obs = int(called.sum())
    out["n_de_observed"] = n_obs
    out["truth_donors"] = n_donors
    out["precision"] = hits / len(sign) if sign else None
    out["recall"] = hits / n_obs if n_obs else None
    keep = detected & np.isfinite(lfc_pred)
    out["r_lfc"] = (float(np.corrcoef(lfc_pred[keep], lfc_obs[keep])[0, 1])
                    if keep.sum() > 2 and np.std(lfc_pred[keep]) > 0 else None)
    out["max_abs_lfc_predicted"] = float(np.nanmax(np.abs(lfc_pred))) if len(lfc_pred) else 0.0
    return out


def cases_of(obs, cols, min_cells, kb):
    ctl = obs[cols["is_control"]].astype(bool).to_numpy()
    ct = obs[cols["cell_type"]].astype(str).to_numpy()
    pert = obs[cols["perturbation"]].astype(str).to_numpy()
    label = dict(zip(ct, obs[cols["cell_type_label"]].astype(str)))
    label = {t: cell_type_wording(kb, t, name) for t, name in label.items()}
    cases = []
    for p in sorted(set(pert[~ctl])):
        for t in sorted(set(ct)):
            n_t = int(((pert == p) & (ct == t) & ~ctl).sum())
            n_c = int(((ct == t) & ctl).sum())
            if n_t >= min_cells and n_c >= min_cells:
                cases.append((p, t, label[t]))
    return cases


def shuffled_copy(adata, cols, seed):
    rng = np.random.default_rng(seed)
    order = rng.permutation(adata.n_obs)
    out = adata.copy()
    for name in cols["shuffled"]:
        if name in out.obs:
            values = adata.obs[name].to_numpy()[order]
            out.obs[name] = values
            if hasattr(adata.obs[name], "cat"):
                out.obs[name] = out.obs[name].astype("category")
    return out


def run_variant(args, name, adata, cases, env_base):
    cols = args.columns
    work = os.path.join(args.work, name)
    os.makedirs(work, exist_ok=True)
    env = dict(env_base)
    env.update({"HAYSTACK_DATABASE_URL": "sqlite:" + os.path.join(work, "runs.db"),
                "HAYSTACK_ARTIFACT_ROOT": os.path.join(work, "artifacts")})
    obs = adata.obs
    ctl = obs[cols["is_control"]].astype(bool).to_numpy()
    ct = obs[cols["cell_type"]].astype(str).to_numpy()
    pert = obs[cols["perturbation"]].astype(str).to_numpy()
    donors = obs[cols["donor"]].astype(str).to_numpy()
    genes = gene_names(adata, cols["gene_symbols"])
    results = []
    for k, (p, t, label) in enumerate(cases):
        held = (pert == p) & (ct == t) & ~ctl
        treated = np.flatnonzero(held)
        control = np.flatnonzero((ct == t) & ctl)
        truth = observed_de(adata.X, treated, control, donors)
        path = os.path.join(work, "held_out.h5ad")
        adata[~held].copy().write_h5ad(path)
        env["HAYSTACK_ATLAS_PATH"] = path
        query = query_text(label, p)
        run, code, err, seconds = run_cli(args.build, env, query,
                                          {"max_iterations": args.max_iterations}, work)
        row = {"atlas": name, "perturbation": p, "cell_type": t, "query": query,
               "exit_code": code, "seconds": round(seconds, 2), "held_out_cells": int(held.sum())}
        if run is None:
            row["error"] = err
        else:
            row.update(summarise_case(run, genes, truth))
        results.append(row)
        print(f"[{name} {k + 1}/{len(cases)}] {p} x {label}: score {row.get('final_score')} "
              f"({row.get('termination_reason')}), DE {row.get('n_de')} "
              f"(observed {row.get('n_de_observed')}), min p {row.get('min_p')}, "
              f"{row['seconds']} s", file=sys.stderr)
    return results


def auc(pos, neg):
    pos, neg = np.asarray(pos, float), np.asarray(neg, float)
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    greater = (pos[:, None] > neg[None, :]).sum()
    ties = (pos[:, None] == neg[None, :]).sum()
    return float((greater + 0.5 * ties) / (len(pos) * len(neg)))


def fmt(v, spec=".3g"):
    return "n/a" if v is None or (isinstance(v, float) and np.isnan(v)) else format(v, spec)


def mean_or_none(values):
    return np.mean(values) if values else None


def composite_lines(real, shuf):
    def scores(rs):
        return [r["final_score"] for r in rs if r.get("final_score") is not None]

    lines = []
    sr, ss = scores(real), scores(shuf)
    if sr and ss:
        lines.append(f"- composite: real mean {np.mean(sr):.2f} (median {np.median(sr):.1f}), "
                     f"shuffled mean {np.mean(ss):.2f} (median {np.median(ss):.1f}); "
                     f"AUC(real > shuffled) = {auc(sr, ss):.3f}")
        by_case = {(r["perturbation"], r["cell_type"]): r.get("final_score") for r in shuf}
        pairs = [(r["final_score"], by_case.get((r["perturbation"], r["cell_type"])))
                 for r in real]
        pairs = [(a, b) for a, b in pairs if a is not None and b is not None]
        wins = sum(a > b for a, b in pairs)
        ties = sum(a == b for a, b in pairs)
        lines.append(f"- paired by case: real > shuffled in {wins} of {len(pairs)}, "
                     f"ties {ties}")
    for c in sorted({c for r in real + shuf for c in (r.get("components") or {})}):
        cr = [r["components"][c] for r in real if (r.get("components") or {}).get(c) is not None]
        cs = [r["components"][c] for r in shuf if (r.get("components") or {}).get(c) is not None]
        lines.append(f"  - {c}: real mean {fmt(mean_or_none(cr))} ({len(cr)} scored), "
                     f"shuffled mean {fmt(mean_or_none(cs))} ({len(cs)} scored), "
                     f"AUC {fmt(auc(cr, cs))}")
    return lines


def de_lines(real, shuf):
    prec = [r["precision"] for r in real if r.get("precision") is not None]
    rec = [r["recall"] for r in real if r.get("recall") is not None]
    rl = [r["r_lfc"] for r in real if r.get("r_lfc") is not None]
    lines = [f"- real atlas, predicted vs observed DE: precision mean {fmt(mean_or_none(prec))} "
             f"({len(prec)} cases with calls), recall mean {fmt(mean_or_none(rec))} "
             f"({len(rec)} cases with observed DE), log2FC Pearson r mean "
             f"{fmt(mean_or_none(rl))} (median {fmt(np.median(rl) if rl else None)})"]
    if real:
        lines.append(f"- real atlas DE calls per case: median "
                     f"{fmt(np.median([r.get('n_de', 0) or 0 for r in real]))}, observed median "
                     f"{fmt(np.median([r.get('n_de_observed', 0) or 0 for r in real]))}")
    if shuf:
        n_de = [r.get("n_de", 0) or 0 for r in shuf]
        min_p = [r["min_p"] for r in shuf if r.get("min_p") is not None]
        n_tiny = sum(r.get("n_p_below_1e6", 0) for r in shuf)
        lines.append(f"- shuffled atlas: DE calls total {sum(n_de)} over {len(shuf)} cases "
                     f"(cases with any: {sum(1 for n in n_de if n > 0)}, max per case "
                     f"{max(n_de)}); smallest reported p {fmt(min(min_p) if min_p else None)}; "
                     f"reported genes with p < 1e-6: {n_tiny}")
    rows = real + shuf
    lfc_rep = [r["max_abs_lfc_reported"] for r in rows if r.get("max_abs_lfc_reported") is not None]
    lfc_pred = [r["max_abs_lfc_predicted"] for r in rows
                if r.get("max_abs_lfc_predicted") is not None]
    lines.append(f"- largest |log2FC| reported by a run: {fmt(max(lfc_rep) if lfc_rep else None)}; "
                 f"largest pseudobulk |log2FC| of any prediction: "
                 f"{fmt(max(lfc_pred) if lfc_pred else None)}")
    return lines


def report(label, rows):
    real = [r for r in rows if r["atlas"] == "real"]
    shuf = [r for r in rows if r["atlas"] == "shuffled"]
    lines = [f"## {label}: {len(real)} real and {len(shuf)} shuffled cases"]
    failed = [r for r in rows if r.get("status") != "completed"]
    lines.append(f"- runs not completed: {len(failed)}" +
                 ("".join(f"\n  - {r['atlas']} {r['perturbation']} x {r['cell_type']}: "
                          f"{r.get('error', r.get('status'))}" for r in failed[:5])))
    unscored = [r for r in rows if r.get("status") == "completed" and r.get("final_score") is None]
    lines.append(f"- completed without a score (unscored): {len(unscored)}")
    lines += composite_lines(real, shuf)
    lines += de_lines(real, shuf)
    secs = [r["seconds"] for r in rows]
    lines.append(f"- run loop wall time per case: median {np.median(secs):.1f} s")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", required=True)
    ap.add_argument("--atlas")
    ap.add_argument("--kb")
    ap.add_argument("--work", default="/tmp/haystack-validation")
    ap.add_argument("--label", default="demo atlas")
    ap.add_argument("--max-iterations", type=int, default=3)
    ap.add_argument("--min-cells", type=int, default=20)
    ap.add_argument("--limit", type=int, default=0, help="first N cases only (0 = all)")
    ap.add_argument("--stride", type=int, default=1,
                    help="every K-th case (perturbation-major order), for a spread sample")
    ap.add_argument("--shuffle-seed", type=int, default=1)
    ap.add_argument("--only", choices=["real", "shuffled"])
    ap.add_argument("--columns", help="JSON object overriding the obs column names")
    ap.add_argument("--out", help="write every case as JSON here")
    ap.add_argument("--summary-only", help="print the summary of a results file and exit")
    args = ap.parse_args()
    args.columns = dict(COLUMNS, **(json.loads(args.columns) if args.columns else {}))
    if args.summary_only:
        with open(args.summary_only) as f:
            saved = json.load(f)
        print(report(saved["label"], saved["cases"]))
        return
    build = os.path.abspath(args.build)
    args.build = build
    atlas = args.atlas or os.path.join(build, "data/demo-atlas.h5ad")
    kb = args.kb or os.path.join(build, "data/knowledge.sqlite")
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)
    adata = anndata.read_h5ad(atlas)
    args.columns = resolve_columns(args.columns, adata.obs)
    cases = cases_of(adata.obs, args.columns, args.min_cells, kb)
    cases = cases[::max(args.stride, 1)]
    if args.limit:
        cases = cases[:args.limit]
    env = dict(os.environ)
    env.update({"HAYSTACK_KNOWLEDGE_BASE": os.path.abspath(kb), "HAYSTACK_LOG_LEVEL": "error",
                "HAYSTACK_LOG_FORMAT": "text", "HAYSTACK_EMAIL_BACKEND": "outbox"})
    rows = []
    if args.only != "shuffled":
        rows += run_variant(args, "real", adata, cases, env)
    if args.only != "real":
        rows += run_variant(args, "shuffled", shuffled_copy(adata, args.columns,
                                                            args.shuffle_seed), cases, env)
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"label": args.label, "atlas": atlas, "cases": rows}, f, indent=1)
    print(report(args.label, rows))


if __name__ == "__main__":
    main()
