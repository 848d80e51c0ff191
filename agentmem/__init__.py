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

__all__ = ["AgentmemError", "ConfigError", "LLMError", "Namespace", "Outcome", "Settings", "StoreError", "StructuredOutputError", "__version__"]
