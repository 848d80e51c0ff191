"""Recall alone vs recall right after a write, alternating in one process over an existing home.

The interleaved loop of ``recall_latency_bench.py`` times recall alone first and the
remember-then-recall steps after, so on a shared machine a load change between the two phases
moves their ratio. This script alternates the three calls (recall; remember; recall) so both
see the same load, and reports wall and CPU time (``time.process_time``: every thread of the
process) for each. Queries are LoCoMo questions (a fresh random draw, each tagged with the run's
id so the home's embedding cache never answers for the model); remembers go through
``Memory.remember`` (the controller's edit) with the home's default settings.

    nice python benchmarks/recall_write_ab.py --home /tmp/recall-bench/home-100000 --steps 80

Use a home built by ``recall_latency_bench.py --keep`` (or ``--reuse-homes``); it gains the notes.

``--ab`` alternates the steps between three write paths, and reports each at the same load:
``grouped`` = the batch's fsyncs overlapped (``agentmem.fileio.fsync_group``) and the item
embedded while the journal's first fsyncs are in flight (``HybridIndex.prefetch``); ``deferred``
= fsyncs overlapped and the item's vector computed off the acknowledged path on a background
thread (``index.defer_item_vectors``); ``inline`` = the write path before this work (the vector
computed before the write, every fsync waited for in turn). The benchmark switches per step: the
fact store's ``defer_vectors`` flag, and ``defer_fsync`` / ``while_syncing`` answering "not in a
group" for the inline steps.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def stats(xs: list[float]) -> dict[str, float]:
    return {"p50": round(float(np.percentile(xs, 50)), 1), "p95": round(float(np.percentile(xs, 95)), 1), "mean": round(float(np.mean(xs)), 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", type=Path, required=True)
    ap.add_argument("--namespace", default="bench/agent")
    ap.add_argument("--steps", type=int, default=80)
    ap.add_argument("--data", type=Path, default=None)
    ap.add_argument("--ab", action="store_true", help="Alternate steps between the deferred write path and the inline one (see above); report both.")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "recall_write_ab.json")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    from agentmem.evals.locomo.data import load_locomo
    from agentmem.mcp_server import MemoryService
    from agentmem.settings import Settings

    settings = Settings.load(home=args.home, namespace=args.namespace).ensure_home()
    svc = MemoryService(settings)
    mem = svc.memory()
    qs = list(dict.fromkeys(q.question for c in load_locomo(args.data) for q in c.qa))
    tag = f"{os.getpid()}-{int(time.time())}"
    qs = [f"{qs[i]} [{tag}]" for i in np.random.default_rng(int(time.time())).permutation(len(qs))]
    if len(qs) < 2 * args.steps + 4:
        raise SystemExit(f"--steps {args.steps} needs {2 * args.steps + 4} questions; LoCoMo has {len(qs)}")
    load0 = os.getloadavg()
    for q in qs[:3]:
        mem.recall(q)
    mem.remember(f"warm-up note {tag}", namespace=args.namespace)
    facts = svc.facts
    modes = ["grouped", "deferred", "inline"] if args.ab else ["deferred" if facts.defer_vectors else "grouped"]
    import agentmem.fileio as fileio
    import agentmem.learning.provenance as provenance
    import agentmem.retrieval.write_buffer as write_buffer

    real = (fileio.defer_fsync, fileio.while_syncing)

    def no_group(*a, **kw) -> bool:  # noqa: ANN002, ANN003, ARG001
        return False

    def set_mode(mode: str) -> None:
        facts.defer_vectors = mode == "deferred"
        defer, idle = real if mode != "inline" else (no_group, no_group)
        fileio.defer_fsync = write_buffer.defer_fsync = provenance.defer_fsync = defer  # type: ignore[assignment]
        fileio.while_syncing = idle  # type: ignore[assignment]

    wall: dict[str, dict[str, list[float]]] = {m: {"recall_alone": [], "remember": [], "recall_after_write": []} for m in modes}
    cpu: dict[str, dict[str, list[float]]] = {m: {k: [] for k in wall[m]} for m in modes}
    qi = iter(qs[3:])

    def timed(mode: str, name: str, fn, *a, **kw) -> None:  # noqa: ANN001
        c0, t0 = time.process_time(), time.perf_counter()
        fn(*a, **kw)
        wall[mode][name].append(1000 * (time.perf_counter() - t0))
        cpu[mode][name].append(1000 * (time.process_time() - c0))

    for j in range(args.steps):
        mode = modes[j % len(modes)]
        set_mode(mode)
        timed(mode, "recall_alone", mem.recall, next(qi))
        q = next(qi)
        timed(mode, "remember", mem.remember, f"note {j} ({tag}): {q}", namespace=args.namespace)
        timed(mode, "recall_after_write", mem.recall, q)
    idx = facts.hybrid.index
    report: dict = {
        "benchmark": "recall-write-ab", "home": str(args.home), "items": len(facts.hybrid.lexical), "steps": args.steps,
        "load_before": [round(x, 2) for x in load0], "load_after": [round(x, 2) for x in os.getloadavg()],
        "write_buffer_flushes": getattr(idx, "flushes", None), "write_buffer_flush_ms": [round(1000 * x, 1) for x in getattr(idx, "flush_seconds", [])],
    }
    for mode in modes:
        w, c = wall[mode], cpu[mode]
        step_wall = np.add(w["remember"], w["recall_after_write"])
        step_cpu = np.add(c["remember"], c["recall_after_write"])
        report[mode] = {
            "steps": len(step_wall), "wall_ms": {k: stats(v) for k, v in w.items()}, "cpu_ms": {k: stats(v) for k, v in c.items()},
            "step_wall_ms": stats(list(step_wall)), "step_cpu_ms": stats(list(step_cpu)),
            "step_wall_p95_over_recall_alone_p95": round(float(np.percentile(step_wall, 95) / np.percentile(w["recall_alone"], 95)), 2),
            "step_wall_p50_over_recall_alone_p50": round(float(np.percentile(step_wall, 50) / np.percentile(w["recall_alone"], 50)), 2),
            "step_wall_mean_over_recall_alone_mean": round(float(np.mean(step_wall) / np.mean(w["recall_alone"])), 2),
            "step_cpu_mean_over_recall_alone_cpu_mean": round(float(np.mean(step_cpu) / np.mean(c["recall_alone"])), 2),
        }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
