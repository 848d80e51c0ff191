"""Structured output: JSON extraction, schema request, one repair, typed failure."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, Field

from agentmem.errors import StructuredOutputError
from agentmem.llm.base import user
from agentmem.llm.jsonutil import NoJSONFound, extract_json
from agentmem.llm.structured import parse_as, structured, structured_result
from agentmem.testing import ScriptedLLM


class Verdict(BaseModel):
    success: bool
    reason: str
    score: float = Field(0.0, ge=0, le=1)


@pytest.mark.parametrize(
    "text",
    [
        '{"a": 1}',
        'Here you go:\n```json\n{"a": 1}\n```\nanything else?',
        'Sure. {"a": 1} Hope that helps {"b": 2}',
        '```\n{"a": 1}\n```',
    ],
)
def test_extract_json_tolerates_fences_and_prose(text):
    assert extract_json(text, want=dict) == {"a": 1}


def test_extract_json_reports_why():
    with pytest.raises(NoJSONFound, match="empty"):
        extract_json("  ")
    with pytest.raises(NoJSONFound, match="no parsable JSON"):
        extract_json("just words {not json")


def test_first_reply_valid_uses_schema_when_supported():
    llm = ScriptedLLM(['```json\n{"success": true, "reason": "done", "score": 0.9}\n```'])
    res = structured_result(llm, [user("judge this")], Verdict)
    assert res.value == Verdict(success=True, reason="done", score=0.9) and res.attempts == 1
    call = llm.calls[0]
    assert call["response_format"]["title"] == "Verdict"
    assert "Verdict" in call["messages"][-1].content
    llm.assert_complete()


def test_schema_in_prompt_when_provider_cannot_enforce():
    llm = ScriptedLLM(['{"success": false, "reason": "no"}'], supports_response_format=False)
    assert structured(llm, [user("judge")], Verdict).success is False
    call = llm.calls[0]
    assert call["response_format"] is None
    assert '"required": ["success", "reason"]' in call["messages"][-1].content


def test_repair_sends_errors_back_and_succeeds():
    llm = ScriptedLLM(['{"success": true, "score": 3}', '{"success": true, "reason": "fixed", "score": 1}'])
    res = structured_result(llm, [user("judge")], Verdict)
    assert res.value.reason == "fixed" and res.attempts == 2 and res.usage.calls == 2
    repair = llm.calls[1]["messages"]
    assert repair[-2].role == "assistant" and repair[-2].content == '{"success": true, "score": 3}'
    assert "reason: Field required" in repair[-1].content and "score: Input should be less than or equal to 1" in repair[-1].content


def test_failure_after_repair_is_typed_and_names_fields():
    llm = ScriptedLLM(["I refuse", '{"success": "perhaps"}'], model="m1")
    with pytest.raises(StructuredOutputError) as err:
        structured(llm, [user("judge")], Verdict)
    exc = err.value
    assert exc.model == "m1" and exc.raw == '{"success": "perhaps"}'
    assert any(e.startswith("success:") for e in exc.errors) and "reason: Field required" in exc.errors
    assert "Verdict" in str(exc) and "2 attempts" in str(exc)
    llm.assert_complete()


def test_no_repair_when_retries_zero():
    llm = ScriptedLLM(["not json"])
    with pytest.raises(StructuredOutputError, match="no parsable JSON"):
        structured(llm, [user("x")], Verdict, retries=0)


def test_parse_as():
    value, errors = parse_as(Verdict, 'x {"success": true, "reason": "r"} y')
    assert value is not None and errors == []
    value, errors = parse_as(Verdict, '{"success": true}')
    assert value is None and errors == ["reason: Field required"]


def test_rejected_response_format_falls_back_to_the_prompt():
    from agentmem.errors import ProviderError
    from agentmem.testing import FunctionLLM

    def reply(messages, info):
        if info["response_format"] is not None:
            raise ProviderError("model 'f': request rejected: response_format not supported", model="f")
        return '{"success": true, "reason": "ok"}'

    llm = FunctionLLM(reply)
    assert structured(llm, [user("judge")], Verdict).reason == "ok"
    assert len(llm.calls) == 2 and '"required": ["success", "reason"]' in llm.calls[1]["messages"][-1].content
