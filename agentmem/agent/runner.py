"""The runner: executes an :class:`~agentmem.agent.agent.Agent` on a task or an environment.

``Runner.run_iter(agent, task_or_env)`` returns a :class:`RunStream`, an iterator of typed steps
(:mod:`agentmem.agent.steps`: task, action, observation, final, error) whose ``run_id`` is known
before the first step and whose ``result`` (a :class:`RunResult`) is available once it is
exhausted. ``Runner.run(...)`` drains it and returns the :class:`RunResult`.

One run:

1. ``env.reset()`` gives the :class:`~agentmem.environment.TaskSpec` (a plain string
   becomes a :class:`~agentmem.evals.chat.ChatEnvironment`);
2. ``agent.memory.before_task(task)`` recalls memory; its text goes into the system prompt
   (``prompts/agent_system.j2``), its item ids into the :class:`TaskStep` and the run log;
3. model turns until a final answer, an observation with ``done=True``, or a budget
   (steps, tokens, seconds) runs out (a fatal :class:`ErrorStep`). Native tool calls are used
   when ``llm.supports_tools``; otherwise the ReAct text protocol
   (``prompts/react_protocol.j2``, :func:`agentmem.llm.tools.parse_react`). Without any tool the
   reply text is the answer;
4. ``env.evaluate(final_answer)`` scores the run, the run log records it, and
   ``agent.memory.after_task(task, context, steps, outcome, run_id)`` learns from it.

Errors caused by the model (unknown tool, invalid arguments, a tool failing on the model's
input, an unparsable text reply, an empty reply) go back to the model as observations.
A provider failure that survived the retries ends the run with a fatal :class:`ErrorStep`.
Bugs (exceptions from our code, an environment or a memory hook) propagate; the run log then
marks the run ``crashed``.
"""

from __future__ import annotations

import time
from collections.abc import Generator, Iterator
from typing import Any, Literal

from pydantic import BaseModel, Field

from ..errors import ConfigError, LLMError, RealCallBlockedError, ToolCallError, UnknownModelError
from ..llm.base import LLM, Completion, Message, ToolCall, ToolSpec, Usage
from ..llm.tools import Tool, check_required, parse_react, react_arguments, tool_specs_for_prompt
from ..prompts import PromptLibrary
from ..types import Outcome, new_id
from .agent import Agent
from agentmem.environment import Environment, TaskSpec
from agentmem.hooks import RecallContext
from .runlog import RunLog
from .steps import ActionStep, ErrorStep, FinalAnswerStep, ObservationStep, Step, TaskStep

StopReason = Literal["final", "done", "budget", "error"]

#: Appended as a stop sequence in ReAct mode so a model cannot invent its own observations.
REACT_STOP = ["\nObservation:"]


class RunResult(BaseModel):
    """Everything one run produced."""

    run_id: str
    agent: str
    model: str | None
    task: TaskSpec
    steps: list[Step]
    final_answer: str | None = Field(default=None, description="The agent's answer; None when it stopped without one.")
    stop_reason: StopReason = Field(..., description="final (answered), done (the environment ended it), budget, error (provider failure).")
    outcome: Outcome
    usage: Usage = Field(default_factory=Usage, description="Tokens and cost of this run's model calls.")
    memory_ids: list[str] = Field(default_factory=list, description="Ids of the memory items recalled into the prompt.")
    started_at: float
    ended_at: float

    @property
    def judged(self) -> bool:
        """False when nobody scored the run (a free-form task without a checker)."""
        from agentmem.evals.chat import is_judged

        return is_judged(self.outcome)

    @property
    def success(self) -> bool | None:
        """The outcome's success, or None when the run was not judged."""
        return self.outcome.success if self.judged else None


class RunStream(Iterator[Any]):
    """The steps of one run as they happen; ``result`` once finished (it drains the rest)."""

    def __init__(self, run_id: str, gen: Generator[Any, None, RunResult]) -> None:
        self.run_id = run_id
        self._gen = gen
        self._result: RunResult | None = None

    def __iter__(self) -> "RunStream":
        return self

    def __next__(self) -> Any:
        if self._result is not None:
            raise StopIteration
        try:
            return next(self._gen)
        except StopIteration as stop:
            self._result = stop.value
            raise

    @property
    def done(self) -> bool:
        return self._result is not None

    @property
    def result(self) -> RunResult:
        """The :class:`RunResult` (runs the remaining steps first if the stream is not exhausted)."""
        for _ in self:
            pass
        assert self._result is not None
        return self._result

    def close(self) -> None:
        """Stop the run early; the run log marks it ``cancelled``."""
        self._gen.close()


