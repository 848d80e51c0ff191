"""The ASGI app of ``agentmem serve --http``: the JSON API under ``/v1``, the MCP tools at ``/mcp``,
the OpenAPI schema at ``/openapi.json`` (Starlette; served by uvicorn).

Every endpoint is declared once in :data:`ENDPOINTS` (method, path, scope, body and response
models); the router, the OpenAPI schema and the docs test read that table. Handlers parse and
check the request, then call :class:`~agentmem.server.service.HomeService` in a worker thread.

Request handling, in order: authentication (``Authorization: Bearer <key>`` or ``X-API-Key``;
401 if missing or invalid on a server with keys), scope (403), per-key rate limit (429 with
``Retry-After``), body size (413), body schema (422 naming the fields), namespace (403 and an
audit row when the key does not reach it), then the call. Errors are JSON
(:class:`~agentmem.server.schemas.ErrorResponse`).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from ..errors import AgentmemError, ConfigError, StoreError, ValidationFailed
from ..learning.audit import AuditEntry
from ..types import Namespace, new_id
from .keys import ANONYMOUS, KeyStore, Principal, Scope
from .limits import MAX_BODY_BYTES, RateLimiter
from .metrics import Metrics
from .schemas import (
    ErrorResponse, FieldError, HealthResponse, ItemsResponse, LearnRequest, LearnResponse, RecallRequest, RememberRequest,
    RememberResponse, RollbackRequest, SnapshotList, SnapshotRequest, SnapshotSummary, field_errors,
)
from .service import HomeService

log = logging.getLogger(__name__)


class ApiError(Exception):
    def __init__(self, status: int, kind: str, message: str, fields: list[FieldError] | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.kind, self.message = status, kind, message
        self.fields = fields or []
        self.headers = headers or {}

    def response(self) -> Any:
        from starlette.responses import JSONResponse

        body = ErrorResponse(error=self.kind, message=self.message, fields=self.fields).model_dump(mode="json")
        return JSONResponse(body, status_code=self.status, headers=self.headers)


class ItemsQuery(BaseModel):
    namespace: str | None = Field(default=None, max_length=200)
    store: str | None = Field(default=None, max_length=100, description="Only this store.")
    offset: int = Field(default=0, ge=0)
    limit: int = Field(default=50, ge=1, le=500)
    include_inactive: bool = False


Handler = Callable[["Api", Any, Principal, Any], Awaitable[Any]]


@dataclass
class Endpoint:
    method: str
    path: str
    name: str
    summary: str
    scope: Scope | None
    body: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    all_namespaces: bool = False
    content_type: str = "application/json"
    handler: Handler | None = field(default=None, repr=False)


ENDPOINTS: list[Endpoint] = []


def endpoint(method: str, path: str, summary: str, *, scope: Scope | None, body: type[BaseModel] | None = None, response: type[BaseModel] | None = None,
             query: type[BaseModel] | None = None, all_namespaces: bool = False, content_type: str = "application/json") -> Callable[[Handler], Handler]:
    def deco(fn: Handler) -> Handler:
        ENDPOINTS.append(Endpoint(method, path, fn.__name__, summary, scope, body, response, query, all_namespaces, content_type, fn))
        return fn
    return deco


def _model_json(obj: Any) -> Any:
    from starlette.responses import JSONResponse

    return JSONResponse(obj.model_dump(mode="json") if isinstance(obj, BaseModel) else obj)


class Api:
    """State shared by the handlers: the service, keys, rate limits, metrics."""

    def __init__(self, service: HomeService, keys: KeyStore, *, require_keys: bool, max_body_bytes: int = MAX_BODY_BYTES, default_namespace: str | None = None) -> None:
        self.service = service
        ns = Namespace.parse(default_namespace or service.settings.namespace).key()
        self.anonymous = ANONYMOUS.model_copy(update={"default_ns": ns})
        self.keys = keys
        self.require_keys = require_keys
        self.max_body_bytes = max_body_bytes
        self.limiter = RateLimiter()
        self.metrics = Metrics()

    # ---- request checks ------------------------------------------------------------------
    def auth_required(self) -> bool:
        return self.require_keys or bool(self.keys.list())

    def authenticate(self, request: Any) -> Principal:
        if not self.auth_required():
            return self.anonymous
        header = request.headers.get("authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else request.headers.get("x-api-key", "")
        if not token:
            raise ApiError(401, "unauthorized", "missing API key: send 'Authorization: Bearer <key>' (create one with `agentmem keys create`)", headers={"WWW-Authenticate": "Bearer"})
        principal = self.keys.verify(token)
        if principal is None:
            raise ApiError(401, "unauthorized", "invalid or revoked API key", headers={"WWW-Authenticate": "Bearer"})
        return principal

    def check(self, request: Any, ep: Endpoint) -> Principal:
        if ep.scope is None:  # health: no key, no rate limit
            return self.anonymous
        principal = self.authenticate(request)
        if ep.scope is not None and not principal.scope.allows(ep.scope):
            raise ApiError(403, "forbidden", f"{ep.method} {ep.path} needs scope {ep.scope.value}; this key has {principal.scope.value}")
        if ep.all_namespaces and principal.namespace != "*":
            raise ApiError(403, "forbidden", f"{ep.method} {ep.path} acts on the whole home: it needs an admin key for namespace '*' (this key reaches {principal.namespace!r})")
        wait = self.limiter.check(principal.key_id, principal.rate_per_s, principal.burst)
        if wait > 0:
            raise ApiError(429, "rate_limited", f"rate limit of key {principal.key_id} ({principal.rate_per_s}/s, burst {principal.burst}) exceeded; retry in {wait:.2f}s",
                           headers={"Retry-After": str(max(1, int(wait + 0.999)))})
        return principal

    async def body(self, request: Any, model: type[BaseModel]) -> Any:
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            raise ApiError(413, "too_large", f"request body of {declared} bytes exceeds the limit of {self.max_body_bytes}")
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > self.max_body_bytes:
                raise ApiError(413, "too_large", f"request body exceeds the limit of {self.max_body_bytes} bytes")
            chunks.append(chunk)
        raw = b"".join(chunks)
        try:
            data = json.loads(raw or b"null")
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ApiError(422, "invalid_request", f"body is not JSON: {exc}", [FieldError(field="body", message=str(exc))]) from exc
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            errs = field_errors([dict(e) for e in exc.errors()])
            raise ApiError(422, "invalid_request", "invalid " + ", ".join(f"{e.field} ({e.message})" for e in errs[:5]), errs) from exc

    def query(self, request: Any, model: type[BaseModel]) -> Any:
        try:
            return model.model_validate(dict(request.query_params))
        except ValidationError as exc:
            errs = field_errors([dict(e) for e in exc.errors()])
            raise ApiError(422, "invalid_request", "invalid " + ", ".join(f"{e.field} ({e.message})" for e in errs[:5]), errs) from exc

    async def namespace(self, principal: Principal, requested: str | None, endpoint_name: str) -> str:
        if requested is None or requested == "":
            return principal.default_namespace
        try:
            key = Namespace.parse(requested).key()
        except ValueError as exc:
            raise ApiError(422, "invalid_request", f"namespace: {exc}", [FieldError(field="namespace", message=str(exc))]) from exc
        if not principal.reaches(key):
            await self.deny(principal, key, endpoint_name)
        return key

    async def deny(self, principal: Principal, namespace: str, endpoint_name: str) -> None:
        from starlette.concurrency import run_in_threadpool

        self.metrics.denied_namespace += 1
        entry = AuditEntry(edit_id=new_id("deny-"), status="refused", kind="access", item_id=namespace, proposer=f"key:{principal.key_id}",
                           reason=f"{endpoint_name}: key {principal.key_id} (namespace {principal.namespace!r}) may not reach namespace {namespace!r}",
                           payload={"key_id": principal.key_id, "key_namespace": principal.namespace, "namespace": namespace, "endpoint": endpoint_name})
        await run_in_threadpool(self.service.controller.engine.audit.record, [entry])
        raise ApiError(403, "forbidden", f"this key reaches namespace {principal.namespace!r}, not {namespace!r}")

    # ---- dispatch ---------------------------------------------------------------------------
    async def dispatch(self, request: Any, ep: Endpoint) -> Any:
        t0 = time.perf_counter()
        try:
            principal = self.check(request, ep)
            body = await self.body(request, ep.body) if ep.body is not None else None
            assert ep.handler is not None
            response = await ep.handler(self, request, principal, body)
        except ApiError as exc:
            response = exc.response()
        except ValidationFailed as exc:
            response = ApiError(422, "invalid_request", str(exc)).response()
        except ConfigError as exc:
            response = ApiError(422, "invalid_request", str(exc)).response()
        except StoreError as exc:
            log.warning("store error on %s: %s", ep.path, exc)
            response = ApiError(503, "unavailable", str(exc)).response()
        except AgentmemError as exc:
            response = ApiError(422, "invalid_request", str(exc)).response()
        except Exception:  # noqa: BLE001 - a request never stops the server
            log.exception("internal error on %s %s", ep.method, ep.path)
            response = ApiError(500, "internal", "internal error (see the server log)").response()
        self.metrics.observe(ep.name, response.status_code, 1000 * (time.perf_counter() - t0))
        return response


def _call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Awaitable[Any]:
    from starlette.concurrency import run_in_threadpool

    return run_in_threadpool(fn, *args, **kwargs)


def _visible(principal: Principal, rec: Any, store: str) -> bool:
    """Skills are shared by every namespace; any other item only within the key's reach."""
    return store == "skills" or principal.reaches(rec.namespace)


