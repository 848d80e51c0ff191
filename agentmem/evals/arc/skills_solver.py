"""The LLM-free ARC solver over the transform library, as an eval-framework solve function.

Per task: the composition search runs in a worker process (:class:`~.workers.SearchWorkers`,
plain child processes that never re-import the caller's ``__main__``, so the solver works from a
script without a main guard); it sees the task's **train pairs and test inputs only**: the test
outputs are never sent to the worker. Up to ``attempts`` (default 2, ARC's official rule)
verified compositions with distinct test predictions are rendered as self-contained programs
and executed **through the grid runner seam** (the sandbox) on the train inputs
(re-verification) and the test inputs (predictions, 2 s per grid); the task is scored by
:func:`~.scoring.score_attempts` (a test output counts when any attempt got it).

``prior(task) -> {skill: score}`` (the learned router, :mod:`.prior`) orders the enumeration;
``learned_only`` restricts the learned folder to the skills the home lists as active.

With ``memory="updating"``, a composition of two or more steps that reproduces every train
output in the sandbox is proposed as a typed :class:`~agentmem.learning.edits.AddSkill`
(:func:`~.sleep.composition_edit`: SKILL.md, the rendered program, its test, the steps) to a
:class:`~agentmem.learning.controller.ReflectiveController` over the learned folder, with the
task's outcome under the run's write gate: ``self_verification`` (formerly ``train_pairs``;
outcome source ``verifier``: the sandbox re-check, so the skill is admitted ``verified`` and
active at once), ``train_labels`` (only tasks of the training split, scored on their test pairs:
admitted quarantined until its test passes) or ``oracle`` (hidden test outputs, reported as
such). The controller validates, gates, journals and audits the write with the run and task ids
(``agentmem memory audit`` / ``why``); the wake/sleep learner (:mod:`.wake_sleep`) writes
recurring sub-programs through the same kind of controller. Only active learned skills are
searched while memory updates.

Memory modes: ``none`` = shipped transforms only; ``frozen`` = shipped + the learned library
folder (read only); ``updating`` = shipped + learned, and writes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from agentmem.evals.core import EvalConfig, EvalTask, TaskContext, TaskOutcome
from agentmem.evals.arc.compose import render_program, structure_key
from agentmem.evals.arc.data import ArcTask
from agentmem.evals.arc.library import TransformLibrary
from agentmem.evals.arc.runner import DEFAULT_TIMEOUT_S, GridRunner, default_runner
from agentmem.evals.arc.scoring import score_attempts
from agentmem.evals.arc.search import CompositionSearch, SearchResult, describe_steps
from agentmem.evals.arc.workers import SearchWorkers, WorkerError

_WORKER_CACHE: dict[str, Any] = {}


def _library_key(shipped: str | None, learned: str | None) -> str:
    names = sorted(p.name for p in Path(learned).glob("*/SKILL.md")) if learned and Path(learned).is_dir() else []
    mtimes = [round(p.stat().st_mtime, 3) for p in sorted(Path(learned).glob("*/SKILL.md"))] if learned and Path(learned).is_dir() else []
    return repr((shipped, learned, names, mtimes))


def search_in_worker(shipped: str | None, learned: str | None, train_pairs: list[tuple[Any, Any]], max_candidates: int, max_seconds: float, max_depth: int,
                     test_inputs: list[Any] | None = None, order: dict[str, float] | None = None, attempts: int = 1,
                     learned_only: list[str] | None = None, exclude: list[str] | None = None, pool: int = 0,
                     ranker: dict[str, Any] | None = None) -> dict[str, Any]:
    """Worker-process entry: (re)load the library when its folder changed, search, return the result
    (``pool``/``ranker``: choose the attempts among a pool of verified programs, :mod:`.attempts`)."""
    from agentmem.evals.arc.attempts import AttemptRanker

    only = set(learned_only) if learned_only is not None else None
    key = _library_key(shipped, learned) + repr(sorted(only) if only is not None else None)
    if _WORKER_CACHE.get("key") != key:
        _WORKER_CACHE["key"] = key
        _WORKER_CACHE["library"] = TransformLibrary(Path(shipped) if shipped else None, Path(learned) if learned else None, only=only)
    search = CompositionSearch(_WORKER_CACHE["library"], max_depth=max_depth, max_candidates=max_candidates, max_seconds=max_seconds,
                               order=order, attempts=attempts, exclude=set(exclude or ()), pool=pool,
                               ranker=AttemptRanker.from_dict(ranker) if ranker else None)
    return search.solve(train_pairs, test_inputs).model_dump()


def pool_detail(task: ArcTask, pool: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The pool as recorded: each entry's program, features (inputs only) and whether it got each test output."""
    from agentmem.evals.arc.attempts import candidate_features
    from agentmem.evals.arc.grids import grids_equal

    expected = [p.output for p in task.test]
    return [{"program": describe_steps(e["steps"]), "found_at": e.get("found_at"), "votes": e.get("votes"),
             "features": candidate_features(task.train_pairs, task.test_inputs, pool, i),
             "correct": [p is not None and grids_equal(p, x) for p, x in zip(e.get("prediction") or [], expected)]}
            for i, e in enumerate(pool)]


