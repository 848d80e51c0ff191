"""The MCP tools at ``/mcp`` of ``agentmem serve --http``, behind the same API keys as the JSON API.

The tools have the names and arguments of the stdio server (:mod:`agentmem.mcp_server`):
``recall``, ``remember``, ``search_skills``, ``show_skill``, ``record_outcome``. Here they run
on the service's :class:`~agentmem.server.service.HomeService`, so writes go through the
controller, and each call is checked against the caller's key: the HTTP request must carry a
valid key (401 otherwise, before MCP sees it), the key's scope must allow the tool, and a
``namespace`` argument must lie within the key's prefix (an MCP ``invalid params`` error and an
audit row otherwise). The transport is stateless streamable HTTP with JSON responses.
"""

# no `from __future__ import annotations`: MCP reads the tools' annotations at runtime (Context is a local import)

import contextlib
from typing import Any

from ..errors import AgentmemError
from ..types import Namespace, Outcome, new_id
from .keys import Principal, Scope


class _Denied(Exception):
    pass


class KeyGate:
    """ASGI wrapper: 401 for requests without a valid key, and the key's rate limit, before MCP."""

    def __init__(self, app: Any, api: Any) -> None:
        self.app = app
        self.api = api

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        from starlette.requests import Request

        from .app import ApiError

        if scope["type"] == "http":
            try:
                principal = self.api.authenticate(Request(scope))
                wait = self.api.limiter.check(principal.key_id, principal.rate_per_s, principal.burst)
                if wait > 0:
                    raise ApiError(429, "rate_limited", f"rate limit of key {principal.key_id} exceeded; retry in {wait:.2f}s", headers={"Retry-After": str(max(1, int(wait + 0.999)))})
            except ApiError as exc:
                await exc.response()(scope, receive, send)
                return
        await self.app(scope, receive, send)


