"""Scale benchmark of the reasoning-subroutine store against raw chromadb and exact numpy, in one run.

For each scale (default 100k and 1M pairs) and each system it inserts synthetic
``(subquestion, subroutine)`` pairs with synthetic 384-d unit vectors, then runs queries and
reports:

* insert throughput (pairs/s, the time of the insert calls only, not of making the vectors),
* query latency p50/p95 (ms, top-10, one query at a time, record texts fetched),
* recall@1 of the planted neighbour and recall@10 against exact search,
* memory: resident set size (VmRSS) after inserting and after querying, and its peak (VmHWM),
* size on disk.

Systems: ``agentmem`` = :class:`agentmem.stores.subroutines.SubroutineStore` (JSONL shards +
memory-mapped float32 vectors, searched through its approximate index: faiss IVF-SQ8
candidates re-scored exactly, :mod:`agentmem.stores.vector_ann`); ``numpy-exact`` = the exact
scan of the same store's vectors (numpy matrix-vector product, measured in the same process,
and the reference for recall@10); ``chroma`` = a raw ``chromadb.PersistentClient`` collection
(HNSW, cosine) holding the same texts. Each (system, scale) runs in its own subprocess so that
memory figures do not mix.

``--data`` picks the vectors: ``random`` (isotropic unit vectors: no cluster structure, the
worst case for every approximate index, where ranks 2-10 of the exact answer are near-ties) or
``clustered`` (unit vectors around 2,000 topic centres, cosine about 0.55 between members of a
topic, closer to how sentence embeddings of many similar subquestions are distributed).

The vectors are synthetic on purpose: embedding a million texts with MiniLM runs at a few
hundred texts/s on this CPU (measured separately on a small sample, the ``minilm`` row), i.e.
hours. Queries are stored vectors plus Gaussian noise (cosine about 0.8 to their source), so
each query has one planted true neighbour.

Usage::

    python benchmarks/subroutine_scale_bench.py                      # 100k and 1M, both systems
    python benchmarks/subroutine_scale_bench.py --scales 20000 --queries 50   # a quick check
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
# One BLAS thread: on a small shared machine, OpenBLAS with 2 threads ran the exact search's
# matrix-vector product 3x slower than with one (measured under load). Chroma's HNSW does not use BLAS.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

DIM = 384
CHUNK = 20_000


def _proc_status() -> dict[str, float]:
    out = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in {"VmRSS", "VmHWM"}:
            out[key] = int(value.split()[0]) / 1024.0  # MiB
    return out


def _dir_size(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


DATA = {"kind": "random"}
_CENTRES: dict[int, object] = {}


def _centres(seed: int):  # noqa: ANN202
    import numpy as np

    if seed not in _CENTRES:
        _CENTRES[seed] = np.random.default_rng([seed, 7]).standard_normal((2000, DIM), dtype=np.float32)
    return _CENTRES[seed]


def _vectors(start: int, n: int, seed: int):  # noqa: ANN202
    """Rows ``start .. start+n`` of the synthetic unit vectors (identical for every system)."""
    import numpy as np

    out = np.empty((n, DIM), dtype=np.float32)
    for c0 in range(start - start % CHUNK, start + n, CHUNK):
        rng = np.random.default_rng([seed, c0 // CHUNK])
        block = rng.standard_normal((CHUNK, DIM), dtype=np.float32)
        if DATA["kind"] == "clustered":
            block = _centres(seed)[rng.integers(0, 2000, CHUNK)] + 0.9 * block  # type: ignore[index]
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        lo, hi = max(start, c0), min(start + n, c0 + CHUNK)
        out[lo - start : hi - start] = block[lo - c0 : hi - c0]
    return out


def _texts(row: int) -> tuple[str, str]:
    topic = ("counting", "algebra", "geometry", "probability", "graphs", "strings", "grids", "parsing")[row % 8]
    q = f"How do I handle case {row} of a {topic} problem with {row % 97} constraints?"
    r = f"1. Restate the {topic} quantity for case {row}. 2. Split it into {row % 5 + 2} independent parts. 3. Solve each part and combine the results; check the edge case {row % 13}."
    return q, r


def _queries(n_rows: int, n: int, seed: int):  # noqa: ANN202
    import numpy as np

    rng = np.random.default_rng([seed, 999])
    targets = rng.choice(n_rows, size=n, replace=False)
    qs = np.stack([_vectors(int(t), 1, seed)[0] for t in targets])
    qs = qs + rng.standard_normal(qs.shape, dtype=np.float32) * 0.75 / np.sqrt(DIM)
    qs /= np.linalg.norm(qs, axis=1, keepdims=True)
    return targets, qs


def _pct(values: list[float], p: float) -> float:
    import numpy as np

    return float(np.percentile(np.asarray(values), p))


# --------------------------------------------------------------------------------------------
def worker_agentmem(n: int, args: argparse.Namespace, workdir: Path) -> dict:
    import numpy as np

    from agentmem.settings import Settings
    from agentmem.stores.subroutines import Subroutine, SubroutineStore

    targets, qvecs = _queries(n, args.queries, args.seed)

    class LookupEmbedder:
        """Maps the benchmark's query strings 'q<i>' to the prepared query vectors."""

        name = f"synthetic-{DIM}"
        dim = DIM

        def embed(self, texts: list[str]) -> np.ndarray:
            return np.stack([qvecs[int(t[1:])] for t in texts])

    settings = Settings.load(home=workdir / "home", embedder={"backend": "hash"}, index={"backend": "memory"}).ensure_home()
    store = SubroutineStore(settings, embedder=LookupEmbedder())
    insert_s = insert_cpu = 0.0
    for start in range(0, n, args.batch):
        m = min(args.batch, n - start)
        vecs = _vectors(start, m, args.seed)
        pairs = []
        for row in range(start, start + m):
            q, r = _texts(row)
            pairs.append(Subroutine(subquestion=q, subroutine=r, source_task=f"synthetic-{row // 50}"))
        t0, c0 = time.perf_counter(), time.process_time()
        store.add(pairs, embeddings=vecs)
        insert_s += time.perf_counter() - t0
        insert_cpu += time.process_time() - c0
        _progress(workdir, start + m, insert_s)
    mem_insert = _proc_status()
    lat, top1, top10 = [], 0, []
    for i in range(args.queries):
        t0 = time.perf_counter()
        hits = store.search_pairs(f"q{i}", k=10)
        lat.append((time.perf_counter() - t0) * 1000)
        rows = [int(h.id[3:]) for h, _ in hits]
        top1 += int(rows and rows[0] == int(targets[i]))
        top10.append(rows)
    mem_query = _proc_status()
    # The exact scan of the same vectors (numpy), timed the same way (texts fetched): the recall reference.
    ex_lat, ex_top1, exact10 = [], 0, []
    for i in range(args.queries):
        t0 = time.perf_counter()
        rows_, _ = store.vectors.search(qvecs[i], 10)
        [store.get(f"sr-{int(r)}") for r in rows_]
        ex_lat.append((time.perf_counter() - t0) * 1000)
        ex_top1 += int(len(rows_) and int(rows_[0]) == int(targets[i]))
        exact10.append([int(r) for r in rows_])
    return {
        "rows": len(store), "insert_s": insert_s, "insert_per_s": n / insert_s, "insert_cpu_s": insert_cpu, "insert_per_cpu_s": n / max(insert_cpu, 1e-9),
        "p50_ms": _pct(lat, 50), "p95_ms": _pct(lat, 95), "recall_at_1": top1 / args.queries,
        "rss_after_insert_mib": mem_insert["VmRSS"], "rss_after_query_mib": mem_query["VmRSS"], "peak_rss_mib": mem_query["VmHWM"],
        "disk_mib": _dir_size(workdir / "home"), "top10": top10, "exact10": exact10, "index": store.ann.info(),
        "exact": {"p50_ms": _pct(ex_lat, 50), "p95_ms": _pct(ex_lat, 95), "recall_at_1": ex_top1 / args.queries},
    }