def learned_library(learned_dir: Path, home: Path) -> Any:
    """A :class:`~agentmem.stores.skill_library.SkillLibrary` whose writable folder is ``learned_dir``
    (no shipped skills; lifecycle sidecar and lock in ``home``): the store the solver's controller writes."""
    from agentmem.settings import Settings
    from agentmem.stores.skill_library import SkillLibrary
    from agentmem.stores.skill_versions import SkillVersions

    lib = SkillLibrary(Settings.load(home=home), shipped=False, extra_paths=[])
    lib.root = Path(learned_dir)
    lib.versions = SkillVersions(lib.root / ".versions")
    return lib.reload()


class _CompositionLearner:
    """Proposes the composition the solver just verified on a task (set in ``pending``) as an ``AddSkill``."""

    name = "arc:skills-solver"

    def __init__(self, primitives: TransformLibrary) -> None:
        self.primitives = primitives
        self.pending: tuple[ArcTask, list[dict[str, Any]]] | None = None

    def propose(self, ctx: Any) -> Any:
        from agentmem.evals.arc.sleep import Candidate, composition_edit
        from agentmem.learning.learners import Proposal
        from agentmem.types import Trust

        if self.pending is None:
            return Proposal()
        task, steps = self.pending
        cand = Candidate(key=structure_key(steps), steps=steps, tasks=[task.id])
        edit = composition_edit(self.primitives, cand, {task.id: task.train_pairs}, run_id=ctx.run_id, round_no=None, proposer=self.name)
        # the sandbox re-ran it on every train pair: verified (the controller caps this by the outcome's source)
        return Proposal(edits=[edit.model_copy(update={"trust": Trust.verified})])