def build_keyed_server(api: Any, *, host: str = "127.0.0.1") -> Any:
    """An ``MCPServer`` whose tools act for the key in each request's headers."""
    from mcp.server.mcpserver import Context, MCPServer
    from mcp.server.mcpserver.exceptions import ToolError
    from mcp.shared.exceptions import MCPError
    from mcp_types import INVALID_PARAMS
    from starlette.concurrency import run_in_threadpool

    from .. import __version__
    from ..mcp_server import MemoryService

    svc = api.service
    browse = MemoryService(svc.settings, skills=svc.state.stores.get("skills"), facts=svc.facts, with_experience=False)
    server = MCPServer(
        name="agentmem", version=__version__, warn_on_duplicate_tools=True,
        instructions="agentmem memory service. Call `recall` with the task before working on it, and `record_outcome` with the ids of the recalled items after it; `remember` stores a fact.",
    )

    def principal_of(ctx: Any, needed: Scope) -> Principal:
        headers = ctx.headers or {}
        if not api.auth_required():
            p: Principal = api.anonymous
        else:
            auth = headers.get("authorization", "")
            token = auth[7:].strip() if auth.lower().startswith("bearer ") else headers.get("x-api-key", "")
            found = api.keys.verify(token)
            if found is None:
                raise MCPError(INVALID_PARAMS, "invalid or revoked API key")
            p = found
        if not p.scope.allows(needed):
            raise MCPError(INVALID_PARAMS, f"this tool needs scope {needed.value}; the key has {p.scope.value}")
        return p

    async def namespace_of(p: Principal, requested: str | None, tool: str) -> str:
        if not requested:
            return p.default_namespace
        try:
            key = Namespace.parse(requested).key()
        except ValueError as exc:
            raise MCPError(INVALID_PARAMS, f"namespace: {exc}") from exc
        if not p.reaches(key):
            with contextlib.suppress(Exception):
                await api.deny(p, key, f"mcp:{tool}")
            raise MCPError(INVALID_PARAMS, f"this key reaches namespace {p.namespace!r}, not {key!r}")
        return key

    async def call(fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return await run_in_threadpool(fn, *args, **kwargs)
        except AgentmemError as exc:
            raise ToolError(str(exc)) from exc

    async def recall(task: str, ctx: Context, k: int = 8, budget_tokens: int | None = None, namespace: str | None = None) -> dict[str, Any]:
        """Memory context for a task: skills, facts and other stores, within a token budget.
        Returns the context text and the items (ids to pass to record_outcome)."""
        p = principal_of(ctx, Scope.read)
        if not task.strip() or not 1 <= k <= 50:
            raise MCPError(INVALID_PARAMS, "task must not be empty and k must be between 1 and 50")
        ns = await namespace_of(p, namespace, "recall")
        got = await call(svc.recall, task, namespace=ns, budget_tokens=budget_tokens)
        items = list(got.items)[:k]
        return {"namespace": ns, "context": got.text,
                "items": [{"store": r.record.store, "id": r.record.id, "title": r.record.title, "score": round(float(r.score), 4), "text": r.record.text} for r in items]}

    async def remember(text: str, ctx: Context, namespace: str | None = None) -> dict[str, Any]:
        """Remember one fact (a sentence or short paragraph) in the namespace."""
        p = principal_of(ctx, Scope.write)
        if not text.strip():
            raise MCPError(INVALID_PARAMS, "text: must not be empty")
        ns = await namespace_of(p, namespace, "remember")
        item_id = await call(svc.remember, text, namespace=ns, source="mcp remember")
        return {"namespace": ns, "store": "facts", "id": item_id}

    async def search_skills(query: str, ctx: Context, k: int = 5) -> dict[str, Any]:
        """Search the skill library (hybrid BM25 + embeddings over names and descriptions)."""
        principal_of(ctx, Scope.read)
        return {"skills": await call(browse.search_skills, query, k=k)}

    async def show_skill(name: str, ctx: Context) -> dict[str, Any]:
        """Show one skill: description, instructions, files, version and usage statistics."""
        principal_of(ctx, Scope.read)
        return dict(await call(browse.show_skill, name))

    async def record_outcome(task: str, item_ids: list[str], score: float, success: bool, ctx: Context, namespace: str | None = None, run_id: str | None = None) -> dict[str, Any]:
        """Record how a task went (score in [0, 1], success) for the recalled items that were in context."""
        p = principal_of(ctx, Scope.write)
        if not 0.0 <= score <= 1.0 or not item_ids:
            raise MCPError(INVALID_PARAMS, "score must be in [0, 1] and item_ids must name at least one recalled item")
        ns = await namespace_of(p, namespace, "record_outcome")
        refs = []
        for raw in item_ids:
            store, sep, item = raw.partition(":")
            if not sep or store not in svc.store_names():
                raise MCPError(INVALID_PARAMS, f"item_ids: {raw!r}: use 'store:id' as returned by recall (stores: {', '.join(svc.store_names())})")
            rec = await call(svc.item, store, item)
            if rec is None:
                raise MCPError(INVALID_PARAMS, f"item_ids: {raw!r}: no such item")
            if store != "skills" and not p.reaches(rec.namespace):
                await namespace_of(p, rec.namespace, "record_outcome")
            refs.append((store, item))
        rid = await call(svc.learn, task, refs, Outcome(score=score, success=success, source="user"), namespace=ns, run_id=run_id or new_id("mcp_"))
        return {"run_id": rid, "namespace": ns, "recorded": [f"{s}:{i}" for s, i in refs]}

    for fn in (recall, remember, search_skills, show_skill, record_outcome):
        server.add_tool(fn, name=fn.__name__, description=fn.__doc__)
    return server


def mcp_app(api: Any, *, host: str = "127.0.0.1") -> tuple[Any, Any]:
    """``(asgi endpoint for /mcp, lifespan factory)``."""
    from mcp.server.transport_security import TransportSecuritySettings

    server = build_keyed_server(api, host=host)
    security = None if not api.auth_required() else TransportSecuritySettings(enable_dns_rebinding_protection=False)
    inner = server.streamable_http_app(streamable_http_path="/mcp", stateless_http=True, json_response=True, transport_security=security, host=host)
    endpoint = next(r.endpoint for r in inner.routes if getattr(r, "path", "") == "/mcp")
    return KeyGate(endpoint, api), server.session_manager.run


__all__ = ["KeyGate", "build_keyed_server", "mcp_app"]
