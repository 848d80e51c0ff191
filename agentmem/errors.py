"""agentmem's own exception types.

Every error a user can cause (bad settings, a malformed skill, a provider failure, a model
reply that does not validate) is raised as a subclass of :class:`AgentmemError` whose message
names *what* was wrong and *where* (file, field, argument, model). Library exceptions from
litellm, chromadb or torch are translated at the adapter boundary, never leaked raw.
"""

from __future__ import annotations


class AgentmemError(Exception):
    """Base class of every error agentmem raises on purpose."""


class ConfigError(AgentmemError):
    """Missing or malformed settings, an unreadable home folder, a bad CLI option."""


class StoreError(AgentmemError):
    """A store could not be read or written; the previous state is left intact."""


class ValidationFailed(AgentmemError):
    """An item or edit failed validation; ``problems`` lists each ``(where, message)``."""

    def __init__(self, message: str, problems: list[tuple[str, str]] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []


class LLMError(AgentmemError):
    """A call to a language model failed (after retries, where retrying made sense)."""

    def __init__(self, message: str, *, model: str | None = None, retryable: bool = False) -> None:
        super().__init__(message)
        self.model = model
        self.retryable = retryable


class UnknownModelError(LLMError):
    """The model string names no provider litellm (or a registered local provider) knows."""


class ProviderError(LLMError):
    """The provider answered with an error (auth, bad request, server error, rate limit)."""


class LLMTimeoutError(LLMError):
    """The provider did not answer within the configured timeout."""


class StructuredOutputError(LLMError):
    """A model reply could not be parsed into the requested pydantic model, even after one repair.

    ``errors`` holds the validation messages (field path and reason) of the last attempt and
    ``raw`` the offending reply text.
    """

    def __init__(self, message: str, *, model: str | None = None, raw: str = "", errors: list[str] | None = None) -> None:
        super().__init__(message, model=model)
        self.raw = raw
        self.errors = errors or []


class RealCallBlockedError(LLMError):
    """A real provider call was attempted while real calls are blocked (the test suite's default)."""


class ScriptExhaustedError(AgentmemError):
    """A scripted fake LLM was called more often than it was given replies for."""


class ToolCallError(AgentmemError):
    """A tool call the model got wrong: unknown tool, arguments that do not validate, a tool that
    failed on the model's input, or a text (ReAct) reply that cannot be parsed. The agent runner
    turns it into an observation for the model instead of raising."""


class BudgetExceeded(AgentmemError):
    """A step, token, cost or wall-clock budget ran out."""


class SandboxError(AgentmemError):
    """A sandboxed script could not be started or was refused before running."""


class SkillFormatError(ValidationFailed):
    """A skill folder breaks the Agent Skills format; the message names the file and field."""
