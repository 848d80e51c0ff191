"""Depth-1 coverage of the shipped ARC transforms: which single transform solves which task.

For every task of an ARC-AGI-1 split, each transform is tried alone, as the search's depth 1 does:
its ``fit`` on the train pairs (or its fixed ``PARAMS``), each setting verified on **every** train
pair; the first verified setting is then run on the test inputs, and only then are the test
outputs looked at, to count a solve. (A task counts as solved by a transform when its first
verified setting is right on every test pair; the search would take the first setting too.)

Prints per-transform solves, the union, the tasks each transform alone solves, and the median
cost of one transform call (milliseconds per grid). Used to choose what the object-level
vocabulary lacks, on the training split only; the evaluation split is reported held out.

    PYTHONPATH=. python benchmarks/arc/object_vocab_coverage.py --split training
    PYTHONPATH=. python benchmarks/arc/object_vocab_coverage.py --split training --only recolor-objects,gravity
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from agentmem.evals.arc.data import load_split  # noqa: E402
from agentmem.evals.arc.library import Transform, TransformLibrary  # noqa: E402
from depth1_common import feasible, timed_call  # noqa: E402


def _settings(t: Transform, pairs: list[tuple[np.ndarray, np.ndarray]]) -> list[dict]:
    if t.can_fit:
        try:
            return t.fit(pairs)
        except Exception:
            return []
    return t.params


def solve_depth1(t: Transform, task, costs: list[float]) -> tuple[bool, bool, int]:
    """(verified on train, right on test, settings tried) for transform ``t`` on ``task``."""
    ins = [np.asarray(i) for i, _ in task.train_pairs]
    outs = [np.asarray(o) for _, o in task.train_pairs]
    if not feasible(t, ins, outs):
        return False, False, 0
    tried = 0
    for params in _settings(t, list(zip(ins, outs))):
        tried += 1
        ok = True
        for i, o in zip(ins, outs):
            got = timed_call(t, i, params, costs)
            if got is None or got.shape != o.shape or not np.array_equal(got, o):
                ok = False
                break
        if not ok:
            continue
        # verified on every train pair: now (and only now) compare with the hidden test outputs
        right = True
        for p in task.test:
            got = timed_call(t, np.asarray(p.input), params, costs)
            if got is None or got.shape != np.asarray(p.output).shape or not np.array_equal(got, np.asarray(p.output)):
                right = False
        return True, right, tried
    return False, False, tried


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--split", default="training", choices=("training", "evaluation", "eval100"))
    ap.add_argument("--only", default="", help="comma-separated transform names (default: all)")
    ap.add_argument("--limit", type=int, default=0, help="first N tasks only")
    ap.add_argument("--json", default="", help="write per-task results here")
    ap.add_argument("--list", action="store_true", help="print the task ids each transform solves")
    ap.add_argument("--md", default="", help="write a Markdown table here (e.g. benchmarks/results/arc_object_vocab_training.md)")
    args = ap.parse_args(argv)
    lib = TransformLibrary()
    only = {s for s in args.only.split(",") if s}
    transforms = [t for t in lib.primitives if not only or t.name in only]
    tasks = load_split(args.split)
    if args.limit:
        tasks = tasks[: args.limit]
    solved: dict[str, list[str]] = {t.name: [] for t in transforms}
    verified: dict[str, list[str]] = {t.name: [] for t in transforms}
    tried: dict[str, int] = {t.name: 0 for t in transforms}
    costs: dict[str, list[float]] = {t.name: [] for t in transforms}
    t0, c0 = time.perf_counter(), time.process_time()
    for task in tasks:
        for t in transforms:
            ok, right, n = solve_depth1(t, task, costs[t.name])
            tried[t.name] += n
            if ok:
                verified[t.name].append(task.id)
            if right:
                solved[t.name].append(task.id)
    union = sorted({tid for ids in solved.values() for tid in ids})
    vunion = sorted({tid for ids in verified.values() for tid in ids})
    print(f"split {args.split}: {len(tasks)} tasks, {len(transforms)} transforms, depth 1")
    header = f"{'transform':<22} {'solved':>6} {'verified':>8} {'unique':>6} {'settings':>8} {'median ms':>9} {'p95 ms':>7}"
    print(header)
    rows = []
    for t in transforms:
        others = {tid for name, ids in solved.items() if name != t.name for tid in ids}
        unique = [tid for tid in solved[t.name] if tid not in others]
        cs = sorted(costs[t.name])
        med = statistics.median(cs) * 1000 if cs else 0.0
        p95 = cs[int(0.95 * (len(cs) - 1))] * 1000 if cs else 0.0
        rows.append(f"| {t.name} | {len(solved[t.name])} | {len(verified[t.name])} | {len(unique)} | {tried[t.name]} | {med:.3f} | {p95:.2f} |")
        print(f"{t.name:<22} {len(solved[t.name]):>6} {len(verified[t.name]):>8} {len(unique):>6} {tried[t.name]:>8} {med:>9.3f} {p95:>7.2f}")
        if args.list and solved[t.name]:
            print("    " + " ".join(solved[t.name]))
    print(f"UNION solved {len(union)}/{len(tasks)} (verified on train {len(vunion)})")
    print(f"wall {time.perf_counter() - t0:.1f} s, CPU {time.process_time() - c0:.1f} s, load {os.getloadavg()[0]:.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps({"split": args.split, "solved": solved, "verified": verified, "union": union}, indent=1))
    if args.md:
        md = [f"# ARC-AGI-1 {args.split}: depth-1 coverage of the shipped transforms", "",
              f"Command: `python benchmarks/arc/object_vocab_coverage.py --split {args.split}`. Each transform alone: fit (or PARAMS) "
              "on the train pairs, the first setting verified on every train pair is run on the test inputs; test outputs "
              "are read only to count a solve. Per-call cost: milliseconds per grid over the verification calls."
              + ("" if args.split == "training" else " Held out: transforms are chosen on the training split only."), "",
              "| transform | solved | verified on train | solved by no other | settings checked | median ms | p95 ms |",
              "|---|---|---|---|---|---|---|", *rows, "",
              f"Union: **{len(union)} / {len(tasks)}** solved (verified on train: {len(vunion)}). "
              f"Wall {time.perf_counter() - t0:.1f} s, CPU {time.process_time() - c0:.1f} s, load average {os.getloadavg()[0]:.2f} "
              f"on {os.cpu_count()} CPUs.", ""]
        Path(args.md).write_text("\n".join(md))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
