"""How much can a better search ORDER gain? Trace the shipped search to a large budget, once per task.

For each task the composition search runs (shipped transforms; optionally an order from a prior file)
up to ``--budget`` candidate checks and records **every** verified program with the candidate count at
which it was found. Because the enumeration order does not depend on the budget, one trace answers
"what would a search with budget B have submitted?" for every B <= ``--budget``: the first program
found by B, and the second attempt (next distinct test prediction) found by ``min(B, first_at +
B // 4)`` (the search's default ``second_budget``). Test outputs are read only to mark which
programs are correct (the figure being measured), never by the search.

    python benchmarks/arc/order_headroom.py --split training --sample 100 --budget 30000 --out .bench/headroom_train.json

Prints solved per budget and, for the tasks solved within the trace, where the first correct program
sits (its candidate count). Traces are written to ``--out`` (JSON) so a prior can be evaluated on them
without re-searching.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from collections.abc import Callable
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OMP_NUM_THREADS", "1")

_LIB: Any = None


def trace_task(args: tuple[str, list, list, list, int, float, dict | None, int]) -> dict[str, Any]:
    """Every verified program (count, depth, skills, correct) of one task up to ``budget`` checks."""
    import numpy as np

    from agentmem.evals.arc.library import TransformLibrary
    from agentmem.evals.arc.search import CompositionSearch, apply_steps

    global _LIB
    tid, train, tests, expected, budget, seconds, order, depth = args
    if _LIB is None:
        _LIB = TransformLibrary()
    s = CompositionSearch(_LIB, max_depth=depth, max_candidates=budget, max_seconds=seconds, order=order, attempts=99, second_budget=budget)
    t0, c0 = time.perf_counter(), time.process_time()
    progs, seen = [], []
    tin = [np.asarray(t) for t in tests]
    for at, steps, depth, names in s.trace(train):
        pred = s._predict(steps, tin)
        if pred is None or pred in seen:
            continue
        seen.append(pred)
        got = [apply_steps(_LIB, steps, g) for g in tin]
        ok = all(o is not None and o.shape == np.asarray(e).shape and np.array_equal(o, np.asarray(e)) for o, e in zip(got, expected))
        progs.append({"at": at, "depth": depth, "names": names, "skills": [st["skill"] for st in steps], "correct": ok})
    hit = "candidates" if s._count >= budget else ("time" if time.perf_counter() - t0 >= seconds else None)
    return {"task": tid, "programs": progs, "checks": s._count, "budget_hit": hit, "cpu_s": round(time.process_time() - c0, 2),
            "wall_s": round(time.perf_counter() - t0, 2)}


def solved_at(trace: dict[str, Any], budget: int, second: float = 0.25) -> bool:
    """Would a search with ``budget`` checks (2 attempts) have solved the task, per its trace?"""
    progs = [p for p in trace["programs"] if p["at"] <= budget]
    if not progs:
        return False
    first = progs[0]
    limit = min(budget, first["at"] + int(budget * second))
    attempts = [first] + [p for p in progs[1:] if p["at"] <= limit][:1]
    return any(p["correct"] for p in attempts)


def main(argv: list[str] | None = None) -> None:
    from multiprocessing import Pool

    from agentmem.evals.arc.data import load_arc

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--split", default="training", choices=["training", "evaluation"])
    ap.add_argument("--sample", type=int, default=100, help="Every k-th task so that about this many are used (id order).")
    ap.add_argument("--offset", type=int, default=0)
    ap.add_argument("--budget", type=int, default=30000)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--budgets", default="1500,3000,6000,10000,20000,30000")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--unsolved-in", type=Path, default=None,
                    help="Keep only the sampled tasks this earlier trace (JSON) found no correct program for (where depth 3 could add).")
    ap.add_argument("--max-depth", type=int, default=2, choices=[1, 2, 3])
    ap.add_argument("--prior", type=Path, default=None, help="A trained ArcPrior folder: enumerate in its order (else the library default).")
    a = ap.parse_args(argv)
    ds = load_arc()
    tasks = ds.training if a.split == "training" else ds.evaluation
    step = max(1, len(tasks) // a.sample)
    tasks = tasks[a.offset::step][: a.sample]
    if a.unsolved_in is not None:
        done = {t["task"] for t in json.loads(a.unsolved_in.read_text()) if any(p["correct"] for p in t["programs"])}
        tasks = [t for t in tasks if t.id not in done]
    order: Callable[[Any], dict[str, float]] | None = None
    if a.prior is not None:
        from agentmem.evals.arc.library import TransformLibrary
        from agentmem.evals.arc.prior import ArcPrior, task_text
        from agentmem.evals.arc.wake_sleep import _describe

        pr = ArcPrior(a.prior, [(t.name, _describe(t)) for t in TransformLibrary().all])
        if not pr.trained:
            raise SystemExit(f"{a.prior}: no trained prior")

        def order_of(t: Any) -> dict[str, float]:
            return pr.order(task_text(t.train_pairs, t.test_inputs))

        order = order_of
    jobs = [(t.id, t.train_pairs, t.test_inputs, [p.output for p in t.test], a.budget, a.seconds, order(t) if order else None, a.max_depth)
            for t in tasks]
    t0 = time.time()
    with Pool(a.workers) as pool:
        traces = pool.map(trace_task, jobs, chunksize=1)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(traces))
    cpu = sum(t["cpu_s"] for t in traces)
    print(f"{len(traces)} {a.split} tasks, trace to {a.budget} checks: {time.time() - t0:.0f} s wall, {cpu:.0f} CPU-s (workers), load {os.getloadavg()}")
    for b in [int(x) for x in a.budgets.split(",") if int(x) <= a.budget]:
        print(f"  budget {b:>6}: solved {sum(solved_at(t, b) for t in traces)}")
    firsts = sorted(next(p["at"] for p in t["programs"] if p["correct"]) for t in traces if any(p["correct"] for p in t["programs"]))
    print(f"  tasks with a correct program within {a.budget}: {len(firsts)}; first-correct counts: {firsts}")
    d2 = [t["task"] for t in traces if any(p["correct"] and p["depth"] == 2 for p in t["programs"]) and not any(p["correct"] and p["depth"] == 1 for p in t["programs"])]
    print(f"  only at depth 2: {len(d2)}")
    d3 = [t["task"] for t in traces if any(p["correct"] and p["depth"] == 3 for p in t["programs"]) and not any(p["correct"] and p["depth"] < 3 for p in t["programs"])]
    print(f"  only at depth 3: {len(d3)} {d3}")
    print(f"  checks spent (exhausted when below the budget): median {sorted(t['checks'] for t in traces)[len(traces) // 2]}, "
          f"max {max(t['checks'] for t in traces)}; budget hits {sum(1 for t in traces if t['budget_hit'])}")


if __name__ == "__main__":
    main()
