"""One contract, two implementations: the in-process ``Memory`` and ``agentmem.connect(url, key)``
against a real ``agentmem serve --http`` process on 127.0.0.1 (random free port).

The same calls must give the same types and the same observable behaviour. Also: the async
client, the MCP tools on the same port behind the same keys, and a key that reaches another
namespace getting ``AccessDenied``.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

pytest.importorskip("uvicorn")
pytest.importorskip("mcp")

import agentmem  # noqa: E402
from agentmem.environment import TaskSpec  # noqa: E402
from agentmem.hooks import RecallContext  # noqa: E402
from agentmem.errors import ConfigError  # noqa: E402
from agentmem.learning.snapshots import Snapshot  # noqa: E402
from agentmem.types import Outcome  # noqa: E402

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.integration


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENTMEM_")}
    env.update(AGENTMEM_HOME=str(home), AGENTMEM_BLOCK_REAL_LLM="1", AGENTMEM_EMBEDDER__BACKEND="hash", AGENTMEM_INDEX__BACKEND="memory",
               PYTHONPATH=str(REPO) + os.pathsep + env.get("PYTHONPATH", ""))
    return env


def start_server(home: Path, port: int, log: Path) -> subprocess.Popen:
    handle = open(log, "ab")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen([sys.executable, "-m", "agentmem", "serve", "--http", "--port", str(port)], env=server_env(home), cwd=str(REPO), stdout=handle, stderr=subprocess.STDOUT)
    import httpx

    deadline = time.time() + 180
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"server did not come up in 180 s: {log.read_text()[-2000:]}")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from agentmem.server.keys import KeyStore

    home = tmp_path_factory.mktemp("served-home")
    keys = KeyStore(home)
    tokens = {"admin": keys.create("*", "admin").token, "alice": keys.create("alice", "write").token}
    port = free_port()
    proc = start_server(home, port, home / "server.log")
    try:
        yield {"url": f"http://127.0.0.1:{port}", "tokens": tokens, "home": home}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(params=["memory", "remote"])
def memory(request, settings):
    if request.param == "memory":
        from agentmem.memory import Memory
        from agentmem.stores.facts import FactStore

        yield Memory.from_settings(settings, [FactStore.from_settings(settings)])
    else:
        srv = request.getfixturevalue("server")
        client = agentmem.connect(srv["url"], srv["tokens"]["admin"], timeout=120)
        yield client
        client.close()


def ns() -> str:
    return f"u{uuid.uuid4().hex[:8]}"


def test_remember_then_recall_same_types(memory):
    who = ns()
    item_id = memory.remember("The deploy key lives in vault://ops/deploy", namespace=who)
    assert isinstance(item_id, str) and item_id
    ctx = memory.recall("where is the deploy key?", namespace=who)
    assert isinstance(ctx, RecallContext)
    assert item_id in ctx.item_ids and "vault://ops/deploy" in ctx.text
    assert ctx.tokens == sum(r.tokens for r in ctx.items) and ctx.tokens > 0
    hit = next(r for r in ctx.items if r.record.id == item_id)
    assert hit.record.store == "facts" and hit.record.namespace == f"{who}/default" and 0.0 <= hit.score <= 1.0


def test_namespaces_are_isolated(memory):
    a, b = ns(), ns()
    memory.remember("Alice's locker code is 4711", namespace=a)
    ctx = memory.recall("locker code 4711", namespace=b)
    assert all(r.record.namespace == f"{b}/default" for r in ctx.items if r.record.store != "skills")
    assert "4711" not in ctx.text


def test_budget_is_respected_and_bad_budget_is_a_config_error(memory):
    who = ns()
    for i in range(6):
        memory.remember(f"fact number {i} about the payment service and its retry policy " + "detail " * 20, namespace=who)
    ctx = memory.recall("payment service retry policy", budget_tokens=60, namespace=who)
    assert ctx.tokens <= 60
    with pytest.raises(ConfigError):
        memory.recall("anything", budget_tokens=0, namespace=who)


def test_learn_returns_the_run_id_and_memory_hook_round_trip(memory):
    who = ns()
    memory.remember("Run the migrations before the deploy", namespace=who)
    ctx = memory.recall("how do I deploy?", namespace=who)
    rid = memory.learn("how do I deploy?", ctx, Outcome(score=1.0, success=True, source="user"), run_id="run-contract-1")
    assert rid == "run-contract-1"
    assert isinstance(memory.learn("how do I deploy?", ctx, Outcome(score=0.0, success=False, source="user")), str)
    task = TaskSpec(id="t1", instruction="how do I deploy?", metadata={"namespace": who})
    hooked = memory.before_task(task)
    assert isinstance(hooked, RecallContext) and hooked.item_ids == ctx.item_ids
    memory.after_task(task, hooked, [], Outcome(score=1.0, success=True, source="user"), "run-contract-2")


def test_snapshot_and_rollback(memory):
    who = ns()
    keep = memory.remember("The office opens at nine", namespace=who)
    snap = memory.snapshot("contract-before", reason="contract test")
    assert isinstance(snap, Snapshot) and snap.name == "contract-before"
    gone = memory.remember("The office closes at five", namespace=who)
    restored = memory.rollback(snap.id)
    assert isinstance(restored, Snapshot) and restored.id == snap.id
    ids = memory.recall("when does the office open or close?", namespace=who).item_ids
    assert keep in ids and gone not in ids


def test_async_client(server):
    async def run() -> None:
        async with agentmem.connect_async(server["url"], server["tokens"]["alice"], timeout=120) as mem:
            item_id = await mem.remember("The async client stores facts too")
            ctx = await mem.recall("what does the async client store?")
            assert isinstance(ctx, RecallContext) and item_id in ctx.item_ids
            assert ctx.items[0].record.namespace.startswith("alice/")
            rid = await mem.learn("what does the async client store?", ctx, Outcome(score=1.0, success=True, source="user"))
            assert isinstance(rid, str)
            health = await mem.health()
            assert health["auth"] == "keys"

    asyncio.run(run())


def test_remote_key_outside_its_namespace_is_denied(server):
    from agentmem.client import AccessDenied

    with agentmem.connect(server["url"], server["tokens"]["alice"]) as mem:
        with pytest.raises(AccessDenied, match="403"):
            mem.recall("anything", namespace="bob")
        with pytest.raises(AccessDenied, match="needs scope admin"):
            mem.snapshot("not allowed")
    with agentmem.connect(server["url"], "am_nokey_nosecret") as mem, pytest.raises(AccessDenied, match="401"):
        mem.recall("anything")


def test_mcp_tools_on_the_same_port_behind_the_keys(server):
    import httpx
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared.exceptions import MCPError
    from mcp.shared._httpx_utils import create_mcp_http_client

    assert httpx.post(server["url"] + "/mcp", json={}).status_code == 401  # no key: refused before MCP

    async def run() -> None:
        http = create_mcp_http_client(headers={"Authorization": f"Bearer {server['tokens']['alice']}"})
        async with Client(streamable_http_client(server["url"] + "/mcp", http_client=http), read_timeout_seconds=60) as client:
            tools = {t.name for t in (await client.list_tools()).tools}
            assert tools == {"recall", "remember", "search_skills", "show_skill", "record_outcome"}
            saved = await client.call_tool("remember", {"text": "MCP facts land in the key's namespace"})
            assert not saved.is_error, saved.content
            data = saved.structured_content
            assert data["namespace"] == "alice/default" and data["id"]
            got = (await client.call_tool("recall", {"task": "where do MCP facts land?"})).structured_content
            assert data["id"] in [i["id"] for i in got["items"]]
            try:  # an invalid-params error may come back as an exception or as an error result
                denied = await client.call_tool("recall", {"task": "x", "namespace": "bob"})
                assert denied.is_error and "reaches namespace" in str(denied.content)
            except MCPError as exc:
                assert "reaches namespace" in str(exc)

    asyncio.run(run())