def worker_chroma(n: int, args: argparse.Namespace, workdir: Path) -> dict:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    targets, qvecs = _queries(n, args.queries, args.seed)
    client = chromadb.PersistentClient(path=str(workdir / "chroma"), settings=ChromaSettings(anonymized_telemetry=False))
    col = client.create_collection("subroutines", metadata={"hnsw:space": "cosine"})
    max_batch = min(args.batch, client.get_max_batch_size())
    insert_s = insert_cpu = 0.0
    for start in range(0, n, max_batch):
        m = min(max_batch, n - start)
        vecs = _vectors(start, m, args.seed)
        ids, docs, metas = [], [], []
        for row in range(start, start + m):
            q, r = _texts(row)
            ids.append(str(row))
            docs.append(r)
            metas.append({"subquestion": q, "namespace": "default/default", "source_task": f"synthetic-{row // 50}"})
        t0, c0 = time.perf_counter(), time.process_time()
        col.add(ids=ids, embeddings=vecs, documents=docs, metadatas=metas)
        insert_s += time.perf_counter() - t0
        insert_cpu += time.process_time() - c0
        _progress(workdir, start + m, insert_s)
        if insert_s > args.insert_budget:
            break
    mem_insert = _proc_status()
    inserted = col.count()
    partial = inserted < n
    if partial:  # query what is there: the planted neighbours must be among the inserted rows
        targets, qvecs = _queries(inserted, args.queries, args.seed)
    lat, top1, top10 = [], 0, []
    for i in range(args.queries):
        t0 = time.perf_counter()
        res = col.query(query_embeddings=[qvecs[i]], n_results=10, include=["documents", "metadatas", "distances"])
        lat.append((time.perf_counter() - t0) * 1000)
        rows = [int(x) for x in res["ids"][0]]
        top1 += int(rows and rows[0] == int(targets[i]))
        top10.append(rows)
    mem_query = _proc_status()
    return {
        "rows": inserted, "partial": partial, "insert_s": insert_s, "insert_per_s": inserted / insert_s, "insert_cpu_s": insert_cpu, "insert_per_cpu_s": inserted / max(insert_cpu, 1e-9),
        "p50_ms": _pct(lat, 50), "p95_ms": _pct(lat, 95), "recall_at_1": top1 / args.queries,
        "rss_after_insert_mib": mem_insert["VmRSS"], "rss_after_query_mib": mem_query["VmRSS"], "peak_rss_mib": mem_query["VmHWM"],
        "disk_mib": _dir_size(workdir / "chroma"), "top10": None if partial else top10,
    }


