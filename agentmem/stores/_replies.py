"""Parse a model's structured reply (JSON, or YAML as a fallback) into a pydantic model.

A local helper for the experience stores: it finds the JSON value in a reply with the shared
:func:`agentmem.llm.jsonutil.extract_json` (code fences and prose tolerated), falls back to
YAML (a fenced ```yaml block or the whole reply), validates with pydantic and, when that fails,
asks the model once more with the validation errors (one repair). What still fails raises
:class:`~agentmem.errors.StructuredOutputError` carrying the errors and the raw reply, so
callers can report a skip and leave their store untouched.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ..errors import StructuredOutputError
from ..llm.base import LLM, Message
from ..llm.jsonutil import NoJSONFound, extract_json
from ..llm.structured import validation_messages

T = TypeVar("T", bound=BaseModel)

_FENCE = re.compile(r"```(?:json|yaml|yml)?\s*\n(.*?)```", re.DOTALL | re.IGNORECASE)


def extract_data(text: str) -> Any:
    """The first JSON (or, failing that, YAML) object or list in ``text``; raises ``ValueError`` when there is none."""
    try:
        return extract_json(text, want=(dict, list))
    except NoJSONFound:
        pass
    import yaml

    for cand in [m.group(1) for m in _FENCE.finditer(text)] + [text]:
        try:
            data = yaml.safe_load(cand)
        except yaml.YAMLError:
            continue
        if isinstance(data, (dict, list)):
            return data
    raise ValueError("no JSON or YAML object found in the reply")


def parse_reply(text: str, model: type[T], *, llm_model: str | None = None) -> T:
    """Validate ``text`` as ``model``; raise :class:`StructuredOutputError` naming each bad field."""
    try:
        data = extract_data(text)
    except ValueError as exc:
        raise StructuredOutputError(f"{model.__name__}: {exc}", model=llm_model, raw=text, errors=[str(exc)]) from exc
    if isinstance(data, list) and len(model.model_fields) == 1:
        data = {next(iter(model.model_fields)): data}
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = validation_messages(exc)
        raise StructuredOutputError(f"{model.__name__}: reply does not validate ({'; '.join(errors[:5])})", model=llm_model, raw=text, errors=errors) from exc


def ask_structured(llm: LLM, messages: list[Message], model: type[T], *, repairs: int = 1, max_tokens: int | None = None) -> T:
    """Call ``llm`` and parse its reply as ``model``, sending validation errors back ``repairs`` times."""
    convo = list(messages)
    last: StructuredOutputError | None = None
    for _ in range(repairs + 1):
        reply = llm.complete(convo, max_tokens=max_tokens)
        try:
            return parse_reply(reply.text, model, llm_model=getattr(llm, "model", None))
        except StructuredOutputError as exc:
            last = exc
            convo = convo + [
                Message(role="assistant", content=reply.text),
                Message(role="user", content="Your reply could not be used: " + "; ".join(exc.errors[:8]) + ". Reply again with only the corrected JSON object."),
            ]
    assert last is not None
    raise last
