"""A remote memory: the HTTP client of ``agentmem serve --http``, with the methods and types of ``Memory``.

:func:`connect` returns a :class:`RemoteMemory` (synchronous), :func:`connect_async` an
:class:`AsyncRemoteMemory`; both speak the JSON API of :mod:`agentmem.server` through httpx and
return the library's own models (:class:`~agentmem.hooks.RecallContext`,
:class:`~agentmem.learning.snapshots.Snapshot`, ...), so code written against
:class:`~agentmem.memory.Memory` runs unchanged against a server::

    memory = agentmem.connect("http://127.0.0.1:8765", key="am_...")
    ctx = memory.recall("where is the deploy key?", namespace="alice")
    memory.learn("where is the deploy key?", ctx, agentmem.Outcome(score=1.0, success=True, source="user"))

:class:`RemoteMemory` is also a :class:`~agentmem.hooks.MemoryHook`, so a ``Runner`` can use it.

Errors are the library's: a 422 raises :class:`InvalidRequest` (a :class:`~agentmem.errors.ConfigError`,
like ``Memory`` for bad arguments), 401/403 :class:`AccessDenied`, 429 is retried after
``Retry-After`` up to ``retries`` times and then raises :class:`RateLimited`, anything else
:class:`RemoteError` with the server's message.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any

from agentmem.environment import TaskSpec
from agentmem.hooks import RecallContext
from .errors import AgentmemError, ConfigError
from .types import MemoryRecord, Outcome, new_id


class RemoteError(AgentmemError):
    """The server answered with an error (``status``, ``kind``, ``fields`` from its JSON body)."""

    def __init__(self, status: int, kind: str, message: str, fields: list[dict[str, Any]] | None = None) -> None:
        super().__init__(f"{status} {kind}: {message}")
        self.status, self.kind, self.fields = status, kind, fields or []


class InvalidRequest(RemoteError, ConfigError):
    """422: the request named a field the server refused."""


class AccessDenied(RemoteError):
    """401 or 403: no valid key, or the key's scope or namespace does not allow the request."""


class RateLimited(RemoteError):
    """429 after the client's retries."""


class NotFound(RemoteError):
    """404: no such store, item or snapshot."""


def _error(resp: Any) -> RemoteError:
    try:
        body = resp.json()
        kind, message, fields = body.get("error", "error"), body.get("message", resp.text), body.get("fields", [])
    except ValueError:
        kind, message, fields = "error", resp.text[:500], []
    cls = {401: AccessDenied, 403: AccessDenied, 404: NotFound, 422: InvalidRequest, 429: RateLimited}.get(resp.status_code, RemoteError)
    return cls(resp.status_code, kind, message, fields)


def _wait(resp: Any) -> float:
    try:
        return min(30.0, float(resp.headers.get("retry-after", "1")))
    except ValueError:
        return 1.0


def _recall_body(task: str | TaskSpec, budget_tokens: int | None, namespace: str | None, stores: Sequence[str] | None) -> dict[str, Any]:
    query = task.instruction if isinstance(task, TaskSpec) else str(task)
    return {"query": query, "budget_tokens": budget_tokens, "namespace": namespace, "stores": list(stores) if stores is not None else None}


def _learn_body(task: str | TaskSpec, context: RecallContext, outcome: Outcome, run_id: str | None, namespace: str | None) -> dict[str, Any]:
    spec = task if isinstance(task, TaskSpec) else TaskSpec(id=new_id("task-"), instruction=str(task))
    ns = namespace or spec.metadata.get("namespace")
    return {"task": spec.instruction, "task_id": spec.id, "items": [{"store": r.record.store, "id": r.record.id} for r in context.items],
            "outcome": outcome.model_dump(mode="json"), "run_id": run_id or new_id("run-"), "namespace": ns}


def _snapshot_type() -> Any:
    from .learning.snapshots import Snapshot

    return Snapshot


