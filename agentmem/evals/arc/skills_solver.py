"""The LLM-free ARC solver over the transform library, as an eval-framework solve function.

Per task: the composition search runs in a worker subprocess (a process pool, so a task's
search is bounded by its candidate and time budget and never blocks the harness); the verified
composition is rendered as a self-contained program and executed **through the grid runner
seam** (the sandbox) on the train inputs (re-verification) and the test inputs (predictions,
2 s per grid). With ``memory="updating"``, a composition of two or more steps that passes the
write gate (``self_verification``, formerly ``train_pairs``: reproduces every train output in the sandbox; ``oracle``: also
every hidden test output, reported as such) is written back as a new skill, so the library
grows as the run goes (tasks are then solved in order, one at a time).

Memory modes: ``none`` = shipped transforms only; ``frozen`` = shipped + the learned library
folder (read only); ``updating`` = shipped + learned, and writes.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from agentmem.evals.core import EvalConfig, EvalTask, TaskContext, TaskOutcome
from agentmem.evals.arc.compose import render_program, write_composition_skill
from agentmem.evals.arc.data import ArcTask
from agentmem.evals.arc.library import TransformLibrary
from agentmem.evals.arc.runner import DEFAULT_TIMEOUT_S, GridRunner, default_runner
from agentmem.evals.arc.scoring import score_attempts
from agentmem.evals.arc.search import CompositionSearch, SearchResult, describe_steps
from agentmem.evals.pool import process_pool
from agentmem.evals.pool import result as pool_result

_WORKER_CACHE: dict[str, Any] = {}


def _library_key(shipped: str | None, learned: str | None) -> str:
    names = sorted(p.name for p in Path(learned).glob("*/SKILL.md")) if learned and Path(learned).is_dir() else []
    mtimes = [round(p.stat().st_mtime, 3) for p in sorted(Path(learned).glob("*/SKILL.md"))] if learned and Path(learned).is_dir() else []
    return repr((shipped, learned, names, mtimes))


def search_in_worker(shipped: str | None, learned: str | None, train_pairs: list[tuple[Any, Any]], max_candidates: int, max_seconds: float, max_depth: int) -> dict[str, Any]:
    """Worker-process entry: (re)load the library when its folder changed, search, return the result."""
    key = _library_key(shipped, learned)
    if _WORKER_CACHE.get("key") != key:
        _WORKER_CACHE["key"] = key
        _WORKER_CACHE["library"] = TransformLibrary(Path(shipped) if shipped else None, Path(learned) if learned else None)
    search = CompositionSearch(_WORKER_CACHE["library"], max_depth=max_depth, max_candidates=max_candidates, max_seconds=max_seconds)
    return search.solve(train_pairs).model_dump()


class SkillsSolver:
    """Holds the worker pool, the runner and the library folders for one run (a context manager)."""

    def __init__(self, config: EvalConfig, *, learned_dir: Path | None, shipped_dir: Path | None = None, runner: GridRunner | None = None,
                 max_candidates: int = 40_000, max_seconds: float = 30.0, max_depth: int = 2, in_process: bool = False) -> None:
        if config.memory in ("frozen", "updating") and learned_dir is None:
            raise ValueError("memory frozen/updating needs a learned library folder")
        self.config = config
        self.learned_dir = learned_dir if config.memory != "none" else None
        self.shipped_dir = shipped_dir
        self.runner = runner or default_runner()
        self.max_candidates, self.max_seconds, self.max_depth = max_candidates, max_seconds, max_depth
        self.in_process = in_process
        self._pool: ProcessPoolExecutor | None = None
        self.primitives = TransformLibrary(shipped_dir)
        self.written: list[str] = []

    def __enter__(self) -> "SkillsSolver":
        if not self.in_process:
            workers = 1 if self.config.memory == "updating" else self.config.workers
            self._pool = process_pool(workers)  # works from a driver script without the __main__ guard
        if self.learned_dir is not None:
            self.learned_dir.mkdir(parents=True, exist_ok=True)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)

    def _search(self, task: ArcTask) -> SearchResult:
        args = (str(self.shipped_dir) if self.shipped_dir else None, str(self.learned_dir) if self.learned_dir else None,
                task.train_pairs, self.max_candidates, self.max_seconds, self.max_depth)
        if self._pool is None:
            return SearchResult.model_validate(search_in_worker(*args))
        return SearchResult.model_validate(pool_result(self._pool.submit(search_in_worker, *args), timeout=self.max_seconds + 120))

    def solve(self, item: EvalTask, ctx: TaskContext) -> TaskOutcome:
        task: ArcTask = item.payload
        found = self._search(task)
        detail: dict[str, Any] = {"candidates": found.candidates, "budget_hit": found.budget_hit, "depth": found.depth,
                                  "program": None, "used_learned": found.used_learned, "written_skill": None}
        if found.steps is None:
            return TaskOutcome(score=0.0, success=False, metrics={"strict": 0.0, "found": 0.0, "used_learned": 0.0}, detail=detail)
        detail["program"] = describe_steps(found.steps)
        detail["skills"] = [str(st["skill"]) for st in found.steps]  # logged as the skills this run used (the skill router learns from them)
        code = render_program(self.primitives, found.steps)
        runs = self.runner.run(code, [p.input for p in task.train] + task.test_inputs, DEFAULT_TIMEOUT_S)
        train_runs, test_runs = runs[: len(task.train)], runs[len(task.train):]
        train_ok = all(r.output == p.output for r, p in zip(train_runs, task.train))
        score = score_attempts([[r.output for r in test_runs]], [p.output for p in task.test])
        detail["sandbox_train_ok"] = train_ok
        detail["errors"] = sorted({r.error for r in runs if r.error})[:3]
        gate = self.config.write_gate
        passes = train_ok and (gate == "self_verification" or (gate == "oracle" and score.strict == 1.0))
        if self.config.memory == "updating" and passes and len(found.steps) >= 2 and self.learned_dir is not None:
            name, created = write_composition_skill(self.learned_dir, self.primitives, found.steps, task.id, task.train_pairs)
            detail["written_skill"] = name
            detail["skill_created"] = created
            if created:
                self.written.append(name)
        metrics = {"strict": score.strict, "found": 1.0, "used_learned": float(found.used_learned is not None)}
        return TaskOutcome(score=score.official, success=score.official == 1.0, metrics=metrics, detail=detail)
