"""Record every verified program the ARC search finds on a split, in discovery order (attempt-choice study).

For each task the composition search (shipped transforms, default order, depth 2) runs until its whole
candidate budget is spent (it does not stop at two attempts), and every program that reproduces **every**
train pair is written with the candidate count at which it was found, its skills, depth and its
predictions on the test inputs. Only after the search has finished does this script read the test
outputs, to mark each program's predictions right or wrong (``correct``), which on the training split is
the learning signal of :mod:`agentmem.evals.arc.attempts` and on the evaluation split only a score.

From one stream, any attempt rule can be replayed offline at any window: the shipped rule (the first two
programs with distinct predictions found within ``second_budget`` checks after the first), a larger pool
inside the same window, or the whole budget (``benchmarks/arc/attempt_ranker_bench.py``).

    nice python benchmarks/arc/verified_stream.py --split training --out .bench/arcrank/stream-training.jsonl
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OMP_NUM_THREADS", "1")

from agentmem.evals.arc.search import CompositionSearch  # noqa: E402
from agentmem.fileio import atomic_write_text  # noqa: E402

_LIB: Any = None


class StreamSearch(CompositionSearch):
    """The search, logging every verified program as it is yielded (before any attempt rule applies)."""

    stream: list[dict[str, Any]]
    _cur: tuple[int, list[str], int]

    def _programs(self, ins: Any) -> Any:
        for steps, depth, names in super()._programs(ins):
            self._cur = (depth, list(names), self._count)
            yield steps, depth, names

    def _predict(self, steps: Any, tests: Any) -> Any:
        depth, names, at = self._cur
        got = super()._predict(steps, tests)
        self.stream.append({"steps": steps, "depth": depth, "skills": names, "found_at": at, "key": None if got is None else hashlib.sha1(got).hexdigest()})
        return got


def run_task(args: tuple[str, list, list, int, float]) -> dict[str, Any]:
    from agentmem.evals.arc.library import TransformLibrary
    from agentmem.evals.arc.search import apply_steps

    global _LIB
    tid, train_pairs, test_inputs, budget, seconds = args
    if _LIB is None:
        _LIB = TransformLibrary()
    s = StreamSearch(_LIB, max_depth=2, max_candidates=budget, max_seconds=seconds, attempts=10_000, second_budget=budget)
    s.stream = []
    t0 = time.process_time()
    r = s.solve(train_pairs, test_inputs)
    for e in s.stream:
        preds = [apply_steps(_LIB, e["steps"], t) for t in test_inputs]
        e["prediction"] = [None if p is None else p.tolist() for p in preds]
    return {"task_id": tid, "first_at": r.first_at, "candidates": r.candidates, "budget_hit": r.budget_hit, "cpu_s": round(time.process_time() - t0, 3),
            "stream": s.stream}


def main(argv: list[str] | None = None) -> None:
    from agentmem.evals.arc.data import load_split

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--split", default="training", choices=["training", "evaluation"])
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--budget", type=int, default=3000)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--redo-short", action="store_true",
                    help="Re-run the tasks of --out that stopped before the candidate budget (the wall-clock net may have cut them "
                         "short on a loaded machine; give a larger --seconds) and replace their records.")
    args = ap.parse_args(argv)
    tasks = load_split(args.split)[: args.limit]
    done = set()
    if args.out.exists():
        old = [json.loads(line) for line in args.out.read_text().splitlines() if line.strip()]
        if args.redo_short:
            keep = [r for r in old if r["candidates"] >= args.budget]
            atomic_write_text(args.out, "".join(json.dumps(r) + "\n" for r in keep))
            old = keep
        done = {r["task_id"] for r in old}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    todo = [t for t in tasks if t.id not in done]
    expected = {t.id: [p.output for p in t.test] for t in tasks}
    t0 = time.time()
    with ProcessPoolExecutor(args.workers) as pool, args.out.open("a") as fh:
        jobs = [(t.id, t.train_pairs, t.test_inputs, args.budget, args.seconds) for t in todo]
        for i, rec in enumerate(pool.map(run_task, jobs, chunksize=1)):
            # the test outputs are read here, after the search: they label the programs, they never chose them
            exp = expected[rec["task_id"]]
            for e in rec["stream"]:
                e["correct"] = [p == o for p, o in zip(e["prediction"], exp)]
            fh.write(json.dumps(rec) + "\n")
            fh.flush()
            if (i + 1) % 25 == 0:
                print(f"{i + 1}/{len(todo)} tasks, {time.time() - t0:.0f} s, load {os.getloadavg()[0]:.2f}", flush=True)
    print(f"done: {len(todo)} tasks in {time.time() - t0:.0f} s wall")


if __name__ == "__main__":
    main()
