"""Request and response bodies of the HTTP API (pydantic models; the OpenAPI schema is built from them).

Responses reuse the library's own models where the library returns one (``RecallContext``,
``MemoryRecord``, ``Snapshot``, ``ItemHistory``), so :func:`agentmem.connect` hands back the same
types as :class:`~agentmem.memory.Memory`.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ..types import MemoryRecord, Outcome

MAX_TEXT_CHARS = 20_000


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RecallRequest(_Body):
    query: str = Field(..., min_length=1, max_length=MAX_TEXT_CHARS, description="The task or question to recall memory for.")
    namespace: str | None = Field(default=None, max_length=200, description="user, user/agent or user/agent/run; default: the key's namespace.")
    budget_tokens: int | None = Field(default=None, gt=0, le=100_000, description="Token budget of the context (default: settings.recall.budget_tokens).")
    stores: list[str] | None = Field(default=None, max_length=32, description="Only these stores (default: every store).")


class RememberRequest(_Body):
    text: str = Field(..., min_length=1, max_length=MAX_TEXT_CHARS, description="The fact to remember.")
    namespace: str | None = Field(default=None, max_length=200)
    store: str = Field(default="facts", description="Store that takes the item (the service writes facts).")


class RememberResponse(BaseModel):
    id: str = Field(..., description="Id of the new item; durable when this response is sent.")
    store: str
    namespace: str


class ItemRef(_Body):
    store: str = Field(..., min_length=1, max_length=100)
    id: str = Field(..., min_length=1, max_length=200)


class LearnRequest(_Body):
    task: str = Field(..., min_length=1, max_length=MAX_TEXT_CHARS, description="The task that was done.")
    items: list[ItemRef] = Field(default_factory=list, max_length=200, description="The recalled items that were in context.")
    outcome: Outcome
    namespace: str | None = Field(default=None, max_length=200)
    run_id: str | None = Field(default=None, max_length=200)
    task_id: str | None = Field(default=None, max_length=200)


class LearnResponse(BaseModel):
    run_id: str


class ItemsResponse(BaseModel):
    namespace: str
    offset: int
    limit: int
    items: list[MemoryRecord]


class SnapshotRequest(_Body):
    name: str = Field(default="", max_length=200)
    reason: str = Field(default="", max_length=2000)


class RollbackRequest(_Body):
    ref: str = Field(..., min_length=1, max_length=200, description="Snapshot id, name, or 'latest'.")


class SnapshotSummary(BaseModel):
    id: str
    name: str
    created_at: float
    reason: str
    files: int


class SnapshotList(BaseModel):
    snapshots: list[SnapshotSummary]


class HealthResponse(BaseModel):
    status: str
    version: str
    auth: str = Field(..., description="'keys' when requests need an API key, 'open' on a key-less loopback server.")
    stores: list[str]
    queued_writes: int


class FieldError(BaseModel):
    field: str = Field(..., description="Dotted path of the offending field ('body' for the body as a whole).")
    message: str


class ErrorResponse(BaseModel):
    error: str = Field(..., description="Machine-readable kind: invalid_request, unauthorized, forbidden, not_found, too_large, rate_limited, unavailable, internal.")
    message: str
    fields: list[FieldError] = Field(default_factory=list)


def field_errors(errors: list[dict[str, Any]]) -> list[FieldError]:
    """pydantic errors as ``FieldError`` s (``loc`` joined with dots)."""
    return [FieldError(field=".".join(str(x) for x in e.get("loc", ())) or "body", message=str(e.get("msg", ""))) for e in errors]


__all__ = [
    "ErrorResponse", "FieldError", "HealthResponse", "ItemRef", "ItemsResponse", "LearnRequest", "LearnResponse",
    "MAX_TEXT_CHARS", "RecallRequest", "RememberRequest", "RememberResponse", "RollbackRequest", "SnapshotList",
    "SnapshotRequest", "SnapshotSummary", "field_errors",
]
