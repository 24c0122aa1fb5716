#!/usr/bin/python3
"""Knowledge-base lookups: HAYSTACK's SqliteKnowledgeBase vs the same queries written in
Python's sqlite3 (plain SQL plus dict/set logic) on the same file, in one run.

usage: bench/knowledge/compare_python.py BUILD_DIR [KB_PATH]

Runs BUILD_DIR/bench/knowledge/bench_knowledge (Google Benchmark, JSON output) on KB_PATH
(default BUILD_DIR/data/knowledge.sqlite, built by scripts/setup), then times the Python
versions of the comparable lookups and prints both CPU times per call and their ratio
(Python / HAYSTACK). Needs Debian's /usr/bin/python3.
"""
import json
import os
import sqlite3
import subprocess
import sys
import time


def cpu_per_call(fn, min_seconds=0.5):
    fn()  # warm the page cache and statement cache
    n, start = 0, time.process_time()
    while True:
        fn()
        n += 1
        elapsed = time.process_time() - start
        if elapsed >= min_seconds:
            return elapsed / n


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    build = sys.argv[1]
    kb = sys.argv[2] if len(sys.argv) > 2 else os.path.join(build, "data/knowledge.sqlite")
    driver = os.path.join(build, "bench/knowledge/bench_knowledge")
    out = subprocess.run([driver, "--kb", kb, "--benchmark_format=json"], check=True,
                         capture_output=True, text=True).stdout
    ours = {}
    for b in json.loads(out)["benchmarks"]:
        scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[b["time_unit"]]
        ours[b["name"].split("/")[0]] = b["cpu_time"] * scale

    db = sqlite3.connect(f"file:{kb}?mode=ro", uri=True)

    def containing():
        return [r[0] for r in db.execute(
            "SELECT s.id FROM genes g JOIN gene_set_members m USING (gene_id) JOIN gene_sets s "
            "USING (set_id) WHERE g.symbol = ? ORDER BY s.id", ("STAT1",))]

    def get_set():
        return sorted(r[0] for r in db.execute(
            "SELECT g.symbol FROM gene_sets s JOIN gene_set_members m USING (set_id) JOIN genes g "
            "USING (gene_id) WHERE s.id = ?", ("GO:0034341",)))

    def enrichment_sets():
        sets = {}
        for set_id, name, symbol in db.execute(
                "SELECT s.id, s.name, g.symbol FROM gene_sets s JOIN gene_set_members m ON "
                "m.set_id = s.set_id JOIN genes g ON g.gene_id = m.gene_id WHERE s.collection = "
                "'GO_BP' AND s.size BETWEEN 15 AND 500"):
            sets.setdefault(set_id, (name, []))[1].append(symbol)
        return {k: (v[0], sorted(v[1])) for k, v in sorted(sets.items())}

    genes = get_set_members(db, "GO:0006955")[:200]
    corpus = db.execute("SELECT CAST(value AS INTEGER) FROM kb_meta WHERE key = "
                        "'publication_corpus'").fetchone()[0]

    def pubs(symbol):
        return [r[0] for r in db.execute(
            "SELECT p.pmid FROM genes g JOIN publications p USING (gene_id) WHERE g.symbol = ?",
            (symbol,))]

    def cocitation():
        query = set()
        for t in ("IFNGR1", "IFNGR2", "JAK1", "JAK2", "STAT1"):
            query.update(pubs(t))
        out = []
        for g in genes:
            p = pubs(g)
            out.append((g, sum(1 for x in p if x in query), len(p), len(p) * len(query) / corpus))
        return out

    rows = [("gene -> sets (STAT1)", "BM_GeneSetsContaining", containing),
            ("set members (GO:0034341)", "BM_GetGeneSet", get_set),
            ("GO_BP sets of 15-500 genes", "BM_GeneSetsForEnrichment", enrichment_sets),
            (f"co-citation, {len(genes)} genes", "BM_CoCitation200Genes", cocitation)]
    print(f"{'lookup':32} {'HAYSTACK':>12} {'Python':>12} {'ratio':>7}")
    for label, bench, fn in rows:
        theirs = cpu_per_call(fn)
        print(f"{label:32} {ours[bench] * 1e3:10.3f}ms {theirs * 1e3:10.3f}ms "
              f"{theirs / ours[bench]:6.1f}x")
    for bench in ("BM_NeighborsCellType", "BM_NeighborsGo", "BM_ResolveCellType",
                  "BM_ResolveGene", "BM_NetworkFirstBuild"):
        print(f"{bench:32} {ours[bench] * 1e3:10.3f}ms {'(HAYSTACK only)':>20}")


def get_set_members(db, set_id):
    return sorted(r[0] for r in db.execute(
        "SELECT g.symbol FROM gene_sets s JOIN gene_set_members m USING (set_id) JOIN genes g "
        "USING (gene_id) WHERE s.id = ?", (set_id,)))


if __name__ == "__main__":
    main()
