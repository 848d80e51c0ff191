"""Ask a model for a JSON reply and validate it, with one repair call.

JSON extraction (code fences and surrounding prose tolerated) is the shared
:func:`agentmem.llm.jsonutil.extract_json`, re-exported here. :func:`complete_json` renders
messages, calls the LLM with a JSON ``response_format``, and on a reply that does not parse (or
does not validate) makes one repair call that shows the model its error, then raises
:class:`~agentmem.errors.StructuredOutputError`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ...errors import StructuredOutputError
from ...llm.base import LLM, Message
from ...llm.jsonutil import extract_json

__all__ = ["complete_json", "extract_json"]

T = TypeVar("T", bound=BaseModel)


def complete_json(llm: LLM, messages: list[Message], model: type[T], *, validate: Callable[[Any], T] | None = None,
                  max_tokens: int | None = None) -> tuple[T, str]:
    """Ask ``llm`` for JSON matching ``model``; return ``(parsed, raw_text)`` after at most one repair."""
    schema = {"type": "json_schema", "json_schema": {"name": model.__name__, "schema": model.model_json_schema()}}
    check = validate or model.model_validate
    msgs = list(messages)
    errors: list[str] = []
    raw = ""
    for attempt in range(2):
        reply = llm.complete(msgs, response_format=schema if llm.supports_response_format else None, temperature=0.0, max_tokens=max_tokens)
        raw = reply.text
        try:
            return check(extract_json(raw)), raw
        except (ValueError, ValidationError) as exc:
            errors = [str(exc)]
            if attempt == 0:
                msgs = msgs + [Message(role="assistant", content=raw),
                               Message(role="user", content=f"Your reply could not be used: {exc}. Reply again with only the JSON object.")]
    raise StructuredOutputError(f"{model.__name__}: model {getattr(llm, 'model', '?')!r} did not return valid JSON after one repair: {errors[-1][:300]}",
                                model=getattr(llm, "model", None), raw=raw, errors=errors)
