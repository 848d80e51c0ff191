"""Vector index benchmark: agentmem's Chroma adapter vs raw chromadb vs exact numpy search.

Measures, side by side in one run, at each size (default 10k and 100k items):
* index (upsert) throughput, items/s, for the three back ends fed the same vectors and texts;
* query latency p50 / p95 (ms, k=10, single query at a time) for the three;
* the MiniLM embedding throughput (texts/s) on a sample, and the resulting end-to-end
  "embed + index" throughput ``1 / (1/embed_rate + 1/index_rate)``.

Embedding 100k texts with MiniLM costs ~10 minutes on 2 cores, and the cost is the same for
every back end, so vectors for the index comparison are MiniLM embeddings of a sample of
texts reused with small random perturbations (unit-normalised), which keeps the distance
structure realistic without re-embedding. The ratio agentmem/raw chromadb is the figure of
merit (target: agentmem adds < 10%).

Usage::

    python benchmarks/index_bench.py --sizes 10000 100000 --queries 300
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

WORDS = ("mug apple grid rotate heat cool fridge microwave camping kids painting music agent memory skill concept "
         "routine colour object crop tile mirror symmetry count blue red green support group adoption school "
         "book library race charity dog cat garden travel paris beach summer winter guitar violin").split()


def synthetic_texts(n: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    return [" ".join(rng.choice(WORDS, size=int(rng.integers(6, 16)))) + f" #{i}" for i in range(n)]


def percentiles(xs: list[float]) -> tuple[float, float]:
    a = np.array(xs) * 1000
    return float(np.percentile(a, 50)), float(np.percentile(a, 95))


def bench_size(n: int, base_vecs: np.ndarray, texts: list[str], queries: np.ndarray, batch: int) -> dict:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    from agentmem.retrieval.chroma import ChromaIndex

    rng = np.random.default_rng(n)
    idx = rng.integers(0, len(base_vecs), size=n)
    vecs = base_vecs[idx] + rng.normal(0, 0.05, size=(n, base_vecs.shape[1])).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    ids = [f"id{i}" for i in range(n)]
    docs = [texts[i % len(texts)] for i in range(n)]
    metas = [{"store": "bench", "n": i % 7} for i in range(n)]
    out: dict = {"n": n}
    tmp = Path(tempfile.mkdtemp(prefix="am-index-bench-"))
    try:
        am = ChromaIndex.persistent(tmp / "agentmem")
        client = chromadb.PersistentClient(path=str(tmp / "raw"), settings=ChromaSettings(anonymized_telemetry=False))
        coll = client.get_or_create_collection("bench", embedding_function=None, metadata={"hnsw:space": "cosine"})
        # Interleave the back ends batch by batch (and alternate who goes first) so that load
        # from other processes on a shared machine hits both alike.
        t_am = t_raw = t_np = 0.0
        parts: list[np.ndarray] = []
        for b, s in enumerate(range(0, n, batch)):
            sl = slice(s, s + batch)
            order = ("am", "raw") if b % 2 == 0 else ("raw", "am")
            for who in order:
                t = time.perf_counter()
                if who == "am":
                    am.upsert("bench", ids[sl], vecs[sl], docs[sl], metas[sl])
                    t_am += time.perf_counter() - t
                else:
                    coll.upsert(ids=ids[sl], embeddings=vecs[sl], documents=docs[sl], metadatas=metas[sl])
                    t_raw += time.perf_counter() - t
            t = time.perf_counter()
            parts.append(vecs[sl].copy())
            t_np += time.perf_counter() - t
        t = time.perf_counter()
        mat = np.concatenate(parts)
        t_np += time.perf_counter() - t
        out["agentmem_index_per_s"] = n / t_am
        out["raw_index_per_s"] = n / t_raw
        out["numpy_index_per_s"] = n / max(t_np, 1e-9)
        lat: dict[str, list[float]] = {"agentmem": [], "raw": [], "numpy": []}
        for i, q in enumerate(queries):
            for who in (("agentmem", "raw", "numpy") if i % 2 == 0 else ("raw", "agentmem", "numpy")):
                t = time.perf_counter()
                if who == "agentmem":
                    am.query("bench", q, k=10)
                elif who == "raw":
                    coll.query(query_embeddings=q[None, :], n_results=10, include=["documents", "metadatas", "distances"])
                else:
                    scores = mat @ q
                    top = np.argpartition(-scores, 10)[:10]
                    top[np.argsort(-scores[top])]
                lat[who].append(time.perf_counter() - t)
        for who, xs in lat.items():
            out[f"{who}_p50_ms"], out[f"{who}_p95_ms"] = percentiles(xs)
        # recall of the approximate HNSW index against exact search
        rec = []
        for q in queries[:50]:
            exact = set(np.argsort(-(mat @ q))[:10].tolist())
            got = {int(h.id[2:]) for h in am.query("bench", q, k=10)}
            rec.append(len(exact & got) / 10)
        out["agentmem_recall_at_10_vs_exact"] = float(np.mean(rec))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    out["index_ratio_agentmem_over_raw"] = out["raw_index_per_s"] / out["agentmem_index_per_s"]
    out["query_p50_ratio_agentmem_over_raw"] = out["agentmem_p50_ms"] / out["raw_p50_ms"]
    out["query_p95_ratio_agentmem_over_raw"] = out["agentmem_p95_ms"] / out["raw_p95_ms"]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--embed-sample", type=int, default=2000)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    from agentmem.retrieval.embedder import MiniLMEmbedder

    emb = MiniLMEmbedder()
    emb.embed(["warm up"])
    texts = synthetic_texts(args.embed_sample, seed=0)
    t = time.perf_counter()
    base = emb.embed(texts)
    embed_rate = len(texts) / (time.perf_counter() - t)
    queries = emb.embed(synthetic_texts(args.queries, seed=1))
    print(f"MiniLM embed throughput: {embed_rate:.0f} texts/s ({len(texts)} texts, 1 torch thread)")
    rows = []
    for n in args.sizes:
        r = bench_size(n, base, texts, queries, args.batch)
        for key in ("agentmem", "raw", "numpy"):
            r[f"{key}_embed_plus_index_per_s"] = 1 / (1 / embed_rate + 1 / r[f"{key}_index_per_s"])
        rows.append(r)
        print(json.dumps(r, indent=1))
    result = {"embed_rate_per_s": embed_rate, "embed_sample": len(texts), "queries": args.queries, "rows": rows,
              "machine": f"{os.cpu_count()} cores", "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "index_bench.json").write_text(json.dumps(result, indent=2))
    lines = ["# Vector index benchmark", "", f"Run {result['when']} on {result['machine']} (shared with other work; timings are noisy).",
             f"MiniLM embedding: {embed_rate:.0f} texts/s on {len(texts)} synthetic texts. Command: `python benchmarks/index_bench.py --sizes {' '.join(map(str, args.sizes))} --queries {args.queries}`", "",
             "| items | back end | index items/s | embed+index items/s | query p50 ms | query p95 ms |", "|---|---|---|---|---|---|"]
    for r in rows:
        for key, name in (("agentmem", "agentmem ChromaIndex"), ("raw", "raw chromadb"), ("numpy", "exact numpy")):
            lines.append(f"| {r['n']:,} | {name} | {r[f'{key}_index_per_s']:,.0f} | {r[f'{key}_embed_plus_index_per_s']:,.0f} | {r[f'{key}_p50_ms']:.2f} | {r[f'{key}_p95_ms']:.2f} |")
    lines += ["", "| items | index time agentmem/raw | query p50 agentmem/raw | query p95 agentmem/raw | HNSW recall@10 vs exact |", "|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['n']:,} | {r['index_ratio_agentmem_over_raw']:.3f} | {r['query_p50_ratio_agentmem_over_raw']:.3f} | {r['query_p95_ratio_agentmem_over_raw']:.3f} | {r['agentmem_recall_at_10_vs_exact']:.3f} |")
    (args.out / "index_bench.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
