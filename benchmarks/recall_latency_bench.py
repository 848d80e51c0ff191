"""Recall latency at scale: raw hybrid search vs Memory.recall() without and with the trained proxy.

Items are LoCoMo turns replicated to N (10k, 100k) with distinct suffixes; their vectors are the
MiniLM vectors of the source turns plus small deterministic noise (embedding 100k texts with
MiniLM would take hours on this CPU), while every *query* is embedded live by MiniLM, as in
real recall. The vector index is an exact numpy index (stacked matrix per namespace; Chroma's
HNSW would be faster at 100k). BM25 is bm25s over all N texts. Queries: LoCoMo questions.

Prints p50/p95 (ms) for: raw hybrid search (one store), recall() with the hybrid order, recall()
with the trained proxy (50 candidates), and the proxy stage alone; writes JSON and Markdown.

    python benchmarks/recall_latency_bench.py --sizes 10000 100000 --queries 200 \
        --checkpoint ~/.agentmem/checkpoints/proxy
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("HF_HUB_OFFLINE", "1")


class StackedIndex:
    """Exact cosine search with one stacked matrix per (collection, namespace) (VectorIndex protocol)."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, tuple[np.ndarray, str, dict]]] = {}
        self._stack: dict[tuple[str, str], tuple[list[str], np.ndarray]] = {}

    def upsert(self, namespace, ids, embeddings, documents=None, metadatas=None):  # noqa: ANN001, ANN201
        t = self.rows.setdefault(namespace, {})
        for i, id_ in enumerate(ids):
            t[id_] = (embeddings[i], (documents or [""] * len(ids))[i], (metadatas or [{}] * len(ids))[i])
        self._stack = {k: v for k, v in self._stack.items() if k[0] != namespace}

    def query(self, namespace, embedding, k=10, where=None):  # noqa: ANN001, ANN201
        from agentmem.retrieval.base import Hit

        key = (namespace, json.dumps(where, sort_keys=True))
        if key not in self._stack:
            t = self.rows.get(namespace, {})
            ids = [i for i, (_, _, m) in t.items() if all(m.get(a) == b for a, b in (where or {}).items())]
            self._stack[key] = (ids, np.stack([t[i][0] for i in ids]) if ids else np.zeros((0, 1), np.float32))
        ids, mat = self._stack[key]
        if not ids:
            return []
        s = mat @ np.asarray(embedding, dtype=np.float32)
        top = np.argpartition(-s, min(k, len(s) - 1))[:k]
        top = top[np.argsort(-s[top])]
        t = self.rows[namespace]
        return [Hit(id=ids[j], score=float(s[j]), document=t[ids[j]][1], metadata=t[ids[j]][2]) for j in top]

    def delete(self, namespace, ids):  # noqa: ANN001, ANN201
        for i in ids:
            self.rows.get(namespace, {}).pop(i, None)
        self._stack = {k: v for k, v in self._stack.items() if k[0] != namespace}

    def count(self, namespace):  # noqa: ANN001, ANN201
        return len(self.rows.get(namespace, {}))

    def namespaces(self):  # noqa: ANN201
        return sorted(self.rows)

    def drop(self, namespace):  # noqa: ANN001, ANN201
        self.rows.pop(namespace, None)


class ReplicaEmbedder:
    """Item texts get their source turn's MiniLM vector plus noise (as if embedded at write time);
    anything else (queries) is embedded live by the MiniLM model, cached only until :meth:`forget`
    (so each timed call pays its own query embedding, and stage 2 reuses stage 1's, as in recall)."""

    def __init__(self, live, table: dict[str, np.ndarray]) -> None:  # noqa: ANN001
        self.live, self.table = live, table
        self.name, self.dim = live.name, live.dim
        self.recent: dict[str, np.ndarray] = {}

    def forget(self) -> None:
        self.recent.clear()

    def embed(self, texts):  # noqa: ANN001, ANN201
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        miss = [t for t in dict.fromkeys(texts) if t not in self.table and t not in self.recent]
        if miss:
            model = self.live._load()
            vecs = model.encode(miss, convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False)
            self.recent.update({t: np.asarray(v, dtype=np.float32) for t, v in zip(miss, vecs)})
        for i, t in enumerate(texts):
            if t in self.recent:
                out[i] = self.recent[t]
        for i, t in enumerate(texts):
            if t in self.table:
                out[i] = self.table[t]
        return out


