"""The litellm adapter, without network: litellm's mock_response, and a monkeypatched litellm."""

from __future__ import annotations

import asyncio

import pytest

from agentmem.errors import ConfigError, LLMTimeoutError, ProviderError, RealCallBlockedError, UnknownModelError
from agentmem.llm.base import ToolSpec, user
from agentmem.llm.guard import allow_real_calls
from agentmem.llm.litellm_adapter import RAW_ARGUMENTS_KEY, LiteLLM, import_litellm, to_response_format

ADD = ToolSpec(name="add", description="Add.", parameters={"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]})


def test_mock_response_text_usage_and_cost():
    llm = LiteLLM("openai/gpt-4o-mini", extra={"mock_response": "hello there"})
    with allow_real_calls():
        out = llm.complete([user("hi")], max_tokens=5)
    assert out.text == "hello there" and out.model == "openai/gpt-4o-mini"
    assert out.usage.calls == 1 and out.usage.prompt_tokens > 0 and out.usage.completion_tokens > 0
    assert out.usage.cost_usd > 0  # gpt-4o-mini has a price in litellm's bundled cost map
    with allow_real_calls():
        llm.complete([user("again")])
    assert llm.usage.total.calls == 2
    assert llm.usage.total.total_tokens == 2 * out.usage.total_tokens


def test_mock_tool_calls_are_parsed_and_bad_json_kept_raw():
    calls = [
        {"id": "c1", "type": "function", "function": {"name": "add", "arguments": '{"a": 2}'}},
        {"id": "c2", "type": "function", "function": {"name": "add", "arguments": "{not json"}},
    ]
    llm = LiteLLM("openai/gpt-4o-mini", extra={"mock_tool_calls": calls})
    with allow_real_calls():
        out = llm.complete([user("add")], tools=[ADD])
    assert [c.name for c in out.tool_calls] == ["add", "add"]
    assert out.tool_calls[0].arguments == {"a": 2}
    assert out.tool_calls[1].arguments == {RAW_ARGUMENTS_KEY: "{not json"}


def test_real_calls_blocked_by_default_in_tests():
    llm = LiteLLM("openai/gpt-4o-mini", extra={"mock_response": "x"})
    with pytest.raises(RealCallBlockedError, match="gpt-4o-mini"):
        llm.complete([user("hi")])


def test_unknown_model_string_is_named():
    with pytest.raises(UnknownModelError, match="no-such-model-xyz"):
        LiteLLM("no-such-model-xyz")
    with pytest.raises(UnknownModelError, match="openai/<name>"):
        LiteLLM("my-server-model", api_base="http://127.0.0.1:9/v1")


def test_missing_api_key_env_is_a_config_error(monkeypatch):
    monkeypatch.delenv("AGENTMEM_TEST_KEY", raising=False)
    with pytest.raises(ConfigError, match="AGENTMEM_TEST_KEY"):
        LiteLLM("anthropic/claude-3-5-haiku-latest", api_key_env="AGENTMEM_TEST_KEY")
    monkeypatch.setenv("AGENTMEM_TEST_KEY", "sk-test")
    llm = LiteLLM("anthropic/claude-3-5-haiku-latest", api_key_env="AGENTMEM_TEST_KEY")
    assert llm._request([user("x")], None, None, None, None, None)["api_key"] == "sk-test"


def test_capabilities_from_litellm_and_overridable():
    assert LiteLLM("openai/gpt-4o-mini").supports_tools is True
    vllm = LiteLLM("hosted_vllm/my-model", api_base="http://127.0.0.1:9/v1")
    assert vllm.supports_tools is False and vllm.supports_response_format is False
    forced = LiteLLM("hosted_vllm/my-model", api_base="http://127.0.0.1:9/v1", supports_tools=True, supports_response_format=True)
    assert forced.supports_tools and forced.supports_response_format


def test_request_shape():
    llm = LiteLLM("openai/gpt-4o-mini", api_base="http://h/v1", timeout_s=7, max_tokens=99, extra={"top_p": 0.5})
    schema = {"title": "Verdict", "type": "object", "properties": {"ok": {"type": "boolean"}}}
    kw = llm._request([user("x")], [ADD], ["STOP"], schema, 0.3, None)
    assert kw["timeout"] == 7 and kw["max_tokens"] == 99 and kw["temperature"] == 0.3 and kw["num_retries"] == 0
    assert kw["api_base"] == "http://h/v1" and kw["stop"] == ["STOP"] and kw["top_p"] == 0.5
    assert kw["tools"][0]["function"]["name"] == "add"
    assert kw["response_format"] == {"type": "json_schema", "json_schema": {"name": "Verdict", "schema": schema}}
    assert to_response_format({"type": "json_object"}) == {"type": "json_object"}


class _FlakyLiteLLM:
    """Stands in for the litellm module: raises the given errors, then succeeds."""

    def __init__(self, real, errors):
        self._real = real
        self._errors = list(errors)
        self.calls = 0

    def __getattr__(self, name):
        return getattr(self._real, name)

    def completion(self, **kw):
        self.calls += 1
        if self._errors:
            raise self._errors.pop(0)
        return self._real.completion(**{**kw, "mock_response": "finally"})

    async def acompletion(self, **kw):
        return self.completion(**kw)


def _rate_limit(litellm):
    return litellm.RateLimitError("slow down", llm_provider="openai", model="gpt-4o-mini")


def test_rate_limit_retried_with_backoff(monkeypatch):
    real = import_litellm()
    fake = _FlakyLiteLLM(real, [_rate_limit(real), _rate_limit(real)])
    monkeypatch.setattr("agentmem.llm.litellm_adapter.import_litellm", lambda: fake)
    slept: list[float] = []
    llm = LiteLLM("openai/gpt-4o-mini", max_retries=4, backoff_base_s=1.0, sleep=slept.append)
    with allow_real_calls():
        out = llm.complete([user("hi")])
    assert out.text == "finally" and fake.calls == 3 and llm.retries == 2
    assert len(slept) == 2 and 0.5 <= slept[0] < 1.5 and 1.0 <= slept[1] < 3.0  # base * 2**n * jitter


def test_retries_exhausted_is_provider_error_naming_model(monkeypatch):
    real = import_litellm()
    fake = _FlakyLiteLLM(real, [_rate_limit(real)] * 3)
    monkeypatch.setattr("agentmem.llm.litellm_adapter.import_litellm", lambda: fake)
    llm = LiteLLM("openai/gpt-4o-mini", max_retries=2, sleep=lambda s: None)
    with allow_real_calls(), pytest.raises(ProviderError, match=r"'openai/gpt-4o-mini': rate limited after 3 attempts") as err:
        llm.complete([user("hi")])
    assert err.value.retryable and fake.calls == 3


def test_auth_and_bad_request_not_retried(monkeypatch):
    real = import_litellm()
    auth = real.AuthenticationError("bad key", llm_provider="openai", model="gpt-4o-mini")
    fake = _FlakyLiteLLM(real, [auth])
    monkeypatch.setattr("agentmem.llm.litellm_adapter.import_litellm", lambda: fake)
    llm = LiteLLM("openai/gpt-4o-mini", api_key_env=None, sleep=lambda s: pytest.fail("must not sleep"))
    with allow_real_calls(), pytest.raises(ProviderError, match="authentication failed"):
        llm.complete([user("hi")])
    assert fake.calls == 1 and llm.retries == 0


def test_timeout_translated(monkeypatch):
    real = import_litellm()
    fake = _FlakyLiteLLM(real, [real.Timeout("too slow", model="gpt-4o-mini", llm_provider="openai")] * 2)
    monkeypatch.setattr("agentmem.llm.litellm_adapter.import_litellm", lambda: fake)
    llm = LiteLLM("openai/gpt-4o-mini", timeout_s=3, max_retries=1, sleep=lambda s: None)
    with allow_real_calls(), pytest.raises(LLMTimeoutError, match=r"'openai/gpt-4o-mini' did not answer within 3s"):
        llm.complete([user("hi")])


def test_acomplete_retries_too(monkeypatch):
    real = import_litellm()
    fake = _FlakyLiteLLM(real, [_rate_limit(real)])
    monkeypatch.setattr("agentmem.llm.litellm_adapter.import_litellm", lambda: fake)
    waited: list[float] = []

    async def no_wait(s):
        waited.append(s)

    llm = LiteLLM("openai/gpt-4o-mini", async_sleep=no_wait)
    with allow_real_calls():
        out = asyncio.run(llm.acomplete([user("hi")]))
    assert out.text == "finally" and len(waited) == 1 and llm.usage.total.calls == 1
