"""Typed Python functions as tools, and the text (ReAct) fallback for models without tool calls.

:func:`tool` turns a typed function into a :class:`Tool`: its :class:`~agentmem.llm.base.ToolSpec`
(JSON schema from the signature, descriptions from the docstring's ``Args:`` section) and a
validated executor. Mistakes the model makes (unknown tool, arguments that do not validate,
a tool that fails on the model's input, an unparsable text reply) raise
:class:`~agentmem.errors.ToolCallError`, which the runner turns into an observation.

Example::

    from agentmem.llm.tools import tool

    @tool
    def add(a: int, b: int = 0) -> int:
        \"\"\"Add two integers.

        Args:
            a: first addend.
            b: second addend.
        \"\"\"
        return a + b

    add.spec.parameters["required"]        # ['a']
    add.run({"a": "2", "b": 3})             # '5'

For models without native tool calls (``llm.supports_tools is False``) the tool protocol is
rendered into the system prompt (``prompts/react_protocol.j2``) and replies are parsed by
:func:`parse_react`: ``Thought:`` / ``Action: name`` / ``Action Input: {json}`` or
``Final Answer: ...``.
"""

from __future__ import annotations

import inspect
import json
import re
import typing
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from ..errors import ConfigError, ToolCallError
from .base import ToolSpec
from .jsonutil import NoJSONFound, extract_json
from .litellm_adapter import RAW_ARGUMENTS_KEY

_NAME_OK = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]{0,63}$")
_SECTION = re.compile(r"^\s*(Args|Arguments|Parameters|Params|Returns|Return|Raises|Yields|Examples?|Notes?)\s*:\s*$")
_ARG_LINE = re.compile(r"^\s*\**([A-Za-z_][A-Za-z0-9_]*)\**\s*(?:\([^)]*\))?\s*:\s*(.*)$")
_REST_PARAM = re.compile(r"^\s*:param\s+(?:[^:]*\s)?([A-Za-z_][A-Za-z0-9_]*)\s*:\s*(.*)$")


def parse_docstring(doc: str | None) -> tuple[str, dict[str, str]]:
    """Split a docstring into (summary description, ``{argument: description}``).

    Understands Google style (``Args:`` with ``name: text`` or ``name (type): text``, indented
    continuation lines) and reST ``:param name: text``.
    """
    if not doc:
        return "", {}
    lines = inspect.cleandoc(doc).splitlines()
    summary: list[str] = []
    args: dict[str, str] = {}
    section: str | None = None
    current: str | None = None
    arg_indent: int | None = None
    for line in lines:
        rest = _REST_PARAM.match(line)
        if rest:
            current = str(rest.group(1))
            args[current] = rest.group(2).strip()
            section = "rest"
            continue
        head = _SECTION.match(line)
        if head:
            section = head.group(1).lower()
            current, arg_indent = None, None
            continue
        if section is None:
            summary.append(line)
            continue
        if section in {"args", "arguments", "parameters", "params"}:
            if not line.strip():
                continue
            indent = len(line) - len(line.lstrip())
            m = _ARG_LINE.match(line)
            if m and (arg_indent is None or indent <= arg_indent):
                arg_indent = indent
                current = str(m.group(1))
                args[current] = m.group(2).strip()
            elif current:
                args[current] = (args[current] + " " + line.strip()).strip()
        elif section == "rest" and current and line.strip() and not line.lstrip().startswith(":"):
            args[current] = (args[current] + " " + line.strip()).strip()
    description = " ".join(" ".join(summary).split())
    return description, args


def _strip_titles(schema: Any) -> Any:
    """Drop pydantic's auto-generated ``title`` keys (noise in a prompt), keep everything else."""
    if isinstance(schema, dict):
        out = {}
        for k, v in schema.items():
            if k == "title" and isinstance(v, str):
                continue
            if k == "properties" and isinstance(v, dict):
                out[k] = {name: _strip_titles(prop) for name, prop in v.items()}
            else:
                out[k] = _strip_titles(v)
        return out
    if isinstance(schema, list):
        return [_strip_titles(x) for x in schema]
    return schema


