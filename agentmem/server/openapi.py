"""The OpenAPI 3.1 schema of the HTTP API, built from the endpoint table and the pydantic models.

Nothing is written by hand: each :class:`~agentmem.server.app.Endpoint` gives the path, method,
summary, scope, request body, query model and response model; the JSON schemas of the models
come from pydantic (``components/schemas``). ``docs/server.md`` lists the same endpoints and a
test compares the two.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from .schemas import ErrorResponse

_ERRORS = {
    "401": "Missing or invalid API key.",
    "403": "The key's scope or namespace does not allow this request (namespace denials are audited).",
    "413": "Request body too large.",
    "422": "Invalid request: the body or query names the offending fields.",
    "429": "Rate limit of the key exceeded (see Retry-After).",
}


def _response_model(ep: Any) -> type[BaseModel] | None:
    from .app import LIBRARY_RESPONSES

    if ep.response is not None:
        return ep.response
    spec = LIBRARY_RESPONSES.get(ep.name)
    if spec is None:
        return None
    return getattr(importlib.import_module(spec[0]), spec[1])


def build_openapi(endpoints: list[Any]) -> dict[str, Any]:
    from .. import __version__

    models: list[type[BaseModel]] = [ErrorResponse]
    for ep in endpoints:
        for m in (ep.body, _response_model(ep)):
            if m is not None and m not in models:
                models.append(m)
    keyed: list[tuple[type[BaseModel], JsonSchemaMode]] = [(m, "validation") for m in models] + [(m, "serialization") for m in models]  # pyright: ignore[reportAssignmentType]  # literal modes
    refs, defs = models_json_schema(keyed, ref_template="#/components/schemas/{model}")
    schemas = defs.get("$defs", {})

    def ref(model: type[BaseModel], mode: JsonSchemaMode) -> dict[str, Any]:
        return refs[(model, mode)]

    paths: dict[str, dict[str, Any]] = {}
    for ep in endpoints:
        op: dict[str, Any] = {"operationId": ep.name, "summary": ep.summary, "tags": ["memory" if ep.path.startswith("/v1/") else "meta"]}
        if ep.scope is not None:
            op["security"] = [{"apiKey": []}]
            op["x-agentmem-scope"] = ep.scope.value + (" (namespace '*')" if ep.all_namespaces else "")
        params = [{"name": p, "in": "path", "required": True, "schema": {"type": "string"}} for p in re.findall(r"{(\w+)}", ep.path)]
        if ep.query is not None:
            qs = ep.query.model_json_schema()
            for name, prop in qs.get("properties", {}).items():
                params.append({"name": name, "in": "query", "required": name in qs.get("required", []), "schema": prop})
        if params:
            op["parameters"] = params
        if ep.body is not None:
            op["requestBody"] = {"required": True, "content": {"application/json": {"schema": ref(ep.body, "validation")}}}
        resp_model = _response_model(ep)
        if ep.content_type == "text/plain":
            ok: dict[str, Any] = {"description": "OK", "content": {"text/plain": {"schema": {"type": "string"}}}}
        else:
            ok = {"description": "OK", "content": {"application/json": {"schema": ref(resp_model, "serialization") if resp_model else {}}}}
        responses: dict[str, Any] = {"200": ok}
        err = {"content": {"application/json": {"schema": ref(ErrorResponse, "serialization")}}}
        codes = ["422"] if ep.scope is None else ["401", "403", "413", "422", "429"]
        if "{" in ep.path:
            _ERRORS.setdefault("404", "No such store or item.")
            codes.append("404")
        for code in codes:
            responses[code] = {"description": _ERRORS.get(code, "No such store or item."), **err}
        op["responses"] = responses
        paths.setdefault(ep.path, {})[ep.method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "agentmem memory service", "version": __version__, "description": "Recall, remember, learn, items, snapshots over one agentmem home. See docs/server.md."},
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": {"apiKey": {"type": "http", "scheme": "bearer", "description": "An agentmem API key (`agentmem keys create`)."}}},
    }


__all__ = ["build_openapi"]