class _Budget:
    def __init__(self, max_steps: int, max_tokens: int | None, max_seconds: float | None) -> None:
        self.max_steps = max_steps
        self.max_tokens = max_tokens
        self.max_seconds = max_seconds
        self.t0 = time.monotonic()

    def exhausted(self, turns: int, usage: Usage) -> str | None:
        if turns >= self.max_steps:
            return f"step budget exhausted: {self.max_steps} model turns without a final answer"
        if self.max_tokens is not None and usage.total_tokens >= self.max_tokens:
            return f"token budget exhausted: {usage.total_tokens} of {self.max_tokens} tokens used"
        elapsed = time.monotonic() - self.t0
        if self.max_seconds is not None and elapsed >= self.max_seconds:
            return f"time budget exhausted: {elapsed:.1f}s of {self.max_seconds:g}s"
        return None


class Runner:
    """Executes agents (see the module docstring).

    Args:
        settings: the :class:`~agentmem.settings.Settings` (budgets' defaults, the model when
            an agent names none, the run log's path); default ``Settings.load()``.
        runlog: where runs are recorded; default the home's ``runs.sqlite``. Pass
            ``log_runs=False`` to record nothing.
        prompts: the prompt library (default: shipped templates with the home's overrides).
    """

    def __init__(self, settings: Any | None = None, *, runlog: RunLog | None = None, log_runs: bool = True, prompts: PromptLibrary | None = None) -> None:
        if settings is None:
            from ..settings import Settings

            settings = Settings.load()
        self.settings = settings
        self.prompts = prompts or PromptLibrary(settings.paths.prompts)
        self.runlog = runlog if runlog is not None else (RunLog(settings.paths.runs_db) if log_runs else None)

    # ------------------------------------------------------------------ public
    def run(self, agent: Agent, task: str | TaskSpec | Environment, *, task_id: str | None = None) -> RunResult:
        """Run ``agent`` on ``task`` to the end and return the :class:`RunResult`."""
        return self.run_iter(agent, task, task_id=task_id).result

    def run_iter(self, agent: Agent, task: str | TaskSpec | Environment, *, task_id: str | None = None) -> RunStream:
        """Start a run; iterate the returned :class:`RunStream` for its typed steps."""
        if not isinstance(agent, Agent):
            raise TypeError(f"Runner.run_iter: expected an Agent, got {type(agent).__name__}")
        env = self._environment(task)
        llm = self.resolve_llm(agent)
        run_id = new_id("run-")
        return RunStream(run_id, self._run(agent, llm, env, run_id, task_id))

    def resolve_llm(self, agent: Agent) -> LLM:
        """The LLM instance ``agent`` runs with (its instance, its model string, or the settings' model)."""
        if agent.model is not None and not isinstance(agent.model, str):
            return agent.model
        from ..llm.factory import make_llm

        return make_llm(self.settings, model=agent.model)

    # ------------------------------------------------------------------ internals
    @staticmethod
    def _environment(task: str | TaskSpec | Environment) -> Environment:
        from agentmem.evals.chat import ChatEnvironment

        if isinstance(task, str):
            return ChatEnvironment(task)
        if isinstance(task, TaskSpec):
            return ChatEnvironment.from_task(task)
        if isinstance(task, Environment):
            return task
        raise TypeError(f"Runner: expected a task string, a TaskSpec or an Environment, got {type(task).__name__}")

    def _budget(self, agent: Agent) -> _Budget:
        cfg = self.settings.agent
        return _Budget(
            agent.max_steps or cfg.max_steps,
            agent.max_tokens if agent.max_tokens is not None else cfg.max_tokens,
            agent.max_seconds if agent.max_seconds is not None else cfg.max_seconds,
        )

    def _run(self, agent: Agent, llm: LLM, env: Environment, run_id: str, task_id: str | None) -> Generator[Any, None, RunResult]:
        started = time.time()
        task = env.reset(task_id)
        local_tools: dict[str, Tool] = {t.name: t for t in agent.tools}
        env_specs: dict[str, ToolSpec] = {s.name: s for s in env.tools()}
        clash = sorted(set(local_tools) & set(env_specs))
        if clash:
            raise ConfigError(f"agent {agent.name!r}: tool name(s) {', '.join(clash)} clash with environment {getattr(env, 'name', '?')!r} actions")
        specs = list(env_specs.values()) + [t.spec for t in local_tools.values()]
        if not specs:
            mode = "direct"
        elif agent.use_native_tools if agent.use_native_tools is not None else llm.supports_tools:
            mode = "native"
        else:
            mode = "react"

        context = agent.memory.before_task(task) if agent.memory is not None else RecallContext()
        model_name = str(getattr(llm, "model", None) or agent.model_name)
        env_name = str(getattr(env, "name", type(env).__name__))
        if self.runlog is not None:
            self.runlog.start(run_id, task=task.instruction, agent=agent.name, task_id=task.id, model=model_name, environment=env_name, memory_ids=context.item_ids, meta={"mode": mode, "topic": task.topic}, started_at=started)

        tool_protocol = self.prompts.render("react_protocol.j2", tools=tool_specs_for_prompt(specs)) if mode == "react" else ""
        system = self.prompts.render("agent_system.j2", agent_name=agent.name, instructions=agent.instructions, memory=context.text, tool_protocol=tool_protocol, has_tools=bool(specs))
        messages: list[Message] = [Message(role="system", content=system), Message(role="user", content=task.instruction)]
        steps: list[Any] = []
        usage = Usage()
        budget = self._budget(agent)
        turns = 0
        final_answer: str | None = None
        stop_reason: StopReason | None = None
        finished = False

        def emit(step: Any, *, in_conversation: bool = True) -> Any:
            step.index = len(steps)
            steps.append(step)
            if in_conversation:
                messages.extend(step.to_messages())
            if self.runlog is not None:
                self.runlog.add_step(run_id, step)
            return step

        try:
            yield emit(TaskStep(task=task.instruction, memory_text=context.text, memory_ids=context.item_ids), in_conversation=False)
            while stop_reason is None:
                why = budget.exhausted(turns, usage)
                if why:
                    yield emit(ErrorStep(error=why, error_type="BudgetExceeded", fatal=True))
                    stop_reason = "budget"
                    break
                turns += 1
                try:
                    reply = llm.complete(
                        messages,
                        tools=specs if mode == "native" else None,
                        stop=REACT_STOP if mode == "react" else None,
                        temperature=agent.temperature,
                        max_tokens=agent.max_tokens_per_call,
                    )
                except (RealCallBlockedError, UnknownModelError):
                    raise
                except LLMError as exc:
                    yield emit(ErrorStep(error=str(exc), error_type=type(exc).__name__, fatal=True))
                    stop_reason = "error"
                    break
                usage = usage + reply.usage
                if mode == "native":
                    produced = self._native_turn(reply, env, local_tools, env_specs)
                elif mode == "react":
                    produced = self._react_turn(reply, env, local_tools, env_specs)
                else:
                    produced = self._direct_turn(reply)
                for step in produced:
                    yield emit(step)
                    if isinstance(step, FinalAnswerStep):
                        final_answer, stop_reason = step.answer, "final"
                    elif isinstance(step, ObservationStep) and step.done and stop_reason is None:
                        stop_reason = "done"

            outcome = env.evaluate(final_answer)
            ended = time.time()
            if self.runlog is not None:
                self.runlog.finish(run_id, status=stop_reason, final_answer=final_answer, outcome=outcome, usage=usage, ended_at=ended)
            finished = True
            result = RunResult(
                run_id=run_id, agent=agent.name, model=model_name, task=task, steps=steps, final_answer=final_answer,
                stop_reason=stop_reason, outcome=outcome, usage=usage, memory_ids=context.item_ids, started_at=started, ended_at=ended,
            )
            if agent.memory is not None:
                agent.memory.after_task(task, context, steps, outcome, run_id)
            return result
        except GeneratorExit:
            if not finished and self.runlog is not None:
                self.runlog.finish(run_id, status="cancelled", final_answer=final_answer, usage=usage)
            raise
        except BaseException as exc:
            if not finished and self.runlog is not None:
                self.runlog.finish(run_id, status="crashed", final_answer=final_answer, usage=usage, meta={"mode": mode, "error": f"{type(exc).__name__}: {exc}"})
            raise

    # ------------------------------------------------------------------ turns
    def _direct_turn(self, reply: Completion) -> list[Any]:
        text = reply.text.strip()
        if not text:
            return [ErrorStep(error="the reply was empty; answer the task", error_type="EmptyReply")]
        return [FinalAnswerStep(answer=text, usage=reply.usage)]

    def _native_turn(self, reply: Completion, env: Environment, local_tools: dict[str, Tool], env_specs: dict[str, ToolSpec]) -> list[Any]:
        if not reply.tool_calls:
            text = reply.text.strip()
            if not text:
                return [ErrorStep(error="the reply had neither a tool call nor an answer; call a tool or answer", error_type="EmptyReply")]
            return [FinalAnswerStep(answer=text, usage=reply.usage)]
        calls = [c if c.id else c.model_copy(update={"id": new_id("call_")}) for c in reply.tool_calls]
        out: list[Any] = [ActionStep(thought=reply.text, tool_calls=calls, usage=reply.usage, native_tools=True)]
        for call in calls:
            out.append(self._execute(call, env, local_tools, env_specs, native=True))
            if out[-1].done:
                break
        return out

    def _react_turn(self, reply: Completion, env: Environment, local_tools: dict[str, Tool], env_specs: dict[str, ToolSpec]) -> list[Any]:
        text = reply.text
        try:
            parsed = parse_react(text)
        except ToolCallError as exc:
            names = list(env_specs) + list(local_tools)
            reminder = self.prompts.render("react_reminder.j2", problem=str(exc), tool_names=names).strip()
            return [ActionStep(thought=text, usage=reply.usage, native_tools=False), ErrorStep(error=reminder, error_type="ReplyFormatError")]
        if parsed.final_answer is not None:
            steps: list[Any] = []
            if parsed.thought:
                steps.append(ActionStep(thought=text, usage=reply.usage, native_tools=False))
            steps.append(FinalAnswerStep(answer=parsed.final_answer, usage=Usage() if parsed.thought else reply.usage))
            return steps
        name = parsed.action or ""
        spec = env_specs.get(name) or (local_tools[name].spec if name in local_tools else None)
        call_id = new_id("react_")
        if spec is None:
            call = ToolCall(id=call_id, name=name, arguments=parsed.action_input or {})
            return [ActionStep(thought=text, tool_calls=[call], usage=reply.usage, native_tools=False), self._unknown_tool(call, env_specs, local_tools, native=False)]
        try:
            args = react_arguments(spec, parsed)
        except ToolCallError as exc:
            call = ToolCall(id=call_id, name=name, arguments={})
            return [
                ActionStep(thought=text, tool_calls=[call], usage=reply.usage, native_tools=False),
                ObservationStep(tool_call_id=call_id, tool_name=name, observation=str(exc), is_error=True, native_tools=False),
            ]
        call = ToolCall(id=call_id, name=name, arguments=args)
        return [ActionStep(thought=text, tool_calls=[call], usage=reply.usage, native_tools=False), self._execute(call, env, local_tools, env_specs, native=False)]

    @staticmethod
    def _unknown_tool(call: ToolCall, env_specs: dict[str, ToolSpec], local_tools: dict[str, Tool], *, native: bool) -> ObservationStep:
        available = ", ".join(list(env_specs) + list(local_tools)) or "none"
        return ObservationStep(tool_call_id=call.id, tool_name=call.name, observation=f"unknown tool {call.name!r}; available tools: {available}", is_error=True, native_tools=native)

    def _execute(self, call: ToolCall, env: Environment, local_tools: dict[str, Tool], env_specs: dict[str, ToolSpec], *, native: bool) -> ObservationStep:
        """Run one tool call; model-caused failures become an error observation."""
        if call.name in local_tools:
            try:
                text = local_tools[call.name].run(call.arguments)
            except ToolCallError as exc:
                return ObservationStep(tool_call_id=call.id, tool_name=call.name, observation=str(exc), is_error=True, native_tools=native)
            return ObservationStep(tool_call_id=call.id, tool_name=call.name, observation=text, native_tools=native)
        if call.name in env_specs:
            try:
                check_required(env_specs[call.name], call.arguments)
            except ToolCallError as exc:
                return ObservationStep(tool_call_id=call.id, tool_name=call.name, observation=str(exc), is_error=True, native_tools=native)
            try:
                obs = env.step(call.name, call.arguments)
            except ToolCallError as exc:  # an environment may also signal a bad action this way
                return ObservationStep(tool_call_id=call.id, tool_name=call.name, observation=str(exc), is_error=True, native_tools=native)
            return ObservationStep(
                tool_call_id=call.id, tool_name=call.name, observation=obs.text, reward=obs.reward, done=obs.done,
                is_error=bool(obs.info.get("error", False)), native_tools=native, info=obs.info,
            )
        return self._unknown_tool(call, env_specs, local_tools, native=native)


__all__ = ["RunResult", "RunStream", "Runner", "Step", "REACT_STOP"]
