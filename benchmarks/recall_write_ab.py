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
    wall: dict[str, list[float]] = {"recall_alone": [], "remember": [], "recall_after_write": []}
    cpu: dict[str, list[float]] = {k: [] for k in wall}
    qi = iter(qs[3:])

    def timed(name: str, fn, *a, **kw) -> None:  # noqa: ANN001
        c0, t0 = time.process_time(), time.perf_counter()
        fn(*a, **kw)
        wall[name].append(1000 * (time.perf_counter() - t0))
        cpu[name].append(1000 * (time.process_time() - c0))

    for j in range(args.steps):
        timed("recall_alone", mem.recall, next(qi))
        q = next(qi)
        timed("remember", mem.remember, f"note {j} ({tag}): {q}", namespace=args.namespace)
        timed("recall_after_write", mem.recall, q)
    step_wall = np.add(wall["remember"], wall["recall_after_write"])
    step_cpu = np.add(cpu["remember"], cpu["recall_after_write"])
    idx = svc.facts.hybrid.index
    report = {
        "benchmark": "recall-write-ab", "home": str(args.home), "items": len(svc.facts.hybrid.lexical), "steps": args.steps,
        "load_before": [round(x, 2) for x in load0], "load_after": [round(x, 2) for x in os.getloadavg()],
        "wall_ms": {k: stats(v) for k, v in wall.items()}, "cpu_ms": {k: stats(v) for k, v in cpu.items()},
        "step_wall_ms": stats(list(step_wall)), "step_cpu_ms": stats(list(step_cpu)),
        "step_wall_p95_over_recall_alone_p95": round(float(np.percentile(step_wall, 95) / np.percentile(wall["recall_alone"], 95)), 2),
        "step_wall_mean_over_recall_alone_mean": round(float(np.mean(step_wall) / np.mean(wall["recall_alone"])), 2),
        "step_cpu_mean_over_recall_alone_cpu_mean": round(float(np.mean(step_cpu) / np.mean(cpu["recall_alone"])), 2),
        "write_buffer_flushes": getattr(idx, "flushes", None), "write_buffer_flush_ms": [round(1000 * x, 1) for x in getattr(idx, "flush_seconds", [])],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
