"""agentmem: memory that learns, for LLM agents.

The public surface is the names in ``__all__``; everything else is internal. Names load on first
use (module ``__getattr__``), so ``import agentmem`` stays fast and imports none of litellm,
torch, chromadb or sentence-transformers.

Plug memory into an agent loop you already have (recall before the model call, record the
outcome after)::

    import agentmem

    settings = agentmem.Settings.load()
    skills = agentmem.SkillLibrary(settings)
    hits = skills.search("heat a mug and put it in the cabinet", k=3)
    prompt = "\\n\\n".join(h.record.text for h in hits) + "\\n\\nTask: heat a mug ..."
    ...  # your model call and your environment
    for h in hits:
        skills.record_use(h.record.id, reward=1.0, success=True)

Or let the runner do it: ``agentmem.Runner(settings).run(agentmem.Agent(model=..., memory=hook), env)``
where ``hook`` is any :class:`MemoryHook` (unified ``Memory``, the reflective controller, your own).

See ``docs/integrating.md`` for the full pattern and the API reference page for every name.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: The public surface by section: name -> module that defines it (loaded on first access).
#: The API reference page is generated from this table (docs/hooks/api_reference.py).
_SECTIONS: dict[str, dict[str, str]] = {
    "The agent and its runner": {
        "Agent": "agentmem.agent.agent",
        "Runner": "agentmem.agent.runner",
        "RunResult": "agentmem.agent.runner",
        "RunLog": "agentmem.agent.runlog",
        "tool": "agentmem.llm.tools",
        "Tool": "agentmem.llm.tools",
        "make_llm": "agentmem.llm.factory",
    },
    "Memory": {
        "Memory": "agentmem.memory",
        "MemoryProfile": "agentmem.profiles",
        "memory_for": "agentmem.profiles",
        "MemoryHook": "agentmem.hooks",
        "RecallContext": "agentmem.hooks",
        "MemoryService": "agentmem.mcp_server",
        "connect": "agentmem.client",
        "connect_async": "agentmem.client",
        "RemoteMemory": "agentmem.client",
        "AsyncRemoteMemory": "agentmem.client",
    },
    "Stores": {
        "Store": "agentmem.stores.base",
        "SkillLibrary": "agentmem.stores.skill_library",
        "Skill": "agentmem.stores.skill_format",
        "FactStore": "agentmem.stores.facts",
        "BehaviorHandbook": "agentmem.stores.behaviors",
        "ConceptMemory": "agentmem.stores.concepts",
        "SubroutineStore": "agentmem.stores.subroutines",
        "ConversationStore": "agentmem.stores.conversation",
        "ExperienceMemory": "agentmem.experience",
    },
    "Learning": {
        "ReflectiveController": "agentmem.learning.controller",
        "ControllerConfig": "agentmem.learning.controller",
        "SnapshotStore": "agentmem.learning.snapshots",
        "OutcomeLog": "agentmem.learning.outcome_log",
        "OutcomeRow": "agentmem.learning.outcome_log",
    },
    "Environments": {
        "Environment": "agentmem.environment",
        "TaskSpec": "agentmem.environment",
        "Observation": "agentmem.environment",
    },
    "Models and retrieval": {
        "LLM": "agentmem.llm.base",
        "Message": "agentmem.llm.base",
        "Completion": "agentmem.llm.base",
        "ToolSpec": "agentmem.llm.base",
        "Embedder": "agentmem.retrieval.base",
        "VectorIndex": "agentmem.retrieval.base",
    },
    "Records": {
        "Namespace": "agentmem.types",
        "Outcome": "agentmem.types",
        "MemoryRecord": "agentmem.types",
        "Recalled": "agentmem.types",
        "Lifecycle": "agentmem.types",
        "Trust": "agentmem.types",
    },
    "Settings, plugins and errors": {
        "Settings": "agentmem.settings",
        "plugins": "agentmem.plugins",
        "AgentmemError": "agentmem.errors",
        "ConfigError": "agentmem.errors",
        "StoreError": "agentmem.errors",
        "ValidationFailed": "agentmem.errors",
        "LLMError": "agentmem.errors",
        "StructuredOutputError": "agentmem.errors",
        "BudgetExceeded": "agentmem.errors",
        "SandboxError": "agentmem.errors",
    },
}


def _installed(module: str) -> bool:
    """Whether ``module`` ships in this build (a file check: nothing is imported)."""
    rel = Path(*module.split(".")[1:])
    here = Path(__file__).parent
    return (here / rel).with_suffix(".py").is_file() or (here / rel / "__init__.py").is_file()


# Components land one by one; a name whose module is not in this build is not public yet.
_LAZY: dict[str, str] = {name: mod for section in _SECTIONS.values() for name, mod in section.items() if _installed(mod)}

__all__ = sorted(_LAZY) + ["__version__"]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'agentmem' has no attribute {name!r}")
    mod = importlib.import_module(module)
    value = mod if module.rsplit(".", 1)[-1] == name else getattr(mod, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


if TYPE_CHECKING:  # static type checkers and IDEs see the real names
    from . import plugins
    from .agent.agent import Agent
    from agentmem.environment import Environment, Observation, TaskSpec
    from agentmem.hooks import MemoryHook, RecallContext
    from .agent.runlog import RunLog
    from .agent.runner import Runner, RunResult
    from .errors import AgentmemError, BudgetExceeded, ConfigError, LLMError, SandboxError, StoreError, StructuredOutputError, ValidationFailed
    from .learning.outcome_log import OutcomeLog, OutcomeRow
    from .llm.base import LLM, Completion, Message, ToolSpec
    from .llm.factory import make_llm
    from .learning.controller import ControllerConfig, ReflectiveController
    from .learning.snapshots import SnapshotStore
    from .llm.tools import Tool, tool
    from .memory import Memory
    from .profiles import MemoryProfile, memory_for
    from .mcp_server import MemoryService
    from .client import AsyncRemoteMemory, RemoteMemory, connect, connect_async
    from .retrieval.base import Embedder, VectorIndex
    from .settings import Settings
    from .stores.base import Store
    from .stores.behaviors import BehaviorHandbook
    from .stores.concepts import ConceptMemory
    from .stores.conversation import ConversationStore
    from .experience import ExperienceMemory
    from .stores.facts import FactStore
    from .stores.skill_format import Skill
    from .stores.skill_library import SkillLibrary
    from .stores.subroutines import SubroutineStore
    from .types import Lifecycle, MemoryRecord, Namespace, Outcome, Recalled, Trust
