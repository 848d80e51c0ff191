"""``agentmem serve``: the memory as a service.

* ``agentmem serve --http``: the JSON HTTP API with API keys, plus the MCP tools at ``/mcp`` on
  the same port (:mod:`agentmem.server`; see docs/server.md);
* ``agentmem serve --mcp``: an MCP server over stdio; ``--mcp --http``: MCP only, over
  streamable HTTP on loopback, without keys (:mod:`agentmem.mcp_server`).
"""

from __future__ import annotations

import typer

from ._common import fail, guarded, state


@guarded
def serve(
    ctx: typer.Context,
    mcp: bool = typer.Option(False, "--mcp", help="Serve only the Model Context Protocol (stdio; with --http: MCP over streamable HTTP on loopback, no keys)."),
    http: bool = typer.Option(False, "--http", help="Without --mcp: the JSON HTTP API with API keys and the MCP tools at /mcp, on --host/--port."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on. A non-loopback address needs API keys (`agentmem keys create`)."),
    port: int = typer.Option(8765, "--port", min=1, max=65535, help="TCP port for --http."),
    namespace: str | None = typer.Option(None, "--namespace", "-n", envvar="AGENTMEM_NAMESPACE", help="Namespace served (user, user/agent or user/agent/run); default settings.namespace."),
    allow_namespace: list[str] = typer.Option([], "--allow-namespace", help="Another namespace a tool call may name explicitly (repeatable)."),
    store: list[str] = typer.Option([], "--store", help="A store plugin (entry point in agentmem.stores) to add to recall, built with the settings (repeatable); see `agentmem plugins list`."),
) -> None:
    """Serve the memory: the HTTP API (`--http`) or MCP (`--mcp`, stdio).

    HTTP API: `agentmem serve --http --port 8765` (JSON API under /v1, OpenAPI at /openapi.json,
    MCP tools at /mcp, API keys from `agentmem keys create`). MCP only: `agentmem serve --mcp`
    (stdio, what desktop clients launch) or `agentmem serve --mcp --http --port 8765`.
    """
    if not mcp and not http:
        fail("serve: choose a protocol, e.g. `agentmem serve --http --port 8765` (HTTP API + MCP), `agentmem serve --mcp` (stdio)")
    if http and not mcp:
        from ..plugins import create
        from ..server import KEEP_ALIVE_S, build

        settings = state(ctx).settings()
        settings.ensure_home()
        app = build(settings, host=host, stores=[create("stores", name, settings) for name in store], namespace=namespace)
        import uvicorn

        typer.echo(f"agentmem memory service on http://{host}:{port} (API /v1, OpenAPI /openapi.json, MCP /mcp; auth: {'keys' if app.state.api.auth_required() else 'open, loopback only'})", err=True)
        uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False, timeout_graceful_shutdown=10, timeout_keep_alive=KEEP_ALIVE_S)
        return
    from ..mcp_server import MemoryService
    from ..mcp_server import serve as run_server

    settings = state(ctx).settings()
    settings.ensure_home()
    from ..plugins import create

    stores = [create("stores", name, settings) for name in store]
    service = MemoryService(settings, namespace=namespace, allowed_namespaces=allow_namespace, stores=stores)
    if http:
        typer.echo(f"agentmem MCP server on http://{host}:{port}/mcp (namespace {service.namespace})", err=True)
    run_server(service, http=http, host=host, port=port)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
