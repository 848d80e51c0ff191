"""ArcMemo's protocol with an LLM: the model writes ``transform(grid)``; we run and score it.

Per task:

1. memory (a :class:`~agentmem.hooks.MemoryHook`, for example concept memory and the
   skill-library hints of :mod:`.memory`) recalls context for the task (``frozen`` and
   ``updating`` modes);
2. the model sees ``prompts/arc_system.j2`` and ``prompts/arc_task.j2`` (demonstrations, test
   inputs, recalled memory) and replies with one Python program;
3. the program runs through the :class:`~.runner.GridRunner` seam (a sandboxed subprocess,
   2 s per grid) on the train inputs and the test inputs;
4. when any train pair fails, the model gets ``prompts/arc_feedback.j2`` (which pairs failed:
   wrong shape, which cells differ, the error or the timeout) and tries again, up to
   ``attempts`` programs in all;
5. scores: **official** = fraction of test outputs solved by any attempt; **strict** = one
   attempt solved them all (:mod:`.scoring`);
6. with ``memory="updating"`` the hook's ``after_task`` is called only when the **write gate**
   passes: ``self_verification`` (default, formerly ``train_pairs``: the final program reproduces every train pair,
   self-verification without test labels) or ``oracle`` (it also solves every hidden test
   output; the run reports this gate, since it uses the labels). Otherwise nothing is written.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel

from agentmem.environment import TaskSpec
from agentmem.hooks import MemoryHook, RecallContext
from agentmem.agent.steps import ActionStep, FinalAnswerStep, ObservationStep, TaskStep
from agentmem.llm.base import Message, system, user
from agentmem.prompts import PromptLibrary
from agentmem.types import Outcome
from agentmem.evals.core import EvalConfig, EvalTask, TaskContext, TaskOutcome
from agentmem.evals.arc.data import ArcTask
from agentmem.evals.arc.grids import Grid, describe_mismatch, format_grid
from agentmem.evals.arc.runner import DEFAULT_TIMEOUT_S, GridRun, GridRunner, default_runner
from agentmem.evals.arc.scoring import score_attempts

_CODE = re.compile(r"```(?:python|py)?[ \t]*\n(.*?)```", re.S)


def extract_program(reply: str) -> str | None:
    """The last fenced code block that defines ``transform`` (else the last block; else None)."""
    blocks = _CODE.findall(reply or "")
    for block in reversed(blocks):
        if "def transform" in block:
            return block.strip() + "\n"
    if blocks:
        return blocks[-1].strip() + "\n"
    if "def transform" in (reply or ""):
        return reply.strip() + "\n"
    return None


class AttemptLog(BaseModel):
    """One program and how it did."""

    attempt: int
    program: str | None
    train_ok: list[bool]
    test_outputs: list[Grid | None]
    errors: list[str]
    timeouts: int


def task_spec(task: ArcTask, split: str | None = None) -> TaskSpec:
    """The :class:`TaskSpec` memory hooks see: an instruction text plus the pairs in metadata, and
    ``split`` (``train``/``test``, what the ``train_labels`` write gate checks) when known."""
    lines = [f"ARC task {task.id}: find the rule that maps each input grid to its output grid."]
    for i, p in enumerate(task.train, 1):
        lines.append(f"Demonstration {i} input:\n{format_grid(p.input)}\noutput:\n{format_grid(p.output)}")
    return TaskSpec(id=task.id, instruction="\n".join(lines), topic="arc",
                    metadata={"train_pairs": [[p.input, p.output] for p in task.train], "test_inputs": task.test_inputs, **({"split": split} if split else {})})


def failures_of(task: ArcTask, runs: list[GridRun]) -> list[dict[str, Any]]:
    out = []
    for i, (p, r) in enumerate(zip(task.train, runs), 1):
        if r.output == p.output:
            continue
        if r.timed_out:
            problem = f"timed out (over {DEFAULT_TIMEOUT_S:.0f} s)"
        elif r.error:
            problem = f"error: {r.error}"
        else:
            problem = describe_mismatch(p.output, r.output)
        small = r.output is not None and len(r.output) * len(r.output[0]) <= 400
        out.append({"index": i, "problem": problem, "got_text": format_grid(r.output) if small and r.output is not None else "",
                    "expected_text": format_grid(p.output) if small else ""})
    return out


class ArcLLMSolver:
    """The per-task solve function of the LLM-driven ARC harness."""

    def __init__(self, config: EvalConfig, *, memory: MemoryHook | None = None, runner: GridRunner | None = None, attempts: int = 2,
                 prompts: PromptLibrary | None = None, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        if attempts < 1:
            raise ValueError("attempts must be >= 1")
        self.config = config
        self.memory = memory if config.memory != "none" else None
        self.runner = runner or default_runner()
        self.attempts = attempts
        self.prompts = prompts or PromptLibrary()
        self.timeout_s = timeout_s

    def first_messages(self, task: ArcTask, memory_text: str) -> list[Message]:
        pairs = [{"input": p.input, "output": p.output, "input_text": format_grid(p.input), "output_text": format_grid(p.output)} for p in task.train]
        tests = [{"grid": g, "text": format_grid(g)} for g in task.test_inputs]
        return [
            system(self.prompts.render("arc_system.j2", timeout_s=self.timeout_s)),
            user(self.prompts.render("arc_task.j2", task_id=task.id, pairs=pairs, test_inputs=tests, memory=memory_text)),
        ]

    def solve(self, item: EvalTask, ctx: TaskContext) -> TaskOutcome:
        task: ArcTask = item.payload
        if ctx.llm is None:
            raise ValueError("the ARC LLM solver needs an LLM (run_eval(..., llm=...))")
        spec = task_spec(task, item.metadata.get("split"))
        recall = self.memory.before_task(spec) if self.memory is not None else RecallContext()
        messages = self.first_messages(task, recall.text)
        trajectory: list[Any] = [TaskStep(task=messages[-1].content, memory_text=recall.text, memory_ids=recall.item_ids)]
        logs: list[AttemptLog] = []
        for attempt in range(1, self.attempts + 1):
            reply = ctx.llm.complete(messages)
            trajectory.append(ActionStep(index=len(trajectory), thought=reply.text, usage=reply.usage, native_tools=False))
            program = extract_program(reply.text)
            if program is None:
                runs = [GridRun(error="no ```python code block with a transform(grid) function in the reply") for _ in task.train + task.test]
            else:
                runs = self.runner.run(program, [p.input for p in task.train] + task.test_inputs, self.timeout_s)
            train_runs, test_runs = runs[: len(task.train)], runs[len(task.train):]
            train_ok = [r.output == p.output for r, p in zip(train_runs, task.train)]
            logs.append(AttemptLog(attempt=attempt, program=program, train_ok=train_ok, test_outputs=[r.output for r in test_runs],
                                   errors=sorted({r.error for r in runs if r.error and not r.timed_out})[:3], timeouts=sum(r.timed_out for r in runs)))
            if all(train_ok) or attempt == self.attempts:
                break
            feedback = self.prompts.render("arc_feedback.j2", attempt=attempt, max_attempts=self.attempts, failures=failures_of(task, train_runs),
                                           passed=[i for i, ok in enumerate(train_ok, 1) if ok])
            trajectory.append(ObservationStep(index=len(trajectory), observation=feedback, native_tools=False, is_error=True))
            messages = messages + [Message(role="assistant", content=reply.text), user(feedback)]
        score = score_attempts([log.test_outputs for log in logs], [p.output for p in task.test])
        final = logs[-1]
        train_pass = all(final.train_ok)
        trajectory.append(FinalAnswerStep(index=len(trajectory), answer=final.program or ""))
        written = False
        if self.config.memory == "updating" and self.memory is not None:
            gate = self.config.write_gate
            if (gate == "self_verification" and train_pass) or (gate == "oracle" and train_pass and score.strict == 1.0):
                source = "oracle" if gate == "oracle" else "verifier"
                outcome = Outcome(score=1.0 if gate == "self_verification" else score.official, success=True, source=source,
                                  detail={"gate": gate, "program": final.program or ""})
                self.memory.after_task(spec, recall, trajectory, outcome, run_id=f"arc-{self.config.fingerprint()}-{task.id}")
                written = True
        metrics = {"strict": score.strict, "train_pass": float(train_pass), "attempts_used": float(len(logs)),
                   "timeouts": float(sum(log.timeouts for log in logs)), "memory_tokens": float(recall.tokens)}
        detail = {"attempts": [log.model_dump(exclude={"test_outputs"}) for log in logs], "solved_tests": score.solved_tests,
                  "memory_ids": recall.item_ids, "memory_written": written}
        return TaskOutcome(score=score.official, success=score.official == 1.0, metrics=metrics, detail=detail)
