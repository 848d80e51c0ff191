"""Structured output: ask any :class:`~agentmem.llm.base.LLM` for a pydantic model.

:func:`structured` asks for JSON (the model's JSON schema as ``response_format`` when the
provider enforces schemas, the schema in the prompt otherwise or when the provider rejects the
schema; ``prompts/structured_output.j2``),
extracts the JSON tolerating code fences and prose, validates it with pydantic, sends the
validation errors back once (``prompts/structured_repair.j2``) and raises
:class:`~agentmem.errors.StructuredOutputError` naming the fields and reasons when the reply
still does not validate.

Example::

    from pydantic import BaseModel
    from agentmem.llm.base import user
    from agentmem.llm.structured import structured

    class Verdict(BaseModel):
        success: bool
        reason: str

    verdict = structured(llm, [user("Did the agent finish the task? ...")], Verdict)
"""

from __future__ import annotations

import json
from typing import Generic, TypeVar

from pydantic import BaseModel, ValidationError

from ..errors import ProviderError, StructuredOutputError
from ..prompts import PromptLibrary
from .base import LLM, Message, Usage
from .jsonutil import NoJSONFound, extract_json

T = TypeVar("T", bound=BaseModel)


class StructuredResult(BaseModel, Generic[T]):
    """A validated value with what it cost: usage summed over all attempts."""

    value: T
    usage: Usage
    attempts: int
    raw: str


def validation_messages(exc: ValidationError) -> list[str]:
    """One ``"field.path: reason"`` line per pydantic error (``(root)`` for the whole value)."""
    out = []
    for err in exc.errors():
        loc = ".".join(str(x) for x in err["loc"]) or "(root)"
        out.append(f"{loc}: {err['msg']}")
    return out


def parse_as(model_cls: type[T], text: str) -> tuple[T | None, list[str]]:
    """Parse ``text`` into ``model_cls``: ``(value, [])`` or ``(None, ["field: reason", ...])``."""
    try:
        data = extract_json(text, want=dict)
    except NoJSONFound as exc:
        return None, [str(exc)]
    try:
        return model_cls.model_validate(data), []
    except ValidationError as exc:
        return None, validation_messages(exc)


def structured_result(
    llm: LLM,
    messages: list[Message],
    model_cls: type[T],
    *,
    retries: int = 1,
    prompts: PromptLibrary | None = None,
    temperature: float | None = None,
    max_tokens: int | None = None,
) -> StructuredResult[T]:
    """Like :func:`structured`, returning the value with its usage, attempt count and raw reply."""
    prompts = prompts or PromptLibrary()
    schema = model_cls.model_json_schema()
    schema_json = json.dumps(schema, ensure_ascii=False)
    enforced = bool(getattr(llm, "supports_response_format", False))
    instruction = prompts.render("structured_output.j2", model_name=model_cls.__name__, schema_json=schema_json, enforced=enforced)
    convo = list(messages) + [Message(role="user", content=instruction)]
    usage = Usage()
    errors: list[str] = []
    raw = ""
    for attempt in range(1, retries + 2):
        try:
            reply = llm.complete(convo, response_format=schema if enforced else None, temperature=temperature, max_tokens=max_tokens)
        except ProviderError as exc:
            if not enforced or exc.retryable:
                raise
            # The provider rejected the schema as response_format: ask in the prompt instead.
            enforced = False
            instruction = prompts.render("structured_output.j2", model_name=model_cls.__name__, schema_json=schema_json, enforced=False)
            convo = [*convo[: len(messages)], Message(role="user", content=instruction), *convo[len(messages) + 1 :]]
            reply = llm.complete(convo, response_format=None, temperature=temperature, max_tokens=max_tokens)
        usage = usage + reply.usage
        raw = reply.text
        value, errors = parse_as(model_cls, raw)
        if value is not None:
            return StructuredResult[model_cls](value=value, usage=usage, attempts=attempt, raw=raw)  # type: ignore[valid-type]
        if attempt <= retries:
            repair = prompts.render("structured_repair.j2", model_name=model_cls.__name__, errors=errors, schema_json=schema_json)
            convo = convo + [Message(role="assistant", content=raw), Message(role="user", content=repair)]
    shown = "; ".join(errors[:8]) + (f" (+{len(errors) - 8} more)" if len(errors) > 8 else "")
    model_name = getattr(llm, "model", "?")
    raise StructuredOutputError(
        f"model {model_name!r}: reply is not a valid {model_cls.__name__} after {retries + 1} attempt{'s' if retries else ''}: {shown}",
        model=model_name,
        raw=raw,
        errors=errors,
    )


def structured(
    llm: LLM,
    messages: list[Message],
    model_cls: type[T],
    *,
    retries: int = 1,
    prompts: PromptLibrary | None = None,
    temperature: float | None = None,
    max_tokens: int | None = None,
) -> T:
    """Ask ``llm`` for an instance of ``model_cls``; repair up to ``retries`` times; raise
    :class:`StructuredOutputError` (``.errors`` = ``["field: reason", ...]``, ``.raw`` = the
    last reply) when it still does not validate."""
    return structured_result(llm, messages, model_cls, retries=retries, prompts=prompts, temperature=temperature, max_tokens=max_tokens).value
