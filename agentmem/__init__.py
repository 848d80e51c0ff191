"""agentmem: memory that learns, for LLM agents.

The public surface is filled in as components land; heavy libraries (litellm, chromadb,
sentence-transformers, torch) are only imported by the adapters that need them, so
``import agentmem`` stays fast.
"""

from __future__ import annotations

from .errors import AgentmemError, ConfigError, LLMError, StoreError, StructuredOutputError
from .settings import Settings
from .types import Namespace, Outcome

__version__ = "0.1.0"


def __getattr__(name: str):  # noqa: ANN202
    """Lazy exports (keep ``import agentmem`` light): ``agentmem.Memory``."""
    if name == "Memory":
        from .memory import Memory

        return Memory
    raise AttributeError(f"module 'agentmem' has no attribute {name!r}")

__all__ = ["AgentmemError", "ConfigError", "LLMError", "Memory", "Namespace", "Outcome", "Settings", "StoreError", "StructuredOutputError", "__version__"]
