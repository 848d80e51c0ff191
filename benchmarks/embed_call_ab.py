"""Per-call latency of the MiniLM adapter's model call, before and after it skipped
``SentenceTransformer.encode``'s per-call set-up (``model.eval()`` and device look-ups that walk
every module), in one process, on the same short queries.

``encode`` = ``model.encode(texts, normalize_embeddings=True, ...)`` (the adapter's old call);
``direct`` = :func:`agentmem.retrieval.embedder.encode_normalized` (the adapter's call now). Each
repetition embeds one query both ways, in a random order, so both arms see the same load. The
query embedding cache is not involved (the model is called directly). Prints wall p50/p95/mean
and CPU per call, and writes JSON + Markdown to ``benchmarks/results/``.

    OMP_NUM_THREADS=1 nice python benchmarks/embed_call_ab.py --reps 600
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

OUT = Path(__file__).resolve().parent / "results"
QUERIES = [
    "what did Alice say about the window seats?",
    "When did Caroline go to the support group?",
    "Which city did Melanie visit last summer?",
    "favourite hiking trail near the lake",
    "how long has John been learning the guitar?",
    "What book is Dave reading?",
    "reminder: dentist appointment",
    "Why did the deploy fail on Friday?",
]


def _pct(xs: list[float], q: float) -> float:
    return round(float(np.percentile(xs, q)), 2)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=600, help="Repetitions per arm (one query each).")
    ap.add_argument("--warmup", type=int, default=30)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--tag", default="", help="Suffix of the result files.")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
    from agentmem.retrieval.embedder import MiniLMEmbedder, encode_normalized

    model = MiniLMEmbedder()._load()
    arms = {
        "encode": lambda q: model.encode([q], batch_size=64, convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False),
        "direct": lambda q: encode_normalized(model, [q], 64),
    }
    for j in range(args.warmup):
        for fn in arms.values():
            fn(QUERIES[j % len(QUERIES)])
    diff = max(float(np.abs(arms["encode"](q) - arms["direct"](q)).max()) for q in QUERIES)
    rng = random.Random(args.seed)
    wall: dict[str, list[float]] = {a: [] for a in arms}
    cpu: dict[str, list[float]] = {a: [] for a in arms}
    load0 = os.getloadavg()
    t_start = time.perf_counter()
    for j in range(args.reps):
        q = QUERIES[j % len(QUERIES)]
        order = list(arms)
        rng.shuffle(order)
        for a in order:
            c0, t0 = time.thread_time(), time.perf_counter()
            arms[a](q)
            wall[a].append(1000 * (time.perf_counter() - t0))
            cpu[a].append(1000 * (time.thread_time() - c0))
    load1 = os.getloadavg()
    res = {
        "reps": args.reps, "torch_threads": torch.get_num_threads(), "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "load_before": [round(x, 2) for x in load0], "load_after": [round(x, 2) for x in load1],
        "seconds": round(time.perf_counter() - t_start, 1), "max_abs_diff": diff,
        "arms": {a: {"wall_ms_p50": _pct(wall[a], 50), "wall_ms_p95": _pct(wall[a], 95), "wall_ms_mean": round(float(np.mean(wall[a])), 2),
                     "cpu_ms_p50": _pct(cpu[a], 50), "cpu_ms_mean": round(float(np.mean(cpu[a])), 2)} for a in arms},
    }
    saved = [x - y for x, y in zip(wall["encode"], wall["direct"])]
    res["paired_saving_ms"] = {"p50": _pct(saved, 50), "mean": round(float(np.mean(saved)), 2)}
    print(json.dumps(res, indent=2))
    OUT.mkdir(exist_ok=True)
    stem = "embed_call_ab" + (f"_{args.tag}" if args.tag else "")
    (OUT / f"{stem}.json").write_text(json.dumps(res, indent=2) + "\n", encoding="utf-8")
    rows = [f"| {a} | {r['wall_ms_p50']} | {r['wall_ms_p95']} | {r['wall_ms_mean']} | {r['cpu_ms_p50']} | {r['cpu_ms_mean']} |" for a, r in res["arms"].items()]
    md = [
        "# MiniLM adapter: one short query, `SentenceTransformer.encode` vs the direct call",
        "",
        f"`python benchmarks/embed_call_ab.py --reps {args.reps}`; one process, arms interleaved in random order; "
        f"torch threads {res['torch_threads']}; load {res['load_before']} -> {res['load_after']}; max |difference| {diff:.2e}.",
        "",
        "| arm | wall p50 (ms) | wall p95 | wall mean | CPU p50 (ms) | CPU mean |",
        "|---|---|---|---|---|---|",
        *rows,
        "",
        f"Paired saving per call (encode - direct): p50 {res['paired_saving_ms']['p50']} ms, mean {res['paired_saving_ms']['mean']} ms.",
    ]
    (OUT / f"{stem}.md").write_text("\n".join(md) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
