"""Depth-1 coverage of the shipped ARC transform vocabulary: which transform alone solves which task.

For every task of an ARC-AGI-1 split and every shipped transform skill (``skills/arc``), the
transform's settings (``fit`` on the train pairs, else ``PARAMS``) are verified on **every**
train pair, as the search does (same shape/colour pruning). Up to two verified settings with
distinct predictions on the test *inputs* are kept (ARC's two attempts); only then are the test
outputs read, to count a solve. Test outputs never choose a setting.

Printed: per transform, the tasks it solves, the tasks where a verified setting is wrong on the
test (a false positive), and the median cost of one transform call and one ``fit``; then the
union over transforms, and the real depth-1 search (:class:`CompositionSearch` with
``max_depth=1``, two attempts, names in the library's order) for comparison.

Use the training split to decide what to build; the evaluation split is a held-out figure.

    python benchmarks/arc/grid_vocab_coverage.py --split training [--skills a,b] [--skills-commit C] [--out PREFIX]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from agentmem.evals.arc.data import load_arc
from agentmem.evals.arc.library import Transform, TransformLibrary
from agentmem.evals.arc.search import CompositionSearch

from depth1_common import feasible, timed_call


def try_transform(t: Transform, ins: list[np.ndarray], outs: list[np.ndarray], tests: list[np.ndarray],
                  costs: list[float], fit_costs: list[float]) -> list[list[np.ndarray]]:
    """Up to two verified settings' predictions on the test inputs (distinct)."""
    if not feasible(t, ins, outs):
        return []
    if t.can_fit:
        t0 = time.process_time()
        try:
            settings = t.fit(list(zip(ins, outs)))
        except Exception:
            settings = []
        fit_costs.append(time.process_time() - t0)
    else:
        settings = t.params
    preds: list[list[np.ndarray]] = []
    seen: set[bytes] = set()
    for p in settings:
        ok = True
        for a, b in zip(ins, outs):
            got = timed_call(t, a, p, costs)
            if got is None or got.shape != b.shape or not np.array_equal(got, b):
                ok = False
                break
        if not ok:
            continue
        pred = [timed_call(t, g, p, costs) for g in tests]
        if any(x is None for x in pred):
            continue
        key = b"|".join(x.tobytes() + str(x.shape).encode() for x in pred)  # type: ignore[union-attr]
        if key in seen:
            continue
        seen.add(key)
        preds.append(pred)  # type: ignore[arg-type]
        if len(preds) >= 2:
            break
    return preds


