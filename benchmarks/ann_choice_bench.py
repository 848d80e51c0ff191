"""Which approximate index for the subroutine store: candidates measured side by side in one process.

Same synthetic 384-d vectors (``--data clustered`` around topic centres, or ``random``), same
queries (a stored vector plus noise), one thread each, incremental inserts in batches of 5,000
(as the store inserts), then ``--queries`` single queries for top-10 with exact re-scoring of
the candidates against the float32 rows (as the store does). Reported per candidate: insert
rate, query p50/p95, recall@10 against the exact scan.

Candidates: faiss ``IVF,SQ8`` (what the store uses), faiss ``IVF,Flat``, faiss ``HNSW32,Flat``,
usearch HNSW (if installed), hnswlib (if installed), and the exact numpy scan. Raw Chroma (its
HNSW) is measured by ``subroutine_scale_bench.py``, which runs it in its own process.

Usage::

    python benchmarks/ann_choice_bench.py --n 100000 --queries 200
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DIM = 384
BATCH = 5_000


def make_data(n: int, kind: str, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, DIM), dtype=np.float32)
    if kind == "clustered":
        centres = np.random.default_rng([seed, 7]).standard_normal((2000, DIM), dtype=np.float32)
        x = centres[rng.integers(0, 2000, n)] + 0.9 * x
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def make_queries(x: np.ndarray, nq: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng([seed, 999])
    q = x[rng.choice(len(x), nq, replace=False)] + rng.standard_normal((nq, DIM), dtype=np.float32) * 0.75 / np.sqrt(DIM)
    return q / np.linalg.norm(q, axis=1, keepdims=True)


def rescore(x: np.ndarray, cand: np.ndarray, q: np.ndarray, k: int = 10) -> list[int]:
    cand = cand[cand >= 0]
    s = x[cand] @ q
    return cand[np.argsort(-s)[:k]].tolist()


def run(name: str, build: "Builder", search, x: np.ndarray, qs: np.ndarray, exact: list[set[int]]) -> dict:  # noqa: ANN001
    t0 = time.perf_counter()
    index = build()
    for s in range(0, len(x), BATCH):
        build.add(index, x[s : s + BATCH], s)
    insert_s = time.perf_counter() - t0
    lat, rec = [], []
    for q, ex in zip(qs, exact):
        t = time.perf_counter()
        top = rescore(x, np.asarray(search(index, q)), q)
        lat.append(1000 * (time.perf_counter() - t))
        rec.append(len(set(top) & ex) / 10)
    out = {"name": name, "insert_per_s": len(x) / insert_s, "p50_ms": float(np.percentile(lat, 50)), "p95_ms": float(np.percentile(lat, 95)), "recall_at_10": float(np.mean(rec))}
    print(json.dumps(out), flush=True)
    return out


class Builder:
    def __init__(self, make, add) -> None:  # noqa: ANN001
        self.make, self.add = make, add

    def __call__(self):  # noqa: ANN204
        return self.make()


def candidates(x: np.ndarray, n_cand: int = 200) -> list[tuple[str, Builder, object]]:
    out = []
    try:
        import faiss

        faiss.omp_set_num_threads(1)
        nlist = int(min(1024, max(64, 2 * np.sqrt(len(x)))))
        train = x[np.random.default_rng(1).choice(len(x), min(len(x), 30 * nlist), replace=False)]

        def ivf(kind: str):  # noqa: ANN202
            def make():  # noqa: ANN202
                quant = faiss.IndexFlatIP(DIM)
                idx = faiss.IndexIVFScalarQuantizer(quant, DIM, nlist, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT) if kind == "sq8" else faiss.IndexIVFFlat(quant, DIM, nlist, faiss.METRIC_INNER_PRODUCT)
                idx.cp.niter = 10
                idx.train(train)
                idx.nprobe = max(16, nlist // 8)  # the store's default when this comparison was run (the store now plans 1,024 lists and probes 32: vector_ann.py)
                return idx
            return make

        def faiss_add(idx, rows, start):  # noqa: ANN001, ANN202
            idx.add_with_ids(rows, np.arange(start, start + len(rows), dtype=np.int64))

        def faiss_hnsw_add(idx, rows, start):  # noqa: ANN001, ANN202
            idx.add(rows)

        def faiss_search(idx, q):  # noqa: ANN001, ANN202
            return idx.search(q[None], n_cand)[1][0]

        out.append((f"faiss IVF{nlist},SQ8 (agentmem)", Builder(ivf("sq8"), faiss_add), faiss_search))
        out.append((f"faiss IVF{nlist},Flat", Builder(ivf("flat"), faiss_add), faiss_search))

        def hnsw():  # noqa: ANN202
            idx = faiss.IndexHNSWFlat(DIM, 32, faiss.METRIC_INNER_PRODUCT)
            idx.hnsw.efConstruction, idx.hnsw.efSearch = 80, 128
            return idx

        out.append(("faiss HNSW32,Flat (efC 80, ef 128)", Builder(hnsw, faiss_hnsw_add), faiss_search))
    except ImportError:
        print("faiss not installed: skipped", file=sys.stderr)
    try:
        from usearch.index import Index

        def us():  # noqa: ANN202
            return Index(ndim=DIM, metric="ip", dtype="f32", connectivity=16, expansion_add=80, expansion_search=128)

        def us_add(idx, rows, start):  # noqa: ANN001, ANN202
            idx.add(np.arange(start, start + len(rows)), rows, threads=1)

        def us_search(idx, q):  # noqa: ANN001, ANN202
            return np.asarray(idx.search(q, n_cand, threads=1).keys, dtype=np.int64)

        out.append(("usearch HNSW16 (efC 80, ef 128)", Builder(us, us_add), us_search))
    except ImportError:
        print("usearch not installed: skipped", file=sys.stderr)
    try:
        import hnswlib

        def hl():  # noqa: ANN202
            idx = hnswlib.Index(space="ip", dim=DIM)
            idx.init_index(max_elements=len(x), ef_construction=80, M=16)
            idx.set_ef(max(128, n_cand))
            idx.set_num_threads(1)
            return idx

        def hl_add(idx, rows, start):  # noqa: ANN001, ANN202
            idx.add_items(rows, np.arange(start, start + len(rows)))

        def hl_search(idx, q):  # noqa: ANN001, ANN202
            return idx.knn_query(q, k=n_cand)[0][0].astype(np.int64)

        out.append(("hnswlib HNSW16 (efC 80, ef 200)", Builder(hl, hl_add), hl_search))
    except ImportError:
        print("hnswlib not installed: skipped", file=sys.stderr)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--data", choices=["clustered", "random"], default="clustered")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(REPO / "benchmarks" / "results"))
    args = ap.parse_args()
    x = make_data(args.n, args.data, args.seed)
    qs = make_queries(x, args.queries, args.seed)
    lat, exact = [], []
    for q in qs:
        t = time.perf_counter()
        s = x @ q
        top = np.argpartition(-s, 10)[:10]
        lat.append(1000 * (time.perf_counter() - t))
        exact.append(set(top.tolist()))
    results = [{"name": "exact numpy scan", "insert_per_s": None, "p50_ms": float(np.percentile(lat, 50)), "p95_ms": float(np.percentile(lat, 95)), "recall_at_10": 1.0}]
    print(json.dumps(results[0]), flush=True)
    for name, build, search in candidates(x):
        results.append(run(name, build, search, x, qs, exact))
    load = os.getloadavg()
    lines = [
        f"# Approximate index candidates for the subroutine store ({args.data} vectors, {args.n:,} x {DIM})",
        "",
        f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {os.cpu_count()} CPU cores shared with other jobs (load average at the end {load[0]:.1f}), "
        f"one thread each. Command: `python benchmarks/ann_choice_bench.py {' '.join(sys.argv[1:])}`. Inserts in batches of {BATCH:,} (training included); "
        f"{args.queries} queries, 200 candidates re-scored exactly, recall@10 against the exact scan.",
        "",
        "| index | insert (vectors/s) | query p50 (ms) | query p95 (ms) | recall@10 vs exact |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in results:
        ins = f"{r['insert_per_s']:,.0f}" if r["insert_per_s"] else "(no index)"
        lines.append(f"| {r['name']} | {ins} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {r['recall_at_10']:.3f} |")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"ann_choice_{args.data}.json").write_text(json.dumps(results, indent=2))
    (out / f"ann_choice_{args.data}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
