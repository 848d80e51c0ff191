"""The agent loop with scripted models: native tool calls, the ReAct fallback, budgets, errors."""

from __future__ import annotations

from typing import Any

import pytest

from agentmem.agent import Agent, Observation, RecallContext, RunLog, Runner, TaskSpec
from agentmem.agent.steps import ActionStep, ErrorStep, FinalAnswerStep, ObservationStep, TaskStep
from agentmem.evals.chat import ChatEnvironment, is_judged
from agentmem.errors import ConfigError, ProviderError, RealCallBlockedError, ScriptExhaustedError, ToolCallError
from agentmem.llm.base import Completion, ToolCall, ToolSpec, Usage
from agentmem.llm.tools import tool
from agentmem.testing import FunctionLLM, ScriptedLLM, tool_call_reply
from agentmem.types import MemoryRecord, Outcome, Recalled


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def kinds(result) -> list[str]:
    return [s.kind for s in result.steps]


@pytest.fixture
def runner(settings):
    return Runner(settings)


def test_native_tool_run_with_checker(runner, settings):
    llm = ScriptedLLM([tool_call_reply("add", {"a": 2, "b": 40}, text="let me add"), "42"])
    env = ChatEnvironment("What is 2 + 40?", tools=[add], checker=lambda ans: ans == "42")
    result = runner.run(Agent(model=llm), env)
    assert kinds(result) == ["task", "action", "observation", "final"]
    assert result.final_answer == "42" and result.stop_reason == "final"
    assert result.outcome.success and result.success is True and result.outcome.source == "verifier"
    assert result.usage.calls == 2 and result.usage.total_tokens > 0
    obs = result.steps[2]
    assert obs.observation == "42" and obs.tool_call_id == "call_1" and not obs.is_error
    # The second call saw the tool result as a native tool message, and the tools were offered.
    second = llm.calls[1]
    assert second["tools"][0].name == "add" and second["stop"] is None
    assert [m.role for m in second["messages"]] == ["system", "user", "assistant", "tool"]
    assert second["messages"][2].tool_calls[0].name == "add"
    llm.assert_complete()


def test_agent_tools_and_plain_functions(runner):
    def mul(a: int, b: int) -> int:
        """Multiply."""
        return a * b

    llm = ScriptedLLM([tool_call_reply("mul", {"a": 6, "b": 7}), "done"])
    result = runner.run(Agent(model=llm, tools=[mul]), "6*7?")
    assert result.steps[2].observation == "42"
    assert Agent(model="openai/x", tools=[mul]).model_dump()["tools"] == ["mul"]


def test_react_fallback_run(runner):
    llm = ScriptedLLM(
        [
            'Thought: add\nAction: add\nAction Input: {"a": 1, "b": 2}\nObservation: I made this up',
            "Thought: it is 3\nFinal Answer: 3",
        ],
        supports_tools=False,
    )
    result = runner.run(Agent(model=llm, tools=[add]), "1+2?")
    assert kinds(result) == ["task", "action", "observation", "action", "final"]
    act = result.steps[1]
    assert isinstance(act, ActionStep) and not act.native_tools and act.tool_calls[0].arguments == {"a": 1, "b": 2}
    assert "made this up" not in act.thought  # cut at the stop sequence
    assert result.steps[2].observation == "3" and result.final_answer == "3"
    first = llm.calls[0]
    assert first["tools"] is None and first["stop"] == ["\nObservation:"]
    assert "Action Input:" in first["messages"][0].content and "add: Add two integers." in first["messages"][0].content
    assert llm.calls[1]["messages"][-1].content == "Observation: 3"


def test_native_can_be_forced_off(runner):
    llm = ScriptedLLM(["Final Answer: x"])
    result = runner.run(Agent(model=llm, tools=[add], use_native_tools=False), "q")
    assert result.final_answer == "x" and llm.calls[0]["tools"] is None


def test_model_errors_become_observations(runner):
    llm = ScriptedLLM(
        [
            tool_call_reply("nope", {}),
            tool_call_reply("add", {"a": "two", "b": 1}),
            Completion(text="", tool_calls=[ToolCall(id="x", name="add", arguments={"__raw_arguments__": "{bad"})]),
            Completion(text="   "),
            "fine: 3",
        ]
    )
    result = runner.run(Agent(model=llm, tools=[add]), "q")
    assert kinds(result) == ["task", "action", "observation", "action", "observation", "action", "observation", "error", "final"]
    errs = [s for s in result.steps if isinstance(s, ObservationStep)]
    assert all(s.is_error for s in errs)
    assert "unknown tool 'nope'; available tools: add" in errs[0].observation
    assert "a: Input should be a valid integer" in errs[1].observation
    assert "not a valid JSON object" in errs[2].observation
    assert isinstance(result.steps[7], ErrorStep) and not result.steps[7].fatal
    assert result.final_answer == "fine: 3"