class RemoteMemory:
    """``Memory``'s surface over HTTP (see the module docstring).

    Args:
        url: the server, e.g. ``http://127.0.0.1:8765``.
        key: an API key (``agentmem keys create``); None for a key-less loopback server.
        namespace: default namespace of calls that name none (default: the key's namespace).
        timeout: seconds per request.
        retries: how often a 429 is retried (after ``Retry-After``).
        transport: an httpx transport (tests).
    """

    def __init__(self, url: str, key: str | None = None, *, namespace: str | None = None, timeout: float = 30.0, retries: int = 3, transport: Any | None = None) -> None:
        import httpx

        if not url.startswith(("http://", "https://")):
            raise ConfigError(f"connect: url {url!r} must start with http:// or https://")
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self.url = url.rstrip("/")
        self.namespace = namespace
        self.retries = retries
        self._http = httpx.Client(base_url=self.url, headers=headers, timeout=timeout, transport=transport)

    def _request(self, method: str, path: str, **kw: Any) -> Any:
        for attempt in range(self.retries + 1):
            resp = self._http.request(method, path, **kw)
            if resp.status_code == 429 and attempt < self.retries:
                time.sleep(_wait(resp))
                continue
            if resp.status_code >= 400:
                raise _error(resp)
            return resp
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "RemoteMemory":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- Memory surface --------------------------------------------------------------------
    def recall(self, task: str | TaskSpec, budget_tokens: int | None = None, namespace: str | None = None, stores: Sequence[str] | None = None, use_proxy: bool = True) -> RecallContext:
        """Unified recall on the server (the server's proxy setting applies; ``use_proxy`` is accepted for signature parity)."""
        resp = self._request("POST", "/v1/recall", json=_recall_body(task, budget_tokens, namespace or self.namespace, stores))
        return RecallContext.model_validate(resp.json())

    def remember(self, text: str, *, store: str = "facts", namespace: str | None = None) -> str:
        """Store ``text`` as a new fact; returns its id once the server has made it durable."""
        resp = self._request("POST", "/v1/remember", json={"text": text, "store": store, "namespace": namespace or self.namespace})
        return str(resp.json()["id"])

    def learn(self, task: str | TaskSpec, context: RecallContext, outcome: Outcome, *, run_id: str | None = None, trajectory: Sequence[Any] = ()) -> str:
        """Record how ``task`` went for the items of ``context``; returns the run id."""
        resp = self._request("POST", "/v1/learn", json=_learn_body(task, context, outcome, run_id, self.namespace))
        return str(resp.json()["run_id"])

    def snapshot(self, name: str = "", reason: str = "") -> Any:
        """Snapshot the server's home (needs an admin key for namespace ``*``)."""
        return _snapshot_type().model_validate(self._request("POST", "/v1/snapshots", json={"name": name, "reason": reason}).json())

    def rollback(self, ref: str) -> Any:
        """Restore the server's home to snapshot ``ref`` (needs an admin key for namespace ``*``)."""
        return _snapshot_type().model_validate(self._request("POST", "/v1/rollback", json={"ref": ref}).json())

    # ---- MemoryHook ------------------------------------------------------------------------
    def before_task(self, task: TaskSpec) -> RecallContext:
        return self.recall(task, namespace=task.metadata.get("namespace"))

    def after_task(self, task: TaskSpec, context: RecallContext, trajectory: list[Any], outcome: Outcome, run_id: str) -> None:
        self.learn(task, context, outcome, run_id=run_id)

    # ---- items and health --------------------------------------------------------------------
    def items(self, namespace: str | None = None, store: str | None = None, offset: int = 0, limit: int = 50, include_inactive: bool = False) -> list[MemoryRecord]:
        params = {k: v for k, v in {"namespace": namespace or self.namespace, "store": store, "offset": offset, "limit": limit, "include_inactive": str(include_inactive).lower()}.items() if v is not None}
        return [MemoryRecord.model_validate(r) for r in self._request("GET", "/v1/items", params=params).json()["items"]]

    def item(self, store: str, item_id: str) -> MemoryRecord:
        return MemoryRecord.model_validate(self._request("GET", f"/v1/items/{store}/{item_id}").json())

    def why(self, store: str, item_id: str) -> Any:
        from .learning.provenance import ItemHistory

        return ItemHistory.model_validate(self._request("GET", f"/v1/items/{store}/{item_id}/why").json())

    def health(self) -> dict[str, Any]:
        return dict(self._request("GET", "/v1/health").json())


