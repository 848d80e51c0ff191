"""Lexical engines side by side: incremental BM25 (``IncrementalBM25``, the default), SQLite FTS5
(``FTSIndex``) and bm25s (``BM25Index``): quality and speed.

Quality: the LoCoMo retrieval protocol (``agentmem.evals.locomo.retrieval``; evidence recall@k,
categories 1-4) with each engine alone and, with ``--dense``, fused with dense MiniLM (RRF, k=60).

Speed, at each size N (LoCoMo turns replicated to N with distinct suffixes; LoCoMo questions as
queries): the time to index N documents, query p50/p95 (top 60), and one write followed by one
query (the agent loop's step): bm25s rebuilds its whole index on the first query after a write,
the other two update the written row; and for the persistent engines the time a new process
takes to open the N-row file and answer its first query. Incremental BM25 and FTS5 are files
(as in a home), bm25s is in memory.

    nice python benchmarks/lexical_engine_bench.py --dense --sizes 10000 100000 1000000 --queries 200
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def pct(xs: list[float]) -> dict[str, float]:
    return {"p50": round(float(np.percentile(xs, 50)), 2), "p95": round(float(np.percentile(xs, 95)), 2)}


def speed(n: int, turns: list[str], questions: list[str], args: argparse.Namespace, workdir: Path) -> dict:
    from agentmem.retrieval.fts import FTSIndex
    from agentmem.retrieval.incremental_bm25 import IncrementalBM25
    from agentmem.retrieval.lexical import BM25Index

    ids = [f"t{j}" for j in range(n)]
    texts = [turns[j % len(turns)] + ("" if j < len(turns) else f" (#{j // len(turns)})") for j in range(n)]
    metas = [{"namespace": "bench/agent"} for _ in range(n)]
    row: dict = {"items": n}
    makers = {"bm25": lambda: IncrementalBM25(workdir / f"bm25-{n}.sqlite"), "fts5": lambda: FTSIndex(workdir / f"fts-{n}.sqlite"), "bm25s": BM25Index}
    for name, make in makers.items():
        if n > {"bm25": 10**12, "fts5": args.fts5_max, "bm25s": args.bm25s_max}[name]:
            continue
        lx = make()
        t0 = time.perf_counter()
        for s in range(0, n, 50_000):
            lx.upsert(ids[s : s + 50_000], texts[s : s + 50_000], metas[s : s + 50_000])
        lx.search("warm up the index", k=1)
        build = time.perf_counter() - t0
        qs = []
        for q in questions[: args.queries]:
            t0 = time.perf_counter()
            lx.search(q, k=60)
            qs.append(1000 * (time.perf_counter() - t0))
        steps = []
        for j, q in enumerate(questions[args.queries : args.queries + args.steps]):
            t0 = time.perf_counter()
            lx.upsert([f"new{j}"], [f"note {j}: {q}"], [{"namespace": "bench/agent"}])
            lx.search(q, k=60)
            steps.append(1000 * (time.perf_counter() - t0))
        row[name] = {"index_s": round(build, 2), "query": pct(qs), "write_then_query": pct(steps)}
        if name != "bm25s":
            del lx
            t0 = time.perf_counter()
            make().search(questions[-1], k=60)
            row[name]["open_and_first_query_s"] = round(time.perf_counter() - t0, 2)
        print(json.dumps({"items": n, name: row[name]}), flush=True)
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--steps", type=int, default=10, help="write-then-query steps per engine")
    ap.add_argument("--bm25s-max", type=int, default=100_000, help="skip bm25s above this size")
    ap.add_argument("--fts5-max", type=int, default=100_000, help="skip FTS5 above this size")
    ap.add_argument("--no-quality", action="store_true")
    ap.add_argument("--dense", action="store_true", help="also the hybrid rows (embeds every LoCoMo turn with MiniLM once; cached)")
    ap.add_argument("--data", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = ap.parse_args()

    from agentmem.evals.locomo.data import load_locomo
    from agentmem.settings import Settings

    load0 = os.getloadavg()
    report: dict = {"benchmark": "lexical-engines", "machine": f"{platform.machine()}, {os.cpu_count()} cores shared with other jobs"}
    if not args.no_quality:
        if args.dense:
            import torch

            torch.set_num_threads(1)
        from agentmem.evals.locomo.retrieval import evaluate_retrieval

        settings = Settings.load()
        modes = ["bm25", "bm25_incremental", "fts5"] + (["hybrid", "hybrid_incremental", "hybrid_fts5"] if args.dense else [])
        q = evaluate_retrieval(args.data, retriever="bm25", modes=modes, settings=settings, cache_dir=settings.paths.cache)
        report["quality"] = {m: {"main": r["main"], "category_5": r["category_5"]} for m, r in q["retrievers"].items()}
        print(json.dumps(report["quality"]), flush=True)
    convs = load_locomo(args.data)
    turns = [t.render() for c in convs for t in c.turns]
    rng = np.random.default_rng(0)
    questions = list(dict.fromkeys(qa.question for c in convs for qa in c.qa))
    questions = [questions[i] for i in rng.permutation(len(questions))]
    with tempfile.TemporaryDirectory(prefix="lexical-bench-") as tmp:
        report["speed"] = [speed(n, turns, questions, args, Path(tmp)) for n in args.sizes]
    report["load_before"], report["load_after"] = [round(x, 2) for x in load0], [round(x, 2) for x in os.getloadavg()]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "lexical_engines.json").write_text(json.dumps(report, indent=2))
    cmd = f"python benchmarks/lexical_engine_bench.py --sizes {' '.join(map(str, args.sizes))} --queries {args.queries}"
    lines = ["# Lexical engines: incremental BM25 (default), SQLite FTS5, bm25s", "", f"Machine: {report['machine']}; load average before {report['load_before']}, after {report['load_after']}. Command: `{cmd}`.", ""]
    if "quality" in report:
        lines += ["## LoCoMo evidence recall (categories 1-4)", "", "| retriever | R@1 | R@5 | R@10 | R@20 | session hit@3 | queries |", "|---|---|---|---|---|---|---|"]
        for m, r in report["quality"].items():
            t = r["main"]
            lines.append(f"| {m} | {t['R@1']:.1f} | {t['R@5']:.1f} | {t['R@10']:.1f} | {t['R@20']:.1f} | {t['session_hit@3']:.1f} | {t['queries']} |")
        lines.append("")
    lines += ["## Speed (ms unless noted)", "", "| items | engine | index (s) | query p50 | query p95 | write + query p50 | write + query p95 | open + first query (s) |", "|---|---|---|---|---|---|---|---|"]
    for r in report["speed"]:
        for e in ("bm25", "fts5", "bm25s"):
            if e in r:
                x = r[e]
                lines.append(f"| {r['items']:,} | {e} | {x['index_s']} | {x['query']['p50']} | {x['query']['p95']} | {x['write_then_query']['p50']} | {x['write_then_query']['p95']} | {x.get('open_and_first_query_s', '-')} |")
    (args.out / "lexical_engines.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