def pct(xs: list[float]) -> dict[str, float]:
    return {"p50": round(float(np.percentile(xs, 50)), 2), "p95": round(float(np.percentile(xs, 95)), 2), "mean": round(float(np.mean(xs)), 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--candidates", type=int, default=50)
    ap.add_argument("--checkpoint", type=Path, default=None, help="Trained proxy checkpoint (default <home>/checkpoints/proxy).")
    ap.add_argument("--data", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = ap.parse_args()

    import torch

    torch.set_num_threads(1)
    from agentmem.evals.locomo.data import load_locomo
    from agentmem.evals.locomo.retrieval import DiskCachedEmbedder
    from agentmem.memory import Memory
    from agentmem.retrieval.embedder import MiniLMEmbedder
    from agentmem.retrieval.proxy.base import HybridOrder
    from agentmem.retrieval.proxy.model import ProxyWeights
    from agentmem.retrieval.proxy.trained import TrainedProxy, load_proxy
    from agentmem.settings import Settings
    from agentmem.stores.memory_store import InMemoryStore
    from agentmem.types import MemoryRecord

    settings = Settings.load(index={"backend": "memory"})
    convs = load_locomo(args.data)
    turns = [(c, t) for c in convs for t in c.turns]
    live = MiniLMEmbedder()
    cached = DiskCachedEmbedder(live, settings.paths.cache / f"locomo-embeddings-{live.name.replace(':', '_')}.npz")
    base_vecs = cached.embed([t.render() for _, t in turns])
    cached.save()
    folder = args.checkpoint or settings.paths.checkpoints / "proxy"
    proxy = load_proxy(folder, live)
    proxy_note = f"trained checkpoint {folder}"
    if isinstance(proxy, HybridOrder):
        proxy = TrainedProxy(live, ProxyWeights.identity(live.dim))
        proxy_note = f"no usable checkpoint at {folder} ({proxy.name} with untrained weights: same compute as a trained one)"
    rng = np.random.default_rng(0)
    questions = [q.question for c in convs for q in c.qa]
    qsample = [questions[i] for i in rng.choice(len(questions), size=min(args.queries, len(questions)), replace=False)]
    live.embed(qsample[:5])  # load the model before timing
    results = []
    for n in args.sizes:
        table: dict[str, np.ndarray] = {}
        recs = []
        for j in range(n):
            conv, t = turns[j % len(turns)]
            text = t.render() + ("" if j < len(turns) else f" (#{j // len(turns)})")
            v = base_vecs[j % len(turns)] + (0 if j < len(turns) else 0.02 * rng.standard_normal(live.dim).astype(np.float32))
            table[text] = v / np.linalg.norm(v)
            recs.append(MemoryRecord(id=f"m{j}", store="facts", text=text, namespace="bench", metadata={"speaker": t.speaker, "session": t.session + 100 * (j // len(turns)), "index": t.index}))
        emb = ReplicaEmbedder(live, table)
        store = InMemoryStore("facts", emb, StackedIndex())
        t0 = time.perf_counter()
        store.add(recs)
        store.search("warm up the bm25 index", k=5, namespace="bench")
        build_s = time.perf_counter() - t0
        s = settings.model_copy(update={"recall": settings.recall.model_copy(update={"candidates_per_store": args.candidates, "proxy_candidates": args.candidates})})
        proxy.embedder = emb  # stage 2 reads the same (write-time) item vectors as stage 1
        plain = Memory([store], settings=s, proxy=HybridOrder(), namespace="bench")
        proxied = Memory([store], settings=s, proxy=proxy, namespace="bench")
        for q in qsample[:5]:
            plain.recall(q)
            proxied.recall(q)
        raw, rp, rx, px = [], [], [], []
        for q in qsample:
            emb.forget()
            t0 = time.perf_counter()
            store.search(q, k=args.candidates, namespace="bench")
            raw.append(1000 * (time.perf_counter() - t0))
            emb.forget()
            t0 = time.perf_counter()
            plain.recall(q)
            rp.append(1000 * (time.perf_counter() - t0))
            emb.forget()
            t0 = time.perf_counter()
            proxied.recall(q)
            rx.append(1000 * (time.perf_counter() - t0))
            px.append(proxied.last_report.ms["proxy"])
        row = {"items": n, "build_s": round(build_s, 1), "raw_hybrid_search": pct(raw), "recall_hybrid_order": pct(rp), "recall_trained_proxy": pct(rx), "proxy_stage_50": pct(px)}
        results.append(row)
        print(json.dumps(row), flush=True)
    report = {"benchmark": "recall-latency", "queries": len(qsample), "candidates": args.candidates, "proxy": proxy_note, "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores (shared with other jobs: timings are noisy)", "results": results}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "recall_latency.json").write_text(json.dumps(report, indent=2))
    lines = [
        "# Recall latency (ms)",
        "",
        f"{len(qsample)} LoCoMo questions as queries; shortlist {args.candidates}; proxy: {proxy_note}.",
        f"Machine: {report['machine']}. Command: `python benchmarks/recall_latency_bench.py --sizes {' '.join(map(str, args.sizes))} --queries {args.queries}`.",
        "",
        "| items | raw hybrid p50 | p95 | recall() hybrid p50 | p95 | recall() + proxy p50 | p95 | proxy stage (50 cand.) p50 | p95 |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(f"| {r['items']:,} | {r['raw_hybrid_search']['p50']} | {r['raw_hybrid_search']['p95']} | {r['recall_hybrid_order']['p50']} | {r['recall_hybrid_order']['p95']} | {r['recall_trained_proxy']['p50']} | {r['recall_trained_proxy']['p95']} | {r['proxy_stage_50']['p50']} | {r['proxy_stage_50']['p95']} |")
    (args.out / "recall_latency.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