# ---- endpoints -------------------------------------------------------------------------------------
@endpoint("GET", "/v1/health", "Liveness and what the server serves (no key needed).", scope=None, response=HealthResponse)
async def health(api: Api, request: Any, principal: Principal, body: Any) -> Any:
    from .. import __version__

    h = api.service.health()
    return _model_json(HealthResponse(status=h["status"], version=__version__, auth="keys" if api.auth_required() else "open", stores=h["stores"], queued_writes=h["queued_writes"]))


@endpoint("GET", "/v1/metrics", "Request counts and latency histograms (Prometheus text format).", scope=Scope.admin, content_type="text/plain")
async def metrics(api: Api, request: Any, principal: Principal, body: Any) -> Any:
    from starlette.responses import PlainTextResponse

    return PlainTextResponse(api.metrics.render({"queued_writes": api.service.health()["queued_writes"]}), media_type="text/plain; version=0.0.4")


@endpoint("POST", "/v1/recall", "Unified recall: the memory context for a task, within a token budget.", scope=Scope.read, body=RecallRequest, response=None)
async def recall(api: Api, request: Any, principal: Principal, body: RecallRequest) -> Any:
    ns = await api.namespace(principal, body.namespace, "recall")
    ctx = await _call(api.service.recall, body.query, namespace=ns, budget_tokens=body.budget_tokens, stores=body.stores)
    return _model_json(ctx)