def test_react_format_errors_are_observations(runner):
    llm = ScriptedLLM(["I would say 3", "Action: nope\nAction Input: {}", "Action: add\nAction Input: 1 and 2", "Final Answer: 3"], supports_tools=False)
    result = runner.run(Agent(model=llm, tools=[add]), "q")
    assert kinds(result) == ["task", "action", "error", "action", "observation", "action", "observation", "final"]
    assert "neither an 'Action:' line" in result.steps[2].error and "one of: add" in result.steps[2].error
    assert result.steps[4].is_error and "unknown tool 'nope'" in result.steps[4].observation
    assert result.steps[6].is_error and "must be a JSON object" in result.steps[6].observation
    assert llm.calls[1]["messages"][-1].content.startswith("Error: Your last reply could not be used")


def test_step_budget(runner):
    llm = FunctionLLM(lambda msgs, info: tool_call_reply("add", {"a": 1, "b": 1}))
    result = runner.run(Agent(model=llm, tools=[add], max_steps=3), "loop forever")
    assert len(llm.calls) == 3 and result.stop_reason == "budget" and result.final_answer is None
    last = result.steps[-1]
    assert isinstance(last, ErrorStep) and last.fatal and last.error_type == "BudgetExceeded" and "3 model turns" in last.error


def test_step_budget_default_from_settings(home):
    from agentmem.settings import Settings

    settings = Settings.load(home=home, agent={"max_steps": 2})
    llm = FunctionLLM(lambda msgs, info: tool_call_reply("add", {"a": 1, "b": 1}))
    assert Runner(settings).run(Agent(model=llm, tools=[add]), "q").stop_reason == "budget"
    assert len(llm.calls) == 2


def test_token_budget(runner):
    big = Usage(prompt_tokens=600, completion_tokens=10, calls=1)
    llm = FunctionLLM(lambda msgs, info: Completion(tool_calls=[ToolCall(id="c", name="add", arguments={"a": 1, "b": 2})], usage=big))
    result = runner.run(Agent(model=llm, tools=[add], max_tokens=1000), "q")
    assert len(llm.calls) == 2 and result.stop_reason == "budget" and "token budget exhausted: 1220 of 1000" in result.steps[-1].error


def test_time_budget(runner, monkeypatch):
    clock = iter(range(0, 1000, 10))
    monkeypatch.setattr("agentmem.agent.runner.time.monotonic", lambda: float(next(clock)))
    llm = FunctionLLM(lambda msgs, info: tool_call_reply("add", {"a": 1, "b": 2}))
    result = runner.run(Agent(model=llm, tools=[add], max_seconds=25), "q")
    assert result.stop_reason == "budget" and "time budget exhausted" in result.steps[-1].error
    assert len(llm.calls) == 2  # checks at t=10 and t=20 pass, t=30 stops


def test_provider_failure_ends_run_with_fatal_error(runner, settings):
    class Broken(ScriptedLLM):
        def complete(self, messages, **kw):
            raise ProviderError("model 'x': rate limited after 5 attempts", model="x")

    result = runner.run(Agent(model=Broken()), "q")
    assert result.stop_reason == "error" and result.steps[-1].fatal and result.steps[-1].error_type == "ProviderError"
    assert RunLog(settings.paths.runs_db).get(result.run_id).status == "error"


def test_blocked_real_call_raises(runner):
    class Blocked(ScriptedLLM):
        def complete(self, messages, **kw):
            raise RealCallBlockedError("blocked", model="m")

    with pytest.raises(RealCallBlockedError):
        runner.run(Agent(model=Blocked()), "q")


def test_bugs_raise_and_the_run_is_marked_crashed(runner, settings):
    llm = ScriptedLLM(["only one reply"], supports_tools=True)

    class BuggyEnv(ChatEnvironment):
        def evaluate(self, final_answer):
            raise RuntimeError("bug in evaluate")

    stream = runner.run_iter(Agent(model=llm), BuggyEnv("q"))
    with pytest.raises(RuntimeError, match="bug in evaluate"):
        list(stream)
    record = RunLog(settings.paths.runs_db).get(stream.run_id)
    assert record.status == "crashed" and "bug in evaluate" in record.meta["error"] and [s.kind for s in record.steps] == ["task", "final"]
    # A scripted model called past its script is a test bug, not a model error: it raises.
    with pytest.raises(ScriptExhaustedError):
        runner.run(Agent(model=ScriptedLLM([tool_call_reply("add", {"a": 1, "b": 1})]), tools=[add]), "q")


class FakeMemory:
    def __init__(self) -> None:
        self.after: list[tuple[Any, ...]] = []

    def before_task(self, task: TaskSpec) -> RecallContext:
        rec = MemoryRecord(id="skill-1", store="skills", text="Always add carefully.")
        return RecallContext(text="- Always add carefully.", items=[Recalled(record=rec, score=0.9)], tokens=5)

    def after_task(self, task, context, trajectory, outcome, run_id) -> None:
        self.after.append((task, context, trajectory, outcome, run_id))


