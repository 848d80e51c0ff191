"""docs/server.md lists exactly the endpoints of the live OpenAPI schema, with the same scopes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest.importorskip("starlette")
pytest.importorskip("mcp")

from starlette.testclient import TestClient  # noqa: E402

DOC = Path(__file__).resolve().parents[1] / "docs" / "server.md"
ROW = re.compile(r"^\| (GET|POST|PUT|DELETE) \| `([^`]+)` \| ([^|]+) \|")


def test_docs_table_matches_the_served_openapi_schema(settings):
    from agentmem.server.app import create_app
    from agentmem.server.service import HomeService

    with TestClient(create_app(HomeService(settings), mcp=False)) as client:
        schema = client.get("/openapi.json").json()
    served = {}
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            served[(method.upper(), path)] = op.get("x-agentmem-scope", "none").replace(" (namespace '*')", " (`*`)")
    documented = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        m = ROW.match(line)
        if m:
            documented[(m.group(1), m.group(2))] = m.group(3).strip()
    assert documented == served
    for (method, path), _ in served.items():
        op = schema["paths"][path][method.lower()]
        assert op["summary"] and "200" in op["responses"]
        body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
        if body:  # every referenced model is in the components
            assert body["$ref"].rsplit("/", 1)[-1] in schema["components"]["schemas"]