class AsyncRemoteMemory:
    """The asynchronous twin of :class:`RemoteMemory` (same methods, awaited)."""

    def __init__(self, url: str, key: str | None = None, *, namespace: str | None = None, timeout: float = 30.0, retries: int = 3, transport: Any | None = None, limits: Any | None = None) -> None:
        import httpx

        if not url.startswith(("http://", "https://")):
            raise ConfigError(f"connect_async: url {url!r} must start with http:// or https://")
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self.url = url.rstrip("/")
        self.namespace = namespace
        self.retries = retries
        kw: dict[str, Any] = {"limits": limits} if limits is not None else {}
        self._http = httpx.AsyncClient(base_url=self.url, headers=headers, timeout=timeout, transport=transport, **kw)

    async def _request(self, method: str, path: str, **kw: Any) -> Any:
        for attempt in range(self.retries + 1):
            resp = await self._http.request(method, path, **kw)
            if resp.status_code == 429 and attempt < self.retries:
                await asyncio.sleep(_wait(resp))
                continue
            if resp.status_code >= 400:
                raise _error(resp)
            return resp
        raise AssertionError("unreachable")  # pragma: no cover

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> "AsyncRemoteMemory":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def recall(self, task: str | TaskSpec, budget_tokens: int | None = None, namespace: str | None = None, stores: Sequence[str] | None = None, use_proxy: bool = True) -> RecallContext:
        resp = await self._request("POST", "/v1/recall", json=_recall_body(task, budget_tokens, namespace or self.namespace, stores))
        return RecallContext.model_validate(resp.json())

    async def remember(self, text: str, *, store: str = "facts", namespace: str | None = None) -> str:
        resp = await self._request("POST", "/v1/remember", json={"text": text, "store": store, "namespace": namespace or self.namespace})
        return str(resp.json()["id"])

    async def learn(self, task: str | TaskSpec, context: RecallContext, outcome: Outcome, *, run_id: str | None = None, trajectory: Sequence[Any] = ()) -> str:
        resp = await self._request("POST", "/v1/learn", json=_learn_body(task, context, outcome, run_id, self.namespace))
        return str(resp.json()["run_id"])

    async def snapshot(self, name: str = "", reason: str = "") -> Any:
        return _snapshot_type().model_validate((await self._request("POST", "/v1/snapshots", json={"name": name, "reason": reason})).json())

    async def rollback(self, ref: str) -> Any:
        return _snapshot_type().model_validate((await self._request("POST", "/v1/rollback", json={"ref": ref})).json())

    async def items(self, namespace: str | None = None, store: str | None = None, offset: int = 0, limit: int = 50, include_inactive: bool = False) -> list[MemoryRecord]:
        params = {k: v for k, v in {"namespace": namespace or self.namespace, "store": store, "offset": offset, "limit": limit, "include_inactive": str(include_inactive).lower()}.items() if v is not None}
        return [MemoryRecord.model_validate(r) for r in (await self._request("GET", "/v1/items", params=params)).json()["items"]]

    async def health(self) -> dict[str, Any]:
        return dict((await self._request("GET", "/v1/health")).json())


def connect(url: str, key: str | None = None, **kw: Any) -> RemoteMemory:
    """A :class:`RemoteMemory` for the server at ``url`` (see the module docstring)."""
    return RemoteMemory(url, key, **kw)


def connect_async(url: str, key: str | None = None, **kw: Any) -> AsyncRemoteMemory:
    """An :class:`AsyncRemoteMemory` for the server at ``url``."""
    return AsyncRemoteMemory(url, key, **kw)


__all__ = ["AccessDenied", "AsyncRemoteMemory", "InvalidRequest", "NotFound", "RateLimited", "RemoteError", "RemoteMemory", "connect", "connect_async"]