def test_memory_hook_read_before_and_write_after(runner, settings):
    mem = FakeMemory()
    llm = ScriptedLLM(["3"])
    result = runner.run(Agent(model=llm, memory=mem, instructions="Be terse."), ChatEnvironment("1+2?", checker=lambda a: a == "3"))
    system = llm.calls[0]["messages"][0].content
    assert "## Memory" in system and "Always add carefully." in system and "Be terse." in system
    assert llm.calls[0]["messages"][1].content == "1+2?"  # memory is in the system prompt, not repeated
    task_step = result.steps[0]
    assert isinstance(task_step, TaskStep) and task_step.memory_ids == ["skill-1"] and result.memory_ids == ["skill-1"]
    (task, ctx, traj, outcome, run_id), = mem.after
    assert run_id == result.run_id and outcome.success and traj[-1].kind == "final" and ctx.item_ids == ["skill-1"]
    assert RunLog(settings.paths.runs_db).get(run_id).memory_ids == ["skill-1"]


class CountdownEnv:
    """A tiny environment: 'tick' until the counter reaches zero; the episode then ends."""

    name = "countdown"

    def __init__(self) -> None:
        self.left = 0

    def reset(self, task_id: str | None = None) -> TaskSpec:
        self.left = 2
        return TaskSpec(id=task_id or "cd-1", instruction="Tick until done.", topic="counting")

    def tools(self) -> list[ToolSpec]:
        return [ToolSpec(name="tick", description="Count down.", parameters={"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]})]

    def step(self, tool: str, arguments: dict[str, Any]) -> Observation:
        if int(arguments["n"]) < 0:
            raise ToolCallError("tick: n must be >= 0")
        self.left -= int(arguments["n"])
        return Observation(text=f"{self.left} left", reward=1.0 if self.left <= 0 else 0.0, done=self.left <= 0)

    def evaluate(self, final_answer: str | None) -> Outcome:
        return Outcome(score=float(self.left <= 0), success=self.left <= 0)


def test_environment_done_ends_the_run(runner):
    llm = ScriptedLLM([tool_call_reply("tick", {}), tool_call_reply("tick", {"n": -1}), tool_call_reply("tick", {"n": 1}), tool_call_reply("tick", {"n": 1})])
    result = runner.run(Agent(model=llm), CountdownEnv(), task_id="cd-7")
    assert result.steps[4].is_error and "n must be >= 0" in result.steps[4].observation
    assert result.stop_reason == "done" and result.final_answer is None and result.success is True
    assert result.task.id == "cd-7" and result.steps[2].is_error and "missing n" in result.steps[2].observation
    last = result.steps[-1]
    assert last.done and last.reward == 1.0
    llm.assert_complete()


def test_tool_name_clash_is_a_config_error(runner):
    @tool(name="tick")
    def tick2(n: int) -> int:
        """x"""
        return n

    with pytest.raises(ConfigError, match="tick"):
        runner.run(Agent(model=ScriptedLLM([]), tools=[tick2]), CountdownEnv())


def test_stream_ids_steps_and_cancel(runner, settings):
    llm = FunctionLLM(lambda msgs, info: tool_call_reply("add", {"a": 1, "b": 1}))
    stream = runner.run_iter(Agent(model=llm, tools=[add]), "q")
    assert stream.run_id.startswith("run-")
    first, second = next(stream), next(stream)
    assert isinstance(first, TaskStep) and isinstance(second, ActionStep) and [first.index, second.index] == [0, 1]
    stream.close()
    assert RunLog(settings.paths.runs_db).get(stream.run_id).status == "cancelled"


def test_unjudged_outcome_and_runlog_round_trip(runner, settings):
    llm = ScriptedLLM([tool_call_reply("add", {"a": 2, "b": 2}), "4"])
    result = runner.run(Agent(name="calc", model=llm, tools=[add]), "2+2?")
    assert not is_judged(result.outcome) and result.success is None and not result.judged
    record = RunLog(settings.paths.runs_db).get(result.run_id)
    assert record.status == "final" and record.agent == "calc" and record.model == "scripted" and record.environment == "chat"
    assert record.final_answer == "4" and record.usage == result.usage and record.outcome == result.outcome
    assert [type(s) for s in record.steps] == [TaskStep, ActionStep, ObservationStep, FinalAnswerStep]
    assert [s.model_dump() for s in record.steps] == [s.model_dump() for s in result.steps]


def test_model_string_resolved_through_settings(home):
    from agentmem.settings import Settings

    with pytest.raises(ConfigError, match="pass --model or set AGENTMEM_MODEL"):
        Runner(Settings.load(home=home)).run(Agent(), "q")


def test_agent_config_validation_and_serialisation():
    agent = Agent(name="a", model=ScriptedLLM([], model="fake-1"), tools=[add], max_steps=4, memory=FakeMemory())
    dumped = agent.model_dump()
    assert dumped["model"] == "fake-1" and dumped["tools"] == ["add"] and "memory" not in dumped and dumped["max_steps"] == 4
    assert Agent(model="openai/gpt-4o-mini").model_name == "openai/gpt-4o-mini"
    with pytest.raises(ValueError, match="model string or an object implementing"):
        Agent(model=42)
    with pytest.raises(ValueError, match="before_task"):
        Agent(memory=object())
    with pytest.raises(ValueError, match="duplicate tool names: add"):
        Agent(tools=[add, add])
    with pytest.raises(ValueError):
        Agent(max_steps=0)
