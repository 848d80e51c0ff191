"""The MCP server end to end: the official ``mcp`` client SDK against the real server process,
over stdio and streamable HTTP, including bad requests that must not stop the server."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("mcp")

from mcp import Client  # noqa: E402
from mcp.client.stdio import StdioServerParameters  # noqa: E402
from mcp.shared.exceptions import MCPError  # noqa: E402

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.integration


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENTMEM_")}
    env.update(
        AGENTMEM_HOME=str(home),
        AGENTMEM_BLOCK_REAL_LLM="1",
        AGENTMEM_EMBEDDER__BACKEND="hash",
        AGENTMEM_INDEX__BACKEND="memory",
        PYTHONPATH=str(REPO) + os.pathsep + env.get("PYTHONPATH", ""),
    )
    return env


def _data(result: Any) -> Any:
    assert not result.is_error, result.content
    if result.structured_content is not None:
        sc = result.structured_content
        return sc.get("result", sc) if isinstance(sc, dict) and set(sc) == {"result"} else sc
    return json.loads(result.content[0].text)


async def _round_trip(client: Client) -> dict[str, Any]:
    tools = {t.name for t in (await client.list_tools()).tools}
    assert tools == {"recall", "remember", "search_skills", "show_skill", "record_outcome"}

    found = _data(await client.call_tool("search_skills", {"query": "debug a failing python test", "k": 3}))["skills"]
    assert found and all({"name", "description", "score"} <= set(s) for s in found)
    first = found[0]["name"]
    shown = _data(await client.call_tool("show_skill", {"name": first}))
    assert shown["name"] == first and shown["instructions"]

    saved = _data(await client.call_tool("remember", {"text": "The staging database password rotates every Friday at noon."}))
    assert saved["namespace"] == "alice/default" and saved["store"] == "facts" and saved["id"]

    recalled = _data(await client.call_tool("recall", {"task": "when does the staging database password rotate?", "k": 5}))
    assert recalled["namespace"] == "alice/default" and recalled["items"]
    assert any(it["store"] == "facts" and "Friday" in it["text"] for it in recalled["items"])
    ids = [f"{it['store']}:{it['id']}" for it in recalled["items"][:2]]
    rec = _data(await client.call_tool("record_outcome", {"task": "rotate password question", "item_ids": ids, "score": 1.0, "success": True}))
    assert rec["recorded"] == ids

    # Bad requests: refused with MCP errors, and the server keeps serving.
    with pytest.raises(MCPError) as err:
        await client.call_tool("recall", {"task": "x", "namespace": "mallory"})
    assert "not served" in err.value.message
    with pytest.raises(MCPError):
        await client.call_tool("search_skills", {"query": "x", "k": 1000})
    missing = await client.call_tool("show_skill", {"name": "no-such-skill"})
    assert missing.is_error and "no skill named" in missing.content[0].text
    wrong_type = await client.call_tool("record_outcome", {"task": "t", "item_ids": "not-a-list", "score": "high", "success": True})
    assert wrong_type.is_error
    with pytest.raises(MCPError):
        await client.call_tool("record_outcome", {"task": "t", "item_ids": ["skills:nope-nope"], "score": 0.5, "success": False})
    again = _data(await client.call_tool("search_skills", {"query": "write a commit message", "k": 1}))
    assert len(again["skills"]) == 1
    return {"ids": ids}


def _check_outcome_log(home: Path, ids: list[str]) -> None:
    from agentmem.learning.outcome_log import OutcomeLog

    rows = OutcomeLog(home / "outcomes.sqlite").rows()
    assert [f"{r.store}:{r.item_id}" for r in rows] == ids
    assert all(r.namespace == "alice/default" and r.success for r in rows)


def test_mcp_stdio_round_trip(tmp_path: Path) -> None:
    home = tmp_path / "home"
    params = StdioServerParameters(command=sys.executable, args=["-m", "agentmem", "serve", "--mcp", "--namespace", "alice"], env=_env(home), cwd=str(REPO))

    async def main() -> dict[str, Any]:
        async with Client(params, read_timeout_seconds=120) as client:
            return await _round_trip(client)

    out = asyncio.run(main())
    _check_outcome_log(home, out["ids"])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_mcp_streamable_http_round_trip(tmp_path: Path) -> None:
    home = tmp_path / "home"
    port = _free_port()
    log = (tmp_path / "server.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "agentmem", "serve", "--mcp", "--http", "--port", str(port), "--namespace", "alice"], env=_env(home), cwd=str(REPO), stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert proc.poll() is None, (tmp_path / "server.log").read_text()
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.2)

        async def main() -> dict[str, Any]:
            async with Client(f"http://127.0.0.1:{port}/mcp", read_timeout_seconds=120) as client:
                return await _round_trip(client)

        out = asyncio.run(main())
        assert proc.poll() is None, "a bad request stopped the server"
        _check_outcome_log(home, out["ids"])
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def test_serve_requires_a_protocol_and_loopback(home: Path) -> None:
    from typer.testing import CliRunner

    from agentmem.cli import app

    r = CliRunner().invoke(app, ["serve"])
    assert r.exit_code == 2 and "--mcp" in r.output
    r = CliRunner().invoke(app, ["serve", "--mcp", "--http", "--host", "0.0.0.0"])
    assert r.exit_code == 2 and "loopback" in r.output


def test_service_refuses_foreign_namespace_and_bad_namespace(settings) -> None:
    from agentmem.mcp_server import BadRequest, MemoryService

    svc = MemoryService(settings, namespace="alice", allowed_namespaces=["alice/bot"])
    assert svc.allowed == {"alice/default", "alice/bot"}
    assert svc._namespace("alice/bot") == "alice/bot"
    with pytest.raises(BadRequest, match="not served"):
        svc._namespace("bob")
    with pytest.raises(BadRequest, match="namespace"):
        svc._namespace("a//b")


PLUGIN_STORE = '''
from pathlib import Path
from agentmem.types import MemoryRecord, Recalled

class RecipeStore:
    """A tiny keyword store, registered as an agentmem.stores plugin."""
    name = "recipes"
    def __init__(self, settings):
        self.root = Path(settings.home) / "recipes"
        self.items = {"pancakes": "Pancakes: 200 g flour, 2 eggs, 300 ml milk; rest the batter 20 minutes."}
        self.uses = []
    def records(self, namespace=None, include_inactive=False):
        return [MemoryRecord(id=k, store=self.name, title=k, text=v, namespace=namespace or "default/default") for k, v in self.items.items()]
    def get_record(self, item_id):
        return next((r for r in self.records() if r.id == item_id), None)
    def search(self, query, k=10, namespace=None):
        words = set(query.lower().split())
        return [Recalled(record=r, score=1.0) for r in self.records(namespace) if words & set(r.text.lower().replace(":", " ").replace(";", " ").split())][:k]
    def record_use(self, item_id, reward, success):
        (self.root.mkdir(parents=True, exist_ok=True), (self.root / "uses.txt").open("a").write(f"{item_id} {reward}\\n"))
    def set_state(self, item_id, state):
        pass
'''


def test_mcp_serves_a_plugin_store(tmp_path: Path) -> None:
    site = tmp_path / "site"
    dist = site / "recipes_plugin-0.1.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: recipes-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[agentmem.stores]\nrecipes = recipes_plugin_mod:RecipeStore\n")
    (site / "recipes_plugin_mod.py").write_text(PLUGIN_STORE)
    home = tmp_path / "home"
    env = _env(home)
    env["PYTHONPATH"] = str(site) + os.pathsep + env["PYTHONPATH"]
    params = StdioServerParameters(command=sys.executable, args=["-m", "agentmem", "serve", "--mcp", "--store", "recipes"], env=env, cwd=str(REPO))

    async def main() -> None:
        async with Client(params, read_timeout_seconds=120) as client:
            got = _data(await client.call_tool("recall", {"task": "how much flour for pancakes", "k": 3}))
            assert any(it["store"] == "recipes" and it["id"] == "pancakes" for it in got["items"]), got
            rec = _data(await client.call_tool("record_outcome", {"task": "pancakes", "item_ids": ["recipes:pancakes"], "score": 0.5, "success": True}))
            assert rec["recorded"] == ["recipes:pancakes"]

    asyncio.run(main())
    assert (home / "recipes" / "uses.txt").read_text().split() == ["pancakes", "0.5"]