def _correct(pred: list[np.ndarray], gold: list[np.ndarray]) -> bool:
    return all(p.shape == g.shape and np.array_equal(p, g) for p, g in zip(pred, gold))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--split", choices=("training", "evaluation"), default="training")
    ap.add_argument("--skills", default="", help="comma-separated transform names (default: all shipped)")
    ap.add_argument("--skills-dir", default="", help="a folder of transform skills instead of the shipped skills/arc")
    ap.add_argument("--skills-commit", default="", help="the shipped skills/arc as of this git commit (e.g. the figure before a change)")
    ap.add_argument("--limit", type=int, default=0, help="first N tasks only")
    ap.add_argument("--search", action="store_true", help="also run the real search (two attempts, 3000 checks)")
    ap.add_argument("--search-depth", type=int, default=1, help="depth of that search (2: the benchmark's default search)")
    ap.add_argument("--tasks", default="", help="only these task ids (comma-separated, or @FILE with one id a line)")
    ap.add_argument("--out", default="", help="write PREFIX.json and PREFIX.md")
    ap.add_argument("--show", default="", help="list the tasks solved by these transforms (comma-separated)")
    args = ap.parse_args(argv)

    tmp = None
    if args.skills_commit:
        tmp = tempfile.TemporaryDirectory()
        archive = subprocess.run(["git", "archive", args.skills_commit, "skills/arc"], check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", tmp.name], input=archive, check=True)
        args.skills_dir = str(Path(tmp.name) / "skills" / "arc")
    lib = TransformLibrary(Path(args.skills_dir)) if args.skills_dir else TransformLibrary()
    wanted = [s for s in args.skills.split(",") if s]
    transforms = [t for t in lib.primitives if not wanted or t.name in wanted]
    data = load_arc()
    tasks = data.training if args.split == "training" else data.evaluation
    if args.tasks:
        ids = Path(args.tasks[1:]).read_text(encoding="utf-8").split() if args.tasks.startswith("@") else args.tasks.split(",")
        tasks = [t for t in tasks if t.id in set(ids)]
    if args.limit:
        tasks = tasks[: args.limit]
    t_start, c_start = time.perf_counter(), time.process_time()
    load_start = os.getloadavg()
    solved: dict[str, list[str]] = {t.name: [] for t in transforms}
    wrong: dict[str, list[str]] = {t.name: [] for t in transforms}
    costs: dict[str, list[float]] = {t.name: [] for t in transforms}
    fit_costs: dict[str, list[float]] = {t.name: [] for t in transforms}
    search_solved: list[str] = []
    for task in tasks:
        ins = [np.asarray(p.input) for p in task.train]
        outs = [np.asarray(p.output) for p in task.train]
        tests = [np.asarray(p.input) for p in task.test]
        gold = [np.asarray(p.output) for p in task.test]  # read only to count a solve
        for t in transforms:
            preds = try_transform(t, ins, outs, tests, costs[t.name], fit_costs[t.name])
            if not preds:
                continue
            (solved if any(_correct(p, gold) for p in preds) else wrong)[t.name].append(task.id)
        if args.search:
            res = CompositionSearch(lib, max_depth=args.search_depth, attempts=2, max_candidates=3000, max_seconds=20.0).solve(
                task.train_pairs, task.test_inputs)
            from agentmem.evals.arc.search import apply_steps

            for steps in res.programs:
                pred = [apply_steps(lib, steps, g) for g in tests]
                if all(p is not None for p in pred) and _correct(pred, gold):  # type: ignore[arg-type]
                    search_solved.append(task.id)
                    break
    union = sorted({i for v in solved.values() for i in v})
    wall, cpu = time.perf_counter() - t_start, time.process_time() - c_start
    rows = []
    for t in transforms:
        c = costs[t.name]
        f = fit_costs[t.name]
        only = [i for i in solved[t.name] if sum(i in v for v in solved.values()) == 1]
        rows.append({"skill": t.name, "solved": len(solved[t.name]), "only_this": len(only), "wrong": len(wrong[t.name]),
                     "calls": len(c), "median_call_ms": round(1000 * statistics.median(c), 3) if c else None,
                     "max_call_ms": round(1000 * max(c), 1) if c else None,
                     "median_fit_ms": round(1000 * statistics.median(f), 3) if f else None,
                     "max_fit_ms": round(1000 * max(f), 1) if f else None})
    print(f"split={args.split} tasks={len(tasks)} transforms={len(transforms)}")
    print(f"{'skill':24s} {'solved':>6s} {'only':>5s} {'wrong':>5s} {'calls':>7s} {'med ms':>8s} {'max ms':>8s} {'fit med':>8s} {'fit max':>8s}")
    for r in sorted(rows, key=lambda r: -r["solved"]):
        print(f"{r['skill']:24s} {r['solved']:6d} {r['only_this']:5d} {r['wrong']:5d} {r['calls']:7d} {r['median_call_ms'] or 0:8.3f} "
              f"{r['max_call_ms'] or 0:8.1f} {r['median_fit_ms'] or 0:8.3f} {r['max_fit_ms'] or 0:8.1f}")
    print(f"union of depth-1 solves: {len(union)}/{len(tasks)}")
    if args.search:
        print(f"depth-{args.search_depth} search (2 attempts, library order): {len(search_solved)}/{len(tasks)}")
        print("search solved:", " ".join(search_solved))
    load_end = os.getloadavg()
    print(f"wall {wall:.1f} s, CPU {cpu:.1f} s; load {load_start[0]:.2f} -> {load_end[0]:.2f} on {os.cpu_count()} CPUs")
    for name in [s for s in args.show.split(",") if s]:
        print(f"{name}: solved {solved.get(name)}; wrong {wrong.get(name)}")
    if args.out:
        report = {"split": args.split, "tasks": len(tasks), "rows": rows, "union": len(union), "union_ids": union,
                  "solved": solved, "wrong": wrong, "search_depth": args.search_depth, "search_solved": len(search_solved) if args.search else None,
                  "search_solved_ids": search_solved,
                  "wall_s": round(wall, 1), "cpu_s": round(cpu, 1), "load": [load_start[0], load_end[0]], "cpus": os.cpu_count()}
        Path(args.out + ".json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
        lines = [f"# Depth-1 coverage of the shipped ARC transforms ({args.split}, {len(tasks)} tasks)", "",
                 f"Command: `python benchmarks/arc/grid_vocab_coverage.py --split {args.split}{' --search' if args.search else ''}"
                 f"{f' --search-depth {args.search_depth}' if args.search and args.search_depth != 1 else ''}"
                 f"{' --skills-commit ' + args.skills_commit if args.skills_commit else ' --skills-dir ' + args.skills_dir if args.skills_dir else ''}`. "
                 "Each transform alone: settings from `fit` (or `PARAMS`) verified on every train pair, up to two attempts with "
                 "distinct test predictions; test outputs read only to count a solve.", "",
                 "| transform | solved | only this | verified but wrong | median call CPU ms | median fit CPU ms |", "|---|---|---|---|---|---|"]
        for r in sorted(rows, key=lambda r: -r["solved"]):
            lines.append(f"| {r['skill']} | {r['solved']} | {r['only_this']} | {r['wrong']} | {r['median_call_ms']} | {r['median_fit_ms']} |")
        lines += ["", f"Union: **{len(union)}/{len(tasks)}**."]
        if args.search:
            lines.append(f"Real depth-{args.search_depth} search (two attempts, library order, 3000 checks): {len(search_solved)}/{len(tasks)}.")
        lines.append(f"Cost: {wall:.1f} s wall, {cpu:.1f} CPU-s; load average {load_start[0]:.2f} -> {load_end[0]:.2f} on {os.cpu_count()} CPUs.")
        Path(args.out + ".md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