@endpoint("POST", "/v1/remember", "Remember one fact (an add_item edit through the controller); durable when answered.", scope=Scope.write, body=RememberRequest, response=RememberResponse)
async def remember(api: Api, request: Any, principal: Principal, body: RememberRequest) -> Any:
    ns = await api.namespace(principal, body.namespace, "remember")
    item_id = await _call(api.service.remember, body.text, namespace=ns, store=body.store)
    return _model_json(RememberResponse(id=item_id, store=body.store, namespace=ns))


@endpoint("POST", "/v1/learn", "Record how a task went for the recalled items (outcome log, provenance, utility edits).", scope=Scope.write, body=LearnRequest, response=LearnResponse)
async def learn(api: Api, request: Any, principal: Principal, body: LearnRequest) -> Any:
    ns = await api.namespace(principal, body.namespace, "learn")
    for i, ref in enumerate(body.items):
        rec = await _call(api.service.item, ref.store, ref.id)
        if rec is None:
            raise ApiError(422, "invalid_request", f"items[{i}]: no item {ref.id!r} in store {ref.store!r}", [FieldError(field=f"items.{i}", message="no such item")])
        if not _visible(principal, rec, ref.store):
            await api.deny(principal, rec.namespace, "learn")
    rid = await _call(api.service.learn, body.task, [(r.store, r.id) for r in body.items], body.outcome, namespace=ns, run_id=body.run_id, task_id=body.task_id)
    return _model_json(LearnResponse(run_id=rid))


@endpoint("GET", "/v1/items", "List the items of a namespace (every store, or one).", scope=Scope.read, response=ItemsResponse, query=ItemsQuery)
async def items(api: Api, request: Any, principal: Principal, body: Any) -> Any:
    q = api.query(request, ItemsQuery)
    ns = await api.namespace(principal, q.namespace, "items")
    if q.store and q.store not in api.service.store_names():
        raise ApiError(404, "not_found", f"no store named {q.store!r} (stores: {', '.join(api.service.store_names())})")
    recs = await _call(api.service.items, namespace=ns, store=q.store, offset=q.offset, limit=q.limit, include_inactive=q.include_inactive)
    return _model_json(ItemsResponse(namespace=ns, offset=q.offset, limit=q.limit, items=recs))


