"""The one place that builds an :class:`~agentmem.llm.base.LLM` from settings.

``make_llm(settings)`` returns the working model (``llm.model``), ``role="proxy"`` the
MemSifter proxy (``llm.proxy_model``, falling back to ``llm.model``), ``role="judge"`` the
LLM judge (``llm.judge_model``, falling back to ``llm.model``). An explicit ``model`` wins.

Besides every litellm model string, one scheme is for tests and demos: ``scripted:PATH`` loads
:class:`agentmem.testing.ScriptedLLM` from a JSON file holding a list of replies (strings, or
objects in the :class:`~agentmem.llm.base.Completion` shape, e.g. with ``tool_calls``). It
never reaches a provider.

Example::

    from agentmem.llm.factory import make_llm
    llm = make_llm(settings)                      # settings.llm.model
    judge = make_llm(settings, role="judge")
    other = make_llm(settings, model="ollama/llama3")
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from ..errors import ConfigError
from .base import LLM

if TYPE_CHECKING:
    from ..settings import Settings

Role = Literal["main", "proxy", "judge"]

SCRIPTED_PREFIX = "scripted:"


def model_for_role(settings: "Settings", role: Role = "main", model: str | None = None) -> str | None:
    """The model string ``make_llm`` would use, or None when none is configured."""
    if model:
        return model
    if role == "proxy" and settings.llm.proxy_model:
        return settings.llm.proxy_model
    if role == "judge" and settings.llm.judge_model:
        return settings.llm.judge_model
    if role not in ("main", "proxy", "judge"):
        raise ConfigError(f"make_llm: role must be 'main', 'proxy' or 'judge', not {role!r}")
    return settings.llm.model


def make_llm(settings: "Settings", role: Role = "main", model: str | None = None) -> LLM:
    """Build the LLM for ``role`` (see the module docstring); :class:`ConfigError` when none is configured."""
    name = model_for_role(settings, role, model)
    if not name:
        extra = {"proxy": " (or llm.proxy_model)", "judge": " (or llm.judge_model)"}.get(role, "")
        raise ConfigError(f"no model configured for the {role} LLM: pass --model or set AGENTMEM_MODEL / llm.model{extra}")
    if name.startswith(SCRIPTED_PREFIX):
        return load_scripted(name[len(SCRIPTED_PREFIX):])
    from .litellm_adapter import LiteLLM

    cfg = settings.llm
    return LiteLLM(
        name,
        api_base=cfg.api_base,
        api_key_env=cfg.api_key_env,
        temperature=cfg.temperature,
        max_tokens=cfg.max_tokens,
        timeout_s=cfg.timeout_s,
        max_retries=cfg.max_retries,
        backoff_base_s=cfg.backoff_base_s,
        supports_tools=cfg.supports_tools,
        supports_response_format=cfg.supports_response_format,
    )


def load_scripted(path: str) -> LLM:
    """A :class:`~agentmem.testing.ScriptedLLM` whose replies come from the JSON file ``path``.

    The file holds a list (or ``{"replies": [...], "supports_tools": bool,
    "supports_response_format": bool}``); each reply is a string or a Completion-shaped object.
    """
    from .scripted import ScriptedLLM
    from .base import Completion

    p = Path(path).expanduser()
    if not path or not p.is_file():
        raise ConfigError(f"model 'scripted:{path}': expected 'scripted:<file.json>' naming an existing JSON file of replies")
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{p}: cannot read scripted replies ({exc})") from exc
    options = data if isinstance(data, dict) else {"replies": data}
    replies_raw = options.get("replies")
    if not isinstance(replies_raw, list):
        raise ConfigError(f"{p}: expected a JSON list of replies (or an object with a 'replies' list)")
    replies: list[str | Completion] = []
    for i, item in enumerate(replies_raw):
        if isinstance(item, str):
            replies.append(item)
        elif isinstance(item, dict):
            try:
                replies.append(Completion.model_validate(item))
            except ValueError as exc:
                raise ConfigError(f"{p}: reply {i} is not a Completion ({exc})") from exc
        else:
            raise ConfigError(f"{p}: reply {i} must be a string or an object, not {type(item).__name__}")
    return ScriptedLLM(
        replies,
        model=f"scripted:{p.name}",
        supports_tools=bool(options.get("supports_tools", True)),
        supports_response_format=bool(options.get("supports_response_format", True)),
    )
