"""ARC as an :class:`~agentmem.environment.Environment` for the generic agent loop.

One tool, ``submit_program(code)``: the program runs through the grid runner (sandbox, 2 s per
grid) on the demonstration inputs, and the observation says which demonstrations it
reproduces (with shapes and differing cells for the others), like the ArcMemo retry feedback.
The episode ends when every demonstration passes or ``max_submissions`` programs were tried;
:meth:`evaluate` scores the submitted programs on the hidden test outputs (official score =
fraction of test outputs solved by any submission; ``detail["strict"]``).
"""

from __future__ import annotations

from typing import Any

from agentmem.llm.base import ToolSpec
from agentmem.types import Outcome
from agentmem.environment import Observation, TaskSpec
from agentmem.evals.arc.data import ArcTask
from agentmem.evals.arc.grids import Grid
from agentmem.evals.arc.llm_solver import failures_of, task_spec
from agentmem.evals.arc.runner import DEFAULT_TIMEOUT_S, GridRunner, default_runner
from agentmem.evals.arc.scoring import score_attempts


class ArcEnvironment:
    """Serves ARC tasks one episode at a time."""

    name = "arc"

    def __init__(self, tasks: list[ArcTask], *, runner: GridRunner | None = None, max_submissions: int = 2, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self.tasks = {t.id: t for t in tasks}
        self._order = [t.id for t in tasks]
        self._next = 0
        self.runner = runner or default_runner()
        self.max_submissions = max_submissions
        self.timeout_s = timeout_s
        self.task: ArcTask | None = None
        self.predictions: list[list[Grid | None]] = []

    def reset(self, task_id: str | None = None) -> TaskSpec:
        if task_id is None:
            task_id = self._order[self._next % len(self._order)]
            self._next += 1
        if task_id not in self.tasks:
            raise KeyError(f"ARC task {task_id!r} is not in this environment")
        self.task = self.tasks[task_id]
        self.predictions = []
        spec = task_spec(self.task)
        spec.instruction += "\nSubmit a Python program defining transform(grid) with the submit_program tool."
        return spec

    def tools(self) -> list[ToolSpec]:
        return [ToolSpec(name="submit_program", description="Run a Python program defining transform(grid) on the demonstrations and report which it reproduces.",
                         parameters={"type": "object", "properties": {"code": {"type": "string", "description": "The whole program."}}, "required": ["code"]})]

    def step(self, tool: str, arguments: dict[str, Any]) -> Observation:
        if self.task is None:
            raise RuntimeError("ArcEnvironment.step before reset")
        if tool != "submit_program" or not isinstance(arguments.get("code"), str):
            return Observation(text="unknown action: call submit_program with a 'code' string")
        task = self.task
        runs = self.runner.run(arguments["code"], [p.input for p in task.train] + task.test_inputs, self.timeout_s)
        train_runs = runs[: len(task.train)]
        self.predictions.append([r.output for r in runs[len(task.train):]])
        failed = failures_of(task, train_runs)
        done = not failed or len(self.predictions) >= self.max_submissions
        if not failed:
            return Observation(text="All demonstrations reproduced.", reward=1.0, done=True)
        lines = [f"Demonstration {f['index']}: {f['problem']}" for f in failed]
        return Observation(text="\n".join(lines), done=done, info={"failed": [f["index"] for f in failed]})

    def evaluate(self, final_answer: str | None) -> Outcome:
        if self.task is None:
            raise RuntimeError("ArcEnvironment.evaluate before reset")
        s = score_attempts(self.predictions, [p.output for p in self.task.test])
        return Outcome(score=s.official, success=s.official == 1.0, source="oracle", detail={"strict": s.strict, "solved_tests": s.solved_tests})