async def _item_or_404(api: Api, principal: Principal, store: str, item_id: str, what: str) -> Any:
    if store not in api.service.store_names():
        raise ApiError(404, "not_found", f"no store named {store!r} (stores: {', '.join(api.service.store_names())})")
    rec = await _call(api.service.item, store, item_id)
    if rec is None:
        raise ApiError(404, "not_found", f"no item {item_id!r} in store {store!r}")
    if not _visible(principal, rec, store):
        await api.deny(principal, rec.namespace, what)
    return rec


@endpoint("GET", "/v1/items/{store}/{item_id}", "One item (MemoryRecord).", scope=Scope.read, response=None)
async def item(api: Api, request: Any, principal: Principal, body: Any) -> Any:
    rec = await _item_or_404(api, principal, request.path_params["store"], request.path_params["item_id"], "item")
    return _model_json(rec)


@endpoint("GET", "/v1/items/{store}/{item_id}/why", "Where an item came from and how it paid off (provenance).", scope=Scope.read, response=None)
async def why(api: Api, request: Any, principal: Principal, body: Any) -> Any:
    store, item_id = request.path_params["store"], request.path_params["item_id"]
    await _item_or_404(api, principal, store, item_id, "why")
    hist = await _call(api.service.why, store, item_id)
    return _model_json(hist)


@endpoint("GET", "/v1/snapshots", "List the home's snapshots.", scope=Scope.admin, response=SnapshotList, all_namespaces=True)
async def list_snapshots(api: Api, request: Any, principal: Principal, body: Any) -> Any:
    snaps = await _call(api.service.snapshots)
    return _model_json(SnapshotList(snapshots=[SnapshotSummary(id=s.id, name=s.name, created_at=s.created_at, reason=s.reason, files=s.n_files) for s in snaps]))


@endpoint("POST", "/v1/snapshots", "Snapshot every store of the home (content-addressed).", scope=Scope.admin, body=SnapshotRequest, response=None, all_namespaces=True)
async def snapshot(api: Api, request: Any, principal: Principal, body: SnapshotRequest) -> Any:
    snap = await _call(api.service.snapshot, body.name, body.reason)
    return _model_json(snap)


@endpoint("POST", "/v1/rollback", "Restore the whole home to a snapshot (the current state is snapshotted first).", scope=Scope.admin, body=RollbackRequest, response=None, all_namespaces=True)
async def rollback(api: Api, request: Any, principal: Principal, body: RollbackRequest) -> Any:
    try:
        snap = await _call(api.service.rollback, body.ref)
    except StoreError as exc:
        raise ApiError(404, "not_found", str(exc)) from exc
    return _model_json(snap)


#: Response models of endpoints that return a library type (for the OpenAPI schema).
LIBRARY_RESPONSES = {
    "recall": ("agentmem.hooks", "RecallContext"),
    "item": ("agentmem.types", "MemoryRecord"),
    "why": ("agentmem.learning.provenance", "ItemHistory"),
    "snapshot": ("agentmem.learning.snapshots", "Snapshot"),
    "rollback": ("agentmem.learning.snapshots", "Snapshot"),
}


def create_app(service: HomeService, *, keys: KeyStore | None = None, require_keys: bool = False, mcp: bool = True, max_body_bytes: int = MAX_BODY_BYTES,
               default_namespace: str | None = None) -> Any:
    """The Starlette app over ``service`` (see the module docstring)."""
    import contextlib

    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from .openapi import build_openapi

    api = Api(service, keys or KeyStore(service.settings.home), require_keys=require_keys, max_body_bytes=max_body_bytes, default_namespace=default_namespace)

    def make(ep: Endpoint) -> Callable[[Any], Awaitable[Any]]:
        async def route(request: Any) -> Any:
            return await api.dispatch(request, ep)
        return route

    routes: list[Any] = [Route(ep.path, make(ep), methods=[ep.method], name=ep.name) for ep in ENDPOINTS]
    schema = build_openapi(ENDPOINTS)

    async def openapi(request: Any) -> Any:
        return JSONResponse(schema)

    routes.append(Route("/openapi.json", openapi, methods=["GET"]))
    lifespans: list[Any] = []
    if mcp:
        from .mcp_mount import mcp_app

        endpoint_app, mcp_lifespan = mcp_app(api)
        routes.append(Route("/mcp", endpoint_app))
        lifespans.append(mcp_lifespan)

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            for ls in lifespans:
                await stack.enter_async_context(ls())
            yield
        service.close()

    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.api = api
    return app


__all__ = ["ENDPOINTS", "Api", "ApiError", "Endpoint", "ItemsQuery", "create_app", "endpoint"]
