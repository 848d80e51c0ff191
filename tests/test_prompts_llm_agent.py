"""Every template of the LLM layer and agent loop renders with typed inputs (StrictUndefined)."""

from __future__ import annotations

import json

import pytest

from agentmem.errors import ConfigError
from agentmem.llm.base import ToolSpec
from agentmem.llm.tools import tool_specs_for_prompt
from agentmem.prompts import PromptLibrary

SPEC = ToolSpec(name="act", description="Do one thing.", parameters={"type": "object", "properties": {"command": {"type": "string"}}, "required": ["command"]})


@pytest.fixture
def lib():
    return PromptLibrary()


def test_agent_system_variants(lib):
    full = lib.render("agent_system.j2", agent_name="alf", instructions="Be terse.", memory="- heat the mug first", tool_protocol="## How to act\n...", has_tools=True)
    assert full.startswith("You are alf") and "Be terse." in full and "## Memory\n" in full and "- heat the mug first" in full and "## How to act" in full
    bare = lib.render("agent_system.j2", agent_name="a", instructions="", memory="", tool_protocol="", has_tools=False)
    assert "## Memory" not in bare and "Reply with your final answer." in bare
    native = lib.render("agent_system.j2", agent_name="a", instructions="", memory="", tool_protocol="", has_tools=True)
    assert "call no tool" in native


def test_react_protocol(lib):
    text = lib.render("react_protocol.j2", tools=tool_specs_for_prompt([SPEC]))
    assert "- act: Do one thing." in text and json.dumps(SPEC.parameters) in text
    assert "Action Input:" in text and "Final Answer:" in text
    no_tools = lib.render("react_protocol.j2", tools=[])
    assert "Action:" not in no_tools and "Final Answer:" in no_tools


def test_react_reminder(lib):
    text = lib.render("react_reminder.j2", problem="no Action line", tool_names=["act", "look"])
    assert "no Action line" in text and "one of: act, look" in text


def test_structured_templates(lib):
    schema = json.dumps({"type": "object"})
    loose = lib.render("structured_output.j2", model_name="Verdict", schema_json=schema, enforced=False)
    assert "Verdict" in loose and schema in loose
    strict = lib.render("structured_output.j2", model_name="Verdict", schema_json=schema, enforced=True)
    assert schema not in strict
    repair = lib.render("structured_repair.j2", model_name="Verdict", errors=["reason: Field required"], schema_json=schema)
    assert "- reason: Field required" in repair and schema in repair


def test_missing_variable_is_an_error(lib):
    with pytest.raises(ConfigError, match="agent_system.j2"):
        lib.render("agent_system.j2", agent_name="a")


def test_home_override_wins(tmp_path):
    (tmp_path / "react_reminder.j2").write_text("custom {{ problem }}")
    assert PromptLibrary(tmp_path).render("react_reminder.j2", problem="x", tool_names=[]) == "custom x\n"
