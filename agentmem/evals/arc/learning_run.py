"""The LLM-free ARC learning run: wake/sleep rounds on training tasks, then a paired evaluation.

Used by ``agentmem demo`` and ``benchmarks/arc_skills_bench.py``. Under ``work``:

* ``home/``: the agentmem home the learner writes through its controller (learned composition
  skills, journal, audit, provenance, outcome log); ``prior/``: the router's outcome log and head;
* ``wake/round-N``: one eval-framework run per wake round on the training split
  (:class:`~.wake_sleep.WakeSleepLearner`);
* ``eval-shipped``: the evaluation tasks with the shipped transforms alone (no prior);
* ``eval-learned``: the same tasks, same budget, with the active learned library and the prior.

Each run is resumable (a finished round's records are reused).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agentmem.evals.arc.data import ArcDataset, load_arc
from agentmem.evals.arc.harness import eval_tasks
from agentmem.evals.arc.library import TransformLibrary
from agentmem.evals.arc.wake_sleep import WakeSleepConfig, WakeSleepLearner, cpu_seconds


def arc_learning_run(work: Path, *, dataset: ArcDataset | None = None, train_limit: int | None = None, eval_split: str = "evaluation",
                     eval_limit: int | None = None, workers: int = 2, max_candidates: int = 20_000, max_seconds: float = 20.0,
                     rounds: int = 3, attempts: int = 2, progress: bool = True, runner: Any = None, eval_tasks_override: list | None = None,
                     skip_shipped: bool = False) -> dict[str, Any]:
    """Rounds, then both evaluations; returns reports, the round curve and the learned library."""
    import time

    ds = dataset or load_arc()
    work = Path(work)
    train = eval_tasks("training", ds)
    train = train[:train_limit] if train_limit else train
    evals = eval_tasks_override if eval_tasks_override is not None else eval_tasks(eval_split, ds)
    evals = evals[:eval_limit] if eval_limit else evals
    cfg = WakeSleepConfig(rounds=rounds, max_candidates=max_candidates, max_seconds=max_seconds, attempts=attempts, workers=workers)
    learner = WakeSleepLearner(work, cfg, runner=runner, progress=progress)
    t0, c0 = time.time(), cpu_seconds()
    curve = learner.learn(train)
    t1, c1 = time.time(), cpu_seconds()
    shipped = None if skip_shipped else learner.evaluate("eval-shipped", eval_split, evals, learned=False)
    t2, c2 = time.time(), cpu_seconds()
    learned = learner.evaluate("eval-learned", eval_split, evals, learned=True)
    t3, c3 = time.time(), cpu_seconds()
    final_training = curve[-1]
    skills = learner.active()
    return {
        "reports": {"shipped": shipped, "learned": learned},
        "rounds": [r.model_dump() for r in curve],
        "training": {"n": final_training.tasks, "solved": final_training.solved, "first_round_solved": curve[0].solved},
        "skills_written": sum(len(r.added) for r in curve),
        "skills_retired": sorted({n for r in curve for n in r.retired}),
        "library_skills": skills,
        "library_dir": str(learner.skills_dir),
        "home": str(learner.settings.home),
        "shipped_transforms": len(TransformLibrary().primitives),
        "timing": {"rounds_wall_s": round(t1 - t0, 1), "rounds_cpu_s": round(c1 - c0, 1), "eval_shipped_wall_s": round(t2 - t1, 1),
                   "eval_shipped_cpu_s": round(c2 - c1, 1), "eval_learned_wall_s": round(t3 - t2, 1), "eval_learned_cpu_s": round(c3 - c2, 1)},
        "run_dirs": {"rounds": str(work / "wake"), "eval-shipped": str(work / "eval-shipped"), "eval-learned": str(work / "eval-learned")},
    }


def search_cost(shipped: Any, learned: Any) -> dict[str, Any]:
    """What the learned prior changed in search *cost*, paired on the tasks both conditions solved.

    Per task, the candidate checks spent until the first program verified on every train pair
    (``detail.first_at``, a deterministic count, not seconds): the median each way, and on how many
    tasks the learned condition needed fewer or more checks. ``shipped`` / ``learned`` are the two
    evaluation reports (:class:`~agentmem.evals.core.EvalReport`) on the same tasks and budget.
    """
    import statistics

    def by_id(rep: Any) -> dict[str, dict[str, Any]]:
        return {t["task_id"]: t for t in rep.tasks}

    a, b = by_id(shipped), by_id(learned)
    both = sorted(i for i in set(a) & set(b) if a[i]["score"] == 1.0 and b[i]["score"] == 1.0
                  and a[i]["detail"].get("first_at") is not None and b[i]["detail"].get("first_at") is not None)
    fa = [int(a[i]["detail"]["first_at"]) for i in both]
    fb = [int(b[i]["detail"]["first_at"]) for i in both]
    total = lambda rep: sum(int(t["detail"].get("candidates") or 0) for t in rep.tasks)  # noqa: E731
    return {"tasks_solved_both": len(both),
            "median_first_shipped": statistics.median(fa) if fa else None, "median_first_learned": statistics.median(fb) if fb else None,
            "fewer_checks": sum(y < x for x, y in zip(fa, fb)), "more_checks": sum(y > x for x, y in zip(fa, fb)),
            "checks_shipped": total(shipped), "checks_learned": total(learned)}