def worker_minilm(n: int, args: argparse.Namespace, workdir: Path) -> dict:
    import torch

    torch.set_num_threads(1)
    from agentmem.retrieval.embedder import MiniLMEmbedder

    emb = MiniLMEmbedder(batch_size=64)
    emb.embed(["warm up the model"])
    texts = [_texts(i)[0] for i in range(n)]
    t0 = time.perf_counter()
    emb.embed(texts)
    secs = time.perf_counter() - t0
    return {"rows": n, "embed_s": secs, "embed_per_s": n / secs, "hours_for_1m": 1e6 / (n / secs) / 3600, "peak_rss_mib": _proc_status()["VmHWM"], "threads": 1}


def _progress(workdir: Path, rows: int, secs: float) -> None:
    (workdir / "progress.json").write_text(json.dumps({"rows": rows, "insert_s": secs}))


WORKERS = {"agentmem": worker_agentmem, "chroma": worker_chroma, "minilm": worker_minilm}


# --------------------------------------------------------------------------------------------
def run_one(system: str, n: int, args: argparse.Namespace) -> dict:
    workdir = Path(args.workdir) / f"{system}-{n}"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    out = workdir / "result.json"
    cmd = [sys.executable, __file__, "--worker", system, "--n", str(n), "--queries", str(args.queries), "--batch", str(args.batch), "--seed", str(args.seed), "--workdir", str(workdir), "--insert-budget", str(args.insert_budget), "--data", args.data]
    t0 = time.time()
    print(f"[{time.strftime('%H:%M:%S')}] {system} n={n} ...", flush=True)
    try:
        subprocess.run(cmd, check=True, timeout=args.timeout)
        result = json.loads(out.read_text())
    except subprocess.TimeoutExpired:
        prog = json.loads((workdir / "progress.json").read_text()) if (workdir / "progress.json").exists() else {"rows": 0, "insert_s": 0}
        result = {"timed_out": True, "rows": prog["rows"], "insert_s": prog["insert_s"], "insert_per_s": prog["rows"] / max(prog["insert_s"], 1e-9)}
    except subprocess.CalledProcessError as exc:
        result = {"failed": f"exit {exc.returncode}"}
    result.update(system=system, n=n, wall_s=time.time() - t0)
    print(f"    {json.dumps({k: (round(v, 2) if isinstance(v, float) else v) for k, v in result.items() if k not in {'top10', 'exact10'}})}", flush=True)
    if not args.keep:
        shutil.rmtree(workdir / "home", ignore_errors=True)
        shutil.rmtree(workdir / "chroma", ignore_errors=True)
    return result


def recall_at_10(a: list[list[int]], exact: list[list[int]]) -> float:
    return sum(len(set(x) & set(e)) / max(1, len(e)) for x, e in zip(a, exact)) / max(1, len(exact))


