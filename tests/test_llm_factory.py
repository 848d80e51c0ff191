"""make_llm: roles, the missing-model error, the scripted: scheme."""

from __future__ import annotations

import json

import pytest

from agentmem.errors import ConfigError
from agentmem.llm.factory import make_llm, model_for_role
from agentmem.llm.litellm_adapter import LiteLLM
from agentmem.settings import Settings
from agentmem.testing import ScriptedLLM


def test_roles_fall_back_to_the_main_model(home):
    s = Settings.load(home=home, llm={"model": "openai/gpt-4o-mini", "judge_model": "anthropic/claude-3-5-haiku-latest"})
    assert model_for_role(s) == "openai/gpt-4o-mini"
    assert model_for_role(s, "proxy") == "openai/gpt-4o-mini"
    assert model_for_role(s, "judge") == "anthropic/claude-3-5-haiku-latest"
    assert model_for_role(s, "judge", model="ollama/llama3") == "ollama/llama3"


def test_make_llm_builds_the_adapter_from_settings(home):
    s = Settings.load(home=home, llm={"model": "hosted_vllm/qwen", "api_base": "http://127.0.0.1:9/v1", "timeout_s": 5, "max_retries": 1, "supports_tools": True})
    llm = make_llm(s)
    assert isinstance(llm, LiteLLM) and llm.model == "hosted_vllm/qwen" and llm.api_base == "http://127.0.0.1:9/v1"
    assert llm.timeout_s == 5 and llm.max_retries == 1 and llm.supports_tools is True and llm.supports_response_format is False


def test_missing_model_message(home):
    with pytest.raises(ConfigError, match="pass --model or set AGENTMEM_MODEL / llm.model"):
        make_llm(Settings.load(home=home))
    with pytest.raises(ConfigError, match="llm.judge_model"):
        make_llm(Settings.load(home=home), role="judge")


def test_env_var_sets_the_model(home, monkeypatch):
    monkeypatch.setenv("AGENTMEM_MODEL", "openai/gpt-4o-mini")
    assert make_llm(Settings.load(home=home)).model == "openai/gpt-4o-mini"


def test_scripted_scheme(home, tmp_path):
    f = tmp_path / "r.json"
    f.write_text(json.dumps({"replies": ["a", {"text": "", "tool_calls": [{"id": "1", "name": "t", "arguments": {"x": 1}}]}], "supports_tools": False}))
    llm = make_llm(Settings.load(home=home), model=f"scripted:{f}")
    assert isinstance(llm, ScriptedLLM) and llm.supports_tools is False and llm.remaining == 2
    with pytest.raises(ConfigError, match="existing JSON file"):
        make_llm(Settings.load(home=home), model="scripted:/nonexistent.json")
    f.write_text(json.dumps([1]))
    with pytest.raises(ConfigError, match="reply 0 must be a string"):
        make_llm(Settings.load(home=home), model=f"scripted:{f}")
