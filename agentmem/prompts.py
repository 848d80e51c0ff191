"""Prompt templates: one Jinja2 file per prompt in ``prompts/``.

Templates render in a sandboxed environment with ``StrictUndefined`` (a missing variable is
an error, not an empty string). A user overrides any shipped template by putting a file of the
same name in ``<home>/prompts/``.

Example::

    from agentmem.prompts import PromptLibrary
    text = PromptLibrary().render("agent_system.j2", tools=[...], memory="")
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .resources import prompts_dir


_TAG = re.compile(r"<(?=\s*/?\s*[A-Za-z!?])")
_HEADING = re.compile(r"^([ \t]*)(#{1,6}|={3,}|-{3,}|```|~~~)", re.MULTILINE)


def as_data(text: Any) -> str:
    """Neutralise the delimiters stored text could use to pass for structure in a prompt.

    Recalled memory is data, not instructions: a stored item must not be able to close the
    memory block or start a section of its own. Tag-like ``<`` (``</memory>``, ``</data>``,
    ``<system>``) becomes ``&lt;``; a line that starts a Markdown heading, a rule or a code
    fence (``## Instructions``, ``---``, three backticks) gets a leading backslash, so it reads as
    literal text. Everything else is kept as it was. Used by the ``data`` filter of every
    template that renders memory and by the MCP ``context``.
    """
    out = _TAG.sub("&lt;", str(text))
    return _HEADING.sub(lambda m: m.group(1) + "\\" + m.group(2), out)


def as_block(text: Any) -> str:
    """Already-rendered memory put inside a ``<memory>`` block: only tag-like text is
    neutralised (the rendered section headings stay; item texts were escaped by :func:`as_data`)."""
    return _TAG.sub("&lt;", str(text))


class PromptLibrary:
    """Finds and renders templates, user overrides first."""

    def __init__(self, override_dir: str | Path | None = None, shipped: str | Path | None = None) -> None:
        from jinja2 import FileSystemLoader, StrictUndefined
        from jinja2.sandbox import SandboxedEnvironment

        self.search_path = [str(p) for p in (override_dir, shipped or prompts_dir()) if p is not None and Path(p).is_dir()]
        self._env = SandboxedEnvironment(
            loader=FileSystemLoader(self.search_path),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
            autoescape=False,
        )
        self._env.filters["data"] = as_data
        self._env.filters["block"] = as_block

    def names(self) -> list[str]:
        return sorted(self._env.list_templates(extensions=["j2"]))

    def source_of(self, name: str) -> Path:
        for root in self.search_path:
            p = Path(root) / name
            if p.exists():
                return p
        raise ConfigError(f"prompt template {name!r} not found in {self.search_path}")

    def render(self, name: str, **variables: Any) -> str:
        """Render template ``name``; raise :class:`ConfigError` naming the template and variable on failure."""
        from jinja2 import TemplateError, TemplateNotFound, UndefinedError

        try:
            template = self._env.get_template(name)
        except TemplateNotFound as exc:
            raise ConfigError(f"prompt template {name!r} not found in {self.search_path}") from exc
        try:
            return template.render(**variables).strip() + "\n"
        except UndefinedError as exc:
            raise ConfigError(f"prompt template {name!r}: {exc} (variables given: {sorted(variables)})") from exc
        except TemplateError as exc:
            raise ConfigError(f"prompt template {name!r}: {exc}") from exc