def report(results: list[dict], args: argparse.Namespace) -> str:
    load = os.getloadavg()
    lines = [
        f"# Subroutine store at scale: agentmem vs raw chromadb vs exact numpy ({args.data} vectors)",
        "",
        f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {os.cpu_count()} CPU cores shared with other jobs "
        f"(load average at the end {load[0]:.1f}, {load[1]:.1f}, {load[2]:.1f}), so timings are noisy. "
        f"Command: `python benchmarks/subroutine_scale_bench.py {' '.join(sys.argv[1:])}`.",
        "",
        f"Synthetic {DIM}-d unit vectors, {args.data} (not MiniLM embeddings; see the last table for why), texts of about 250 bytes per pair, "
        f"{args.queries} queries per run (a stored vector plus noise, cosine about 0.8 to it), top-10, one query at a time, texts fetched. "
        "Recall@10 is measured against the exact numpy scan of the same vectors at the same scale. agentmem searches through its approximate "
        "index (faiss IVF-SQ8 candidates, re-scored exactly); its insert rate includes keeping that index up to date.",
        "",
        "| system | pairs | insert (pairs/s, wall) | insert total (s) | insert CPU (s; pairs per CPU-s) | query p50 (ms) | query p95 (ms) | recall@1 planted | recall@10 vs exact | RSS after insert (MiB) | RSS after queries (MiB) | peak RSS (MiB) | disk (MiB) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    exact = {r["n"]: r.get("exact10") for r in results if r["system"] == "agentmem"}
    for r in results:
        if r["system"] == "minilm":
            continue
        if r["system"] == "agentmem" and r.get("exact"):
            e = r["exact"]
            lines.append(f"| numpy-exact (same store) | {r['rows']:,} | (same files) | | | {e['p50_ms']:.1f} | {e['p95_ms']:.1f} | {e['recall_at_1']:.3f} | 1.000 (reference) | | | | |")
        if r.get("timed_out") or r.get("failed"):
            why = "timed out" if r.get("timed_out") else r["failed"]
            lines.append(f"| {r['system']} | {r['n']:,} | {r.get('insert_per_s', 0):,.0f} (partial: {r.get('rows', 0):,} rows in {r.get('insert_s', 0):.0f} s, {why}) | | | | | | | | | | |")
            continue
        r10 = f"{recall_at_10(r['top10'], exact[r['n']]):.3f}" if exact.get(r["n"]) and r.get("top10") else "n/a"
        rows = f"{r['rows']:,}" + (f" of {r['n']:,} (insert budget of {args.insert_budget:.0f} s ran out)" if r.get("partial") else "")
        lines.append(
            f"| {r['system']} | {rows} | {r['insert_per_s']:,.0f} | {r['insert_s']:.1f} | {r.get('insert_cpu_s', 0):.1f}; {r.get('insert_per_cpu_s', 0):,.0f} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {r['recall_at_1']:.3f} | {r10} | "
            f"{r['rss_after_insert_mib']:,.0f} | {r['rss_after_query_mib']:,.0f} | {r['peak_rss_mib']:,.0f} | {r['disk_mib']:,.0f} |"
        )
    for r in results:
        if r["system"] == "agentmem" and r.get("index"):
            lines.append(f"\nagentmem's index at {r['n']:,} pairs: {json.dumps(r['index'])}.")
    mini = [r for r in results if r["system"] == "minilm" and "embed_per_s" in r]
    if mini:
        m = mini[0]
        lines += [
            "",
            "## Why synthetic vectors: MiniLM embedding throughput",
            "",
            "| texts | threads | texts/s | hours for 1M texts |",
            "|---:|---:|---:|---:|",
            f"| {m['rows']} | {m['threads']} | {m['embed_per_s']:.0f} | {m['hours_for_1m']:.1f} |",
        ]
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scales", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--systems", nargs="+", default=["agentmem", "chroma"], choices=["agentmem", "chroma"])
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--batch", type=int, default=5_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--minilm-sample", type=int, default=512, help="texts for the MiniLM throughput row (0 = skip)")
    ap.add_argument("--timeout", type=float, default=2700, help="seconds per (system, scale) run before it is killed")
    ap.add_argument("--insert-budget", type=float, default=1500, help="seconds of insert calls after which a run stops inserting and queries what it has (reported as partial)")
    ap.add_argument("--data", choices=["random", "clustered"], default="random", help="synthetic vectors: isotropic (worst case) or around topic centres")
    ap.add_argument("--workdir", default="/tmp/agentmem-scale-bench")
    ap.add_argument("--out", default=str(REPO / "benchmarks" / "results"))
    ap.add_argument("--keep", action="store_true", help="keep the stores on disk")
    ap.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    ap.add_argument("--n", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    DATA["kind"] = args.data
    if args.worker:
        workdir = Path(args.workdir)
        result = WORKERS[args.worker](args.n, args, workdir)
        (workdir / "result.json").write_text(json.dumps(result))
        return
    results = []
    for n in args.scales:
        for system in args.systems:
            results.append(run_one(system, n, args))
    if args.minilm_sample:
        results.append(run_one("minilm", args.minilm_sample, args))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    suffix = "" if args.data == "random" else f"_{args.data}"
    (out / f"subroutine_scale{suffix}.json").write_text(json.dumps([{k: v for k, v in r.items() if k not in {"top10", "exact10"}} for r in results], indent=2))
    text = report(results, args)
    (out / f"subroutine_scale{suffix}.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