class SkillsSolver:
    """Holds the worker pool, the runner and the library folders for one run (a context manager)."""

    def __init__(self, config: EvalConfig, *, learned_dir: Path | None, shipped_dir: Path | None = None, runner: GridRunner | None = None,
                 max_candidates: int = 40_000, max_seconds: float = 30.0, max_depth: int = 2, in_process: bool = False, attempts: int = 2,
                 prior: Callable[[ArcTask], dict[str, float]] | None = None, learned_only: list[str] | None = None,
                 home: Path | None = None, pool: int = 0, attempt_ranker: Any = None) -> None:
        if config.memory in ("frozen", "updating") and learned_dir is None:
            raise ValueError("memory frozen/updating needs a learned library folder")
        self.config = config
        self.learned_dir = learned_dir if config.memory != "none" else None
        self.shipped_dir = shipped_dir
        self.runner = runner or default_runner()
        self.max_candidates, self.max_seconds, self.max_depth = max_candidates, max_seconds, max_depth
        self.in_process = in_process
        self.attempts, self.prior, self.learned_only = attempts, prior, learned_only
        self._pool: SearchWorkers | None = None
        self.primitives = TransformLibrary(shipped_dir)
        self.written: list[str] = []
        #: ``home``: where the controller keeps its audit log, journal, provenance and outcome log
        #: (default: a ``<learned>.memory`` folder beside the learned folder).
        self.home = home
        self.controller: Any = None
        self.library: Any = None
        self._learner = _CompositionLearner(self.primitives)
        #: ``pool`` > ``attempts``: the search collects that many verified programs in the same budget and
        #: ``attempt_ranker`` (an :class:`~.attempts.AttemptRanker`; None: discovery order) picks the attempts
        self.pool, self.ranker = pool, attempt_ranker

    def __enter__(self) -> "SkillsSolver":
        if not self.in_process:
            workers = 1 if self.config.memory == "updating" else self.config.workers
            self._pool = SearchWorkers(max(1, workers))
        if self.learned_dir is not None:
            self.learned_dir.mkdir(parents=True, exist_ok=True)
        if self.config.memory == "updating" and self.learned_dir is not None and self.config.write_gate != "none":
            from agentmem.learning.edits import EditLimits
            from agentmem.learning.wiring import controller_over

            home = Path(self.home) if self.home is not None else self.learned_dir.with_name(self.learned_dir.name + ".memory")
            home.mkdir(parents=True, exist_ok=True)
            self.library = learned_library(self.learned_dir, home)
            # a rendered composition embeds its transforms' source: beyond the default 8000-character cap
            self.controller = controller_over([self.library], home, mode="updating", write_gate=self.config.write_gate, learners=[self._learner],
                                              limits=EditLimits(max_text_chars=400_000, max_files=8))
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._pool is not None:
            self._pool.close()

    def search(self, task: ArcTask, *, exclude: list[str] | None = None) -> SearchResult:
        """Search one task. Only its train pairs and test *inputs* go to the worker."""
        kwargs: dict[str, Any] = dict(shipped=str(self.shipped_dir) if self.shipped_dir else None, learned=str(self.learned_dir) if self.learned_dir else None,
                      train_pairs=task.train_pairs, max_candidates=self.max_candidates, max_seconds=self.max_seconds, max_depth=self.max_depth,
                      test_inputs=task.test_inputs, order=self.prior(task) if self.prior else None, attempts=self.attempts,
                      learned_only=self._learned_only(), exclude=exclude)
        if self.pool > self.attempts:
            kwargs.update(pool=self.pool, ranker=self.ranker.to_dict() if self.ranker is not None else None)
        if self._pool is None:
            return SearchResult.model_validate(search_in_worker(**kwargs))
        try:
            return SearchResult.model_validate(self._pool.call("search", timeout=self.max_seconds + 120, **kwargs))
        except WorkerError as exc:
            return SearchResult(budget_hit=f"worker: {exc}")

    _search = search

    def _learned_only(self) -> list[str] | None:
        """The learned skills the search may use: the caller's list, else (memory updating) the active ones."""
        if self.learned_only is not None or self.library is None:
            return self.learned_only
        return [sk.name for sk in self.library.reload().skills()]

    def solve(self, item: EvalTask, ctx: TaskContext) -> TaskOutcome:
        return self.score_task(item.payload, write=True, split=str(item.metadata.get("split") or ""))

    def score_task(self, task: ArcTask, *, exclude: list[str] | None = None, write: bool = False, split: str = "") -> TaskOutcome:
        """Search ``task`` (without the ``exclude`` d skills), run the attempts in the sandbox, score them."""
        found = self.search(task, exclude=exclude)
        detail: dict[str, Any] = {"candidates": found.candidates, "budget_hit": found.budget_hit, "depth": found.depth, "seconds": found.seconds, "first_at": found.first_at,
                                  "program": None, "programs": [], "steps": [], "skills_used": found.skills_used, "tried": found.tried,
                                  "used_learned": found.used_learned, "learned_used": found.learned_used, "written_skill": None}
        if found.steps is None:
            if write and self.controller is not None:
                self._learn(task, [], False, None, split, detail)
            return TaskOutcome(score=0.0, success=False, metrics={"strict": 0.0, "found": 0.0, "used_learned": 0.0, "first_attempt": 0.0},
                               detail=detail)
        detail["program"] = describe_steps(found.steps)
        detail["skills"] = [str(st["skill"]) for st in found.steps]  # logged as the skills this run used (the skill router learns from them)
        detail["programs"] = [describe_steps(p) for p in found.programs]
        detail["steps"] = found.programs
        predictions, train_ok, errors, first = [], True, set(), 0.0
        expected = [p.output for p in task.test]
        for i, steps in enumerate(found.programs or [found.steps]):
            code = render_program(self.primitives, steps)
            runs = self.runner.run(code, [p.input for p in task.train] + task.test_inputs, DEFAULT_TIMEOUT_S)
            train_runs, test_runs = runs[: len(task.train)], runs[len(task.train):]
            ok = all(r.output == p.output for r, p in zip(train_runs, task.train))
            train_ok = train_ok and ok
            errors |= {r.error for r in runs if r.error}
            predictions.append([r.output for r in test_runs] if ok else [None for _ in test_runs])
            if i == 0:
                first = score_attempts(predictions[:1], expected).official
        score = score_attempts(predictions, expected)
        detail["sandbox_train_ok"] = train_ok
        detail["errors"] = sorted(errors)[:3]
        detail["attempt_scores"] = [score_attempts([p], expected).official for p in predictions]
        if found.pool:  # what the attempts were chosen from; each entry scored here, after the choice (training labels for the ranker)
            detail["pool"] = pool_detail(task, found.pool)
        if write and self.controller is not None:
            self._learn(task, found.steps, train_ok, score, split, detail)
        metrics = {"strict": score.strict, "found": 1.0, "used_learned": float(found.used_learned is not None), "first_attempt": first}
        return TaskOutcome(score=score.official, success=score.official == 1.0, metrics=metrics, detail=detail)

    def _learn(self, task: ArcTask, steps: list[dict[str, Any]], train_ok: bool, score: Any, split: str, detail: dict[str, Any]) -> None:
        """Hand the task's outcome to the controller; its learner proposes the composition when it is worth keeping."""
        from agentmem.environment import TaskSpec
        from agentmem.evals.arc.llm_solver import task_spec
        from agentmem.evals.arc.sleep import skill_name
        from agentmem.hooks import RecallContext
        from agentmem.learning.store_appliers import skill_test_verifier
        from agentmem.types import Lifecycle, Outcome

        gate = self.config.write_gate
        skills = [str(st["skill"]) for st in steps]
        if gate == "self_verification":  # the task's own demonstrations, re-run in the sandbox
            outcome = Outcome(score=float(train_ok), success=train_ok, source="verifier", detail={"skills_used": skills})
        else:  # train_labels: the task's test pairs as training labels (the gate admits only training tasks); oracle: hidden labels
            official, strict = (score.official, score.strict) if score is not None else (0.0, 0.0)
            outcome = Outcome(score=official if gate == "train_labels" else strict, success=official == 1.0,
                              source="environment" if gate == "train_labels" else "oracle", detail={"skills_used": skills})
        name = skill_name(steps) if steps else ""
        exists = bool(steps) and self.library.find(name) is not None
        keep = train_ok and len(steps) >= 2 and not exists
        self._learner.pending = (task, [dict(st) for st in steps]) if keep else None
        spec = TaskSpec(id=task.id, instruction=task_spec(task).instruction, topic="arc", metadata={"split": split})
        report = self.controller.after_task(spec, RecallContext(), [], outcome, f"arc-{self.config.fingerprint()}-{task.id}")
        self._learner.pending = None
        applied = bool(report.apply and report.apply.applied)
        if applied and self.library.reload().state(name) == Lifecycle.quarantined:  # admitted below 'verified': its own test decides
            self.controller.verify_quarantined(skill_test_verifier(self.library))
        if train_ok and len(steps) >= 2 and (exists or applied):
            detail["written_skill"] = name
            detail["skill_created"] = applied
            if applied:
                self.written.append(name)
        detail["memory_write"] = report.gate_reason if not report.gate_open else ("applied" if applied else "refused")
