"""Find the JSON value in a model reply, tolerating code fences and prose around it."""

from __future__ import annotations

import json
import re
from typing import Any

_FENCE = re.compile(r"```[ \t]*(?:json|JSON|javascript|js)?[ \t]*\n?(.*?)```", re.DOTALL)


class NoJSONFound(ValueError):
    """The text holds no parsable JSON object or array."""


def extract_json(text: str, *, want: type | tuple[type, ...] = (dict, list)) -> Any:
    """Return the first JSON value of type ``want`` found in ``text``.

    Tries, in order: the whole text; each fenced code block; every ``{`` / ``[`` position,
    decoding the longest valid JSON value starting there (so prose before and after, and
    trailing commentary, are ignored). Raises :class:`NoJSONFound` with a short reason.
    """
    stripped = text.strip()
    candidates = [stripped] + [m.group(1).strip() for m in _FENCE.finditer(text)]
    for cand in candidates:
        if not cand:
            continue
        try:
            value = json.loads(cand)
        except (json.JSONDecodeError, ValueError):
            continue
        if isinstance(value, want):
            return value
    decoder = json.JSONDecoder()
    for i, ch in enumerate(text):
        if ch not in "{[":
            continue
        try:
            value, _ = decoder.raw_decode(text, i)
        except (json.JSONDecodeError, ValueError):
            continue
        if isinstance(value, want):
            return value
    if not stripped:
        raise NoJSONFound("the reply is empty")
    raise NoJSONFound("no parsable JSON object found in the reply")
