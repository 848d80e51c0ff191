"""Typed tools (schema from signature and docstring, validated execution) and the ReAct parser."""

from __future__ import annotations

from typing import Literal

import pytest
from pydantic import BaseModel

from agentmem.errors import ConfigError, ToolCallError
from agentmem.llm.base import ToolSpec
from agentmem.llm.litellm_adapter import RAW_ARGUMENTS_KEY
from agentmem.llm.tools import Tool, check_required, parse_docstring, parse_react, react_arguments, result_to_text, tool


@tool
def search(query: str, k: int = 3, mode: Literal["fast", "exact"] = "fast") -> list[str]:
    """Search the notes.

    Longer explanation that is part of the description.

    Args:
        query: what to look for,
            over several lines.
        k (int): how many results.
        mode: search mode.

    Returns:
        matching notes.
    """
    return [f"{query}:{i}:{mode}" for i in range(k)]


def test_schema_from_signature_and_docstring():
    spec = search.spec
    assert spec.name == "search"
    assert spec.description == "Search the notes. Longer explanation that is part of the description."
    props = spec.parameters["properties"]
    assert props["query"] == {"type": "string", "description": "what to look for, over several lines."}
    assert props["k"]["type"] == "integer" and props["k"]["default"] == 3 and props["k"]["description"] == "how many results."
    assert props["mode"]["enum"] == ["fast", "exact"]
    assert spec.parameters["required"] == ["query"] and spec.parameters["additionalProperties"] is False


def test_run_validates_and_coerces():
    assert search.run({"query": "mug", "k": "2"}) == '["mug:0:fast", "mug:1:fast"]'
    assert search("x", k=1) == ["x:0:fast"]  # still callable as a function
    with pytest.raises(ToolCallError, match=r"tool 'search': invalid arguments \(query: Field required\)"):
        search.run({"k": 1})
    with pytest.raises(ToolCallError, match="mode: Input should be 'fast' or 'exact'"):
        search.run({"query": "q", "mode": "slow"})
    with pytest.raises(ToolCallError, match="extra: Extra inputs are not permitted"):
        search.run({"query": "q", "extra": 1})
    with pytest.raises(ToolCallError, match="not a valid JSON object"):
        search.run({RAW_ARGUMENTS_KEY: "{oops"})


def test_tool_exceptions_become_tool_errors_unless_disabled():
    def divide(a: float, b: float) -> float:
        """Divide a by b."""
        return a / b

    with pytest.raises(ToolCallError, match="tool 'divide' failed: ZeroDivisionError"):
        Tool(divide).run({"a": 1, "b": 0})
    with pytest.raises(ZeroDivisionError):
        Tool(divide, catch_errors=False).run({"a": 1, "b": 0})


def test_decorator_options_and_bad_definitions():
    @tool(name="say-hi", description="Greets.")
    def f(name: str) -> str:
        return f"hi {name}"

    assert f.name == "say-hi" and f.spec.description == "Greets." and f.run({"name": "bo"}) == "hi bo"

    def star(*args: int) -> int:
        return 0

    with pytest.raises(ConfigError, match=r"\*args"):
        Tool(star)
    with pytest.raises(ConfigError, match="tool name"):
        Tool(f.fn, name="bad name!")


def test_parse_docstring_rest_style():
    desc, args = parse_docstring("Do it.\n\n:param x: the x\n:param int y: the y\n")
    assert desc == "Do it." and args == {"x": "the x", "y": "the y"}


def test_result_to_text():
    class R(BaseModel):
        a: int

    assert result_to_text(None) == "" and result_to_text("s") == "s" and result_to_text(R(a=1)) == '{"a":1}'
    assert result_to_text({"k": [1, 2]}) == '{"k": [1, 2]}'


def test_check_required_for_environment_specs():
    spec = ToolSpec(name="act", description="d", parameters={"type": "object", "properties": {"command": {"type": "string"}}, "required": ["command"], "additionalProperties": False})
    check_required(spec, {"command": "look"})
    with pytest.raises(ToolCallError, match="missing command"):
        check_required(spec, {})
    with pytest.raises(ToolCallError, match="unexpected x"):
        check_required(spec, {"command": "go", "x": 1})


@pytest.mark.parametrize(
    "text,action,args",
    [
        ('Thought: look it up\nAction: search\nAction Input: {"query": "mug"}', "search", {"query": "mug"}),
        ('**Thought:** hmm\n**Action:** `search`\n**Action Input:**\n```json\n{"query": "mug", "k": 1}\n```', "search", {"query": "mug", "k": 1}),
        ('Action 1: search\nAction Input 1: {"query": "a"} and some trailing prose', "search", {"query": "a"}),
        ("thought: x\naction: search\naction input: mug", "search", None),
        ("Action: search[mug]", "search", None),
    ],
)
def test_parse_react_actions(text, action, args):
    reply = parse_react(text)
    assert reply.action == action and reply.final_answer is None
    assert reply.action_input == args
    if args is None:
        assert reply.action_input_text == "mug"


def test_parse_react_final_answer_and_order():
    reply = parse_react("Thought: I know it.\nFinal Answer: 42\nsecond line")
    assert reply.final_answer == "42\nsecond line" and reply.thought == "I know it." and reply.action is None
    # The first of action / final answer wins.
    assert parse_react('Action: search\nAction Input: {"query": "q"}\nFinal Answer: guess').action == "search"
    assert parse_react('Final Answer: 1\nAction: search\nAction Input: {}').final_answer == "1"


def test_parse_react_rejects_unstructured_replies():
    with pytest.raises(ToolCallError, match="neither an 'Action:' line nor a 'Final Answer:' line"):
        parse_react("I think the answer is probably 42.")
    with pytest.raises(ToolCallError, match="names no tool"):
        parse_react("Action:\nAction Input: {}")
    with pytest.raises(ToolCallError, match="'Final Answer:' line is empty"):
        parse_react("Thought: hm\nFinal Answer:   ")


def test_react_arguments_mapping():
    single = ToolSpec(name="act", description="d", parameters={"type": "object", "properties": {"command": {"type": "string"}}, "required": ["command"]})
    assert react_arguments(single, parse_react("Action: act\nAction Input: go north")) == {"command": "go north"}
    assert react_arguments(single, parse_react('Action: act\nAction Input: "open door"')) == {"command": "open door"}
    with pytest.raises(ToolCallError, match="'Action Input:' is missing"):
        react_arguments(single, parse_react("Action: act"))
    with pytest.raises(ToolCallError, match="must be a JSON object"):
        react_arguments(search.spec, parse_react("Action: search\nAction Input: mug please"))
    noargs = ToolSpec(name="look", description="d")
    assert react_arguments(noargs, parse_react("Action: look")) == {}