def result_to_text(value: Any) -> str:
    """A tool's return value as observation text (strings unchanged, models and data as JSON)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, BaseModel):
        return value.model_dump_json()
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return str(value)


class Tool:
    """A Python function the agent may call, with its schema and a validating executor.

    Args:
        fn: the function; every parameter needs a type annotation (``Any`` is allowed).
        name: tool name shown to the model (default: the function's name).
        description: what the tool does (default: the docstring's summary).
        catch_errors: when True (default) an exception raised by ``fn`` becomes a
            :class:`ToolCallError` (an observation for the model: it chose the input); set False
            to let exceptions from ``fn`` propagate (they are then bugs).
    """

    def __init__(self, fn: Callable[..., Any], *, name: str | None = None, description: str | None = None, catch_errors: bool = True) -> None:
        self.fn = fn
        self.name = name or fn.__name__
        if not _NAME_OK.match(self.name):
            raise ConfigError(f"tool name {self.name!r}: use letters, digits, '_' or '-' (at most 64 characters)")
        summary, arg_docs = parse_docstring(fn.__doc__)
        self.description = description or summary or self.name
        self.catch_errors = catch_errors
        self.args_model = self._build_args_model(fn, arg_docs)
        schema = _strip_titles(self.args_model.model_json_schema())
        schema.setdefault("properties", {})
        self.spec = ToolSpec(name=self.name, description=self.description, parameters=schema)

    def _build_args_model(self, fn: Callable[..., Any], arg_docs: dict[str, str]) -> type[BaseModel]:
        try:
            hints = typing.get_type_hints(fn, include_extras=True)
        except Exception as exc:  # unresolved forward reference
            raise ConfigError(f"tool {self.name!r}: cannot resolve the type hints of {fn.__qualname__} ({exc})") from exc
        fields: dict[str, Any] = {}
        for pname, param in inspect.signature(fn).parameters.items():
            if param.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
                raise ConfigError(f"tool {self.name!r}: *{pname} / **{pname} parameters cannot be described to a model; use named parameters")
            annotation = hints.get(pname, Any)
            default = ... if param.default is inspect.Parameter.empty else param.default
            fields[pname] = (annotation, Field(default=default, description=arg_docs.get(pname)))
        model_name = "".join(part.capitalize() for part in re.split(r"[_\-]", self.name)) + "Args"
        return create_model(model_name, __config__=ConfigDict(extra="forbid", arbitrary_types_allowed=True), **fields)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Call the underlying function directly (no validation), as if undecorated."""
        return self.fn(*args, **kwargs)

    def __repr__(self) -> str:
        return f"Tool({self.name!r})"

    def validate(self, arguments: dict[str, Any]) -> dict[str, Any]:
        """Validate (and coerce) the model's arguments; raise :class:`ToolCallError` naming each bad field."""
        if RAW_ARGUMENTS_KEY in arguments:
            raw = str(arguments[RAW_ARGUMENTS_KEY])[:300]
            raise ToolCallError(f"tool {self.name!r}: the arguments are not a valid JSON object: {raw!r}")
        try:
            parsed = self.args_model.model_validate(arguments)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(str(x) for x in e['loc']) or '(arguments)'}: {e['msg']}" for e in exc.errors())
            expected = ", ".join(self.spec.parameters.get("properties", {})) or "no arguments"
            raise ToolCallError(f"tool {self.name!r}: invalid arguments ({problems}); expected: {expected}") from exc
        return {k: getattr(parsed, k) for k in self.args_model.model_fields}

    def run(self, arguments: dict[str, Any]) -> str:
        """Validate ``arguments``, call the function and return its result as text."""
        values = self.validate(arguments)
        try:
            result = self.fn(**values)
        except Exception as exc:
            if not self.catch_errors:
                raise
            raise ToolCallError(f"tool {self.name!r} failed: {type(exc).__name__}: {exc}") from exc
        return result_to_text(result)


@typing.overload
def tool(fn: Callable[..., Any], *, name: str | None = None, description: str | None = None, catch_errors: bool = True) -> Tool: ...
@typing.overload
def tool(fn: None = None, *, name: str | None = None, description: str | None = None, catch_errors: bool = True) -> Callable[[Callable[..., Any]], Tool]: ...


def tool(fn: Callable[..., Any] | None = None, *, name: str | None = None, description: str | None = None, catch_errors: bool = True) -> Any:
    """Decorator: ``@tool`` or ``@tool(name=..., description=...)`` makes a :class:`Tool`."""
    if fn is None:
        return lambda f: Tool(f, name=name, description=description, catch_errors=catch_errors)
    return Tool(fn, name=name, description=description, catch_errors=catch_errors)


def check_required(spec: ToolSpec, arguments: dict[str, Any]) -> None:
    """Light check of arguments for a tool known only by its spec (an environment's action).

    Raises :class:`ToolCallError` on invalid JSON, missing required or (when the schema forbids
    them) unexpected arguments; deeper checks are the environment's job.
    """
    if RAW_ARGUMENTS_KEY in arguments:
        raise ToolCallError(f"tool {spec.name!r}: the arguments are not a valid JSON object: {str(arguments[RAW_ARGUMENTS_KEY])[:300]!r}")
    props = spec.parameters.get("properties", {}) or {}
    missing = [r for r in spec.parameters.get("required", []) or [] if r not in arguments]
    unexpected = [k for k in arguments if k not in props] if spec.parameters.get("additionalProperties") is False else []
    if missing or unexpected:
        parts = ([f"missing {', '.join(missing)}"] if missing else []) + ([f"unexpected {', '.join(unexpected)}"] if unexpected else [])
        raise ToolCallError(f"tool {spec.name!r}: invalid arguments ({'; '.join(parts)}); expected: {', '.join(props) or 'no arguments'}")


# --------------------------------------------------------------------------- ReAct fallback

class ReactReply(BaseModel):
    """A parsed text-protocol reply: either an action (tool + input) or a final answer."""

    thought: str = ""
    action: str | None = None
    action_input: dict[str, Any] | None = Field(default=None, description="The Action Input when it was a JSON object.")
    action_input_text: str = Field(default="", description="The Action Input as written (for single-argument tools).")
    final_answer: str | None = None


_LABEL = re.compile(
    r"^[ \t>#*_`-]*(thought|action[ \t]+input|action|final[ \t]+answer)[ \t]*(?:\d+)?[ \t]*[*_`]*[ \t]*:[*_`]*[ \t]*",
    re.IGNORECASE | re.MULTILINE,
)
_CALL_FORM = re.compile(r"^([A-Za-z_][A-Za-z0-9_\-]*)\s*[\[(](.*)[\])]\s*$", re.DOTALL)


def _clean_action(text: str) -> str:
    first = text.strip().splitlines()[0].strip() if text.strip() else ""
    return first.strip("`'\"*_ .:")


def parse_react(text: str) -> ReactReply:
    """Parse a ReAct-style reply; strict about structure, tolerant about decoration.

    Accepts ``Thought:`` (optional), then either ``Action: <tool>`` + ``Action Input: <json>``
    or ``Final Answer: <text>``. Labels may be bold or numbered (``**Action 1:**``), the input
    may sit in a code fence, and ``Action: tool[input]`` / ``tool(input)`` is understood. When
    both an action and a final answer appear, the one written first wins (a model that acts
    must wait for the observation). Raises :class:`ToolCallError` when neither is present.
    """
    labels = [(m.start(), m.end(), " ".join(m.group(1).lower().split())) for m in _LABEL.finditer(text)]
    segments: dict[str, list[tuple[int, str]]] = {}
    for i, (start, end, label) in enumerate(labels):
        stop = labels[i + 1][0] if i + 1 < len(labels) else len(text)
        segments.setdefault(label, []).append((start, text[end:stop].strip()))
    thought = segments["thought"][0][1] if "thought" in segments else (text[: labels[0][0]].strip() if labels else "")
    action_at = segments["action"][0][0] if "action" in segments else None
    final_at = segments["final answer"][0][0] if "final answer" in segments else None
    if final_at is not None and (action_at is None or final_at < action_at):
        answer = segments["final answer"][0][1]
        if not answer:
            raise ToolCallError("the 'Final Answer:' line is empty")
        return ReactReply(thought=thought, final_answer=answer)
    if action_at is None:
        raise ToolCallError("the reply has neither an 'Action:' line nor a 'Final Answer:' line")
    action_raw = segments["action"][0][1]
    inputs = [body for at, body in segments.get("action input", []) if at > action_at]
    input_text = inputs[0] if inputs else ""
    first_line = action_raw.strip().splitlines()[0].strip() if action_raw.strip() else ""
    call = _CALL_FORM.match(first_line.strip("`*"))
    if call and not input_text:
        name, input_text = call.group(1), call.group(2).strip()
    else:
        name = _clean_action(action_raw)
    if not name:
        raise ToolCallError("the 'Action:' line names no tool")
    input_text = input_text.strip()
    if input_text.startswith("```"):
        input_text = re.sub(r"^```[a-zA-Z]*\s*|\s*```$", "", input_text).strip()
    action_input: dict[str, Any] | None = None
    if input_text:
        try:
            value = extract_json(input_text, want=dict) if input_text.lstrip().startswith("{") else json.loads(input_text)
        except (NoJSONFound, json.JSONDecodeError, ValueError):
            value = None
        if isinstance(value, dict):
            action_input = value
        elif isinstance(value, (str, int, float)) and not isinstance(value, bool):
            input_text = str(value)
    return ReactReply(thought=thought, action=name, action_input=action_input, action_input_text=input_text)


def react_arguments(spec: ToolSpec, reply: ReactReply) -> dict[str, Any]:
    """The tool arguments a parsed ReAct reply means for ``spec``.

    A JSON object is used as is. Plain text is accepted for a tool with exactly one parameter
    (``act(command)``: ``Action Input: go north``). No input is accepted for a tool whose
    parameters are all optional. Anything else raises :class:`ToolCallError`.
    """
    if reply.action_input is not None:
        return reply.action_input
    props = list((spec.parameters.get("properties") or {}).keys())
    required = list(spec.parameters.get("required") or [])
    text = reply.action_input_text
    if text and len(props) == 1:
        return {props[0]: text}
    if not text and not required:
        return {}
    want = "{" + ", ".join(f'"{p}": ...' for p in props) + "}"
    if not text:
        raise ToolCallError(f"tool {spec.name!r}: 'Action Input:' is missing; write it as a JSON object {want}")
    raise ToolCallError(f"tool {spec.name!r}: 'Action Input:' must be a JSON object {want}, got {text[:200]!r}")


def tool_specs_for_prompt(specs: list[ToolSpec]) -> list[dict[str, Any]]:
    """Tool specs as plain dicts for prompt templates (name, description, parameters JSON)."""
    return [{"name": s.name, "description": s.description, "parameters": json.dumps(s.parameters, ensure_ascii=False)} for s in specs]
